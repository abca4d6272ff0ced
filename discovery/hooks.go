package discovery

import (
	"fmt"

	"github.com/hashicorp/memberlist"
)

// hooks plugs Members into memberlist. memberlist calls these methods from
// its own goroutines, the event, alive and merge ones while holding its node
// lock, so none of them calls back into memberlist or blocks.
type hooks struct{ m *Members }

// msgLeaving starts the user message saying the named member is leaving.
const msgLeaving byte = 'L'

var (
	_ memberlist.Delegate         = hooks{}
	_ memberlist.EventDelegate    = hooks{}
	_ memberlist.AliveDelegate    = hooks{}
	_ memberlist.MergeDelegate    = hooks{}
	_ memberlist.ConflictDelegate = hooks{}
)

// NodeMeta returns the encoded local Meta (never above MaxMetaSize, which
// EncodeMeta enforces and memberlist's limit equals).
func (h hooks) NodeMeta(limit int) []byte {
	h.m.metaMu.Lock()
	defer h.m.metaMu.Unlock()
	if len(h.m.metaBytes) > limit {
		panic(fmt.Sprintf("discovery: encoded meta of %d bytes above memberlist's limit %d", len(h.m.metaBytes), limit))
	}
	return append([]byte(nil), h.m.metaBytes...)
}

// NotifyMsg handles discovery's one user message, the leaving notice
// (msgLeaving + node name) that Leave sends over TCP to every live member.
// Anything else is ignored.
func (h hooks) NotifyMsg(b []byte) {
	if len(b) > 1 && b[0] == msgLeaving {
		h.m.table.markLeaving(string(b[1:]))
	}
}

// GetBroadcasts has no user broadcasts to offer.
func (hooks) GetBroadcasts(overhead, limit int) [][]byte { return nil }

// LocalState has no user state for push/pull.
func (hooks) LocalState(join bool) []byte { return nil }

// MergeRemoteState ignores remote user state.
func (hooks) MergeRemoteState(buf []byte, join bool) {}

// NotifyJoin records a member that joined or came back.
func (h hooks) NotifyJoin(n *memberlist.Node) { h.m.table.join(n) }

// NotifyLeave records a member that died or left.
func (h hooks) NotifyLeave(n *memberlist.Node) { h.m.table.leave(n) }

// NotifyUpdate records a member's new meta.
func (h hooks) NotifyUpdate(n *memberlist.Node) { h.m.table.update(n) }

// NotifyAlive refuses a member whose meta does not decode or whose server
// id another live member holds.
func (h hooks) NotifyAlive(n *memberlist.Node) error { return h.m.table.checkAlive(n) }

// NotifyMerge refuses a join that would bring in a conflicting server id.
func (h hooks) NotifyMerge(peers []*memberlist.Node) error { return h.m.table.checkMerge(peers) }

// NotifyConflict logs two nodes claiming the same name.
func (h hooks) NotifyConflict(existing, other *memberlist.Node) {
	h.m.table.nameConflict(existing, other)
}
