package znode

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/zkmesh/zkmesh/jute"
)

// Sessions used throughout the tests.
const (
	sessA int64 = 0x1000000000000a
	sessB int64 = 0x1000000000000b
)

var (
	bobID   = jute.Id{Scheme: SchemeDigest, ID: DigestID("bob:secret")}
	aliceID = jute.Id{Scheme: SchemeDigest, ID: DigestID("alice:pw")}
	ipID    = jute.Id{Scheme: SchemeIP, ID: "127.0.0.1"}
	superID = jute.Id{Scheme: SchemeSuper, ID: ""}
)

// harness drives Prep.Prepare and Tree.Apply the way the server does: every
// txn gets the next zxid and a time derived from it, and Applied is called
// after each Apply.
type harness struct {
	t    testing.TB
	tree *Tree
	prep *Prep
	zxid int64
}

func newHarness(t testing.TB) *harness {
	return newHarnessCfg(t, PrepConfig{ExtendedTypesEnabled: true})
}

func newHarnessCfg(t testing.TB, cfg PrepConfig) *harness {
	tree := NewTree()
	return &harness{t: t, tree: tree, prep: NewPrep(tree, cfg)}
}

// timeOf is the fixed txn time of zxid.
func timeOf(zxid int64) int64 { return 1_700_000_000_000 + zxid*10 }

// txn is one prepared, not yet applied, txn.
type txn struct {
	hdr  jute.TxnHeader
	body jute.Record
}

// prepare prepares req under the next zxid.
func (h *harness) prepare(req *Request) txn {
	h.t.Helper()
	h.zxid++
	hdr, body := h.prep.Prepare(h.zxid, timeOf(h.zxid), req)
	if hdr.Zxid != h.zxid || hdr.Time != timeOf(h.zxid) || hdr.ClientID != req.SessionID || hdr.Cxid != req.Cxid {
		h.t.Fatalf("Prepare header %+v does not carry zxid %d, its time, session and cxid of %+v", hdr, h.zxid, req)
	}
	return txn{hdr, body}
}

// apply applies a prepared txn and tells Prep about it.
func (h *harness) apply(x txn) Result {
	h.t.Helper()
	r := h.tree.Apply(&x.hdr, x.body)
	h.prep.Applied(x.hdr.Zxid)
	if got := h.tree.LastZxid(); got != x.hdr.Zxid {
		h.t.Fatalf("LastZxid = %d after applying zxid %d", got, x.hdr.Zxid)
	}
	return r
}

// do prepares and applies req.
func (h *harness) do(req *Request) Result {
	h.t.Helper()
	return h.apply(h.prepare(req))
}

// must runs req and fails the test unless it succeeds.
func (h *harness) must(req *Request) Result {
	h.t.Helper()
	r := h.do(req)
	if r.Err != jute.CodeOK {
		h.t.Fatalf("%v %s: %v", req.Type, opPath(req.Body), r.Err)
	}
	return r
}

func (h *harness) stat(path string) jute.Stat {
	h.t.Helper()
	_, s, err := h.tree.GetData(path, []jute.Id{superID}, nil)
	if err != nil {
		h.t.Fatalf("GetData(%s): %v", path, err)
	}
	return s
}

func (h *harness) data(path string) string {
	h.t.Helper()
	d, _, err := h.tree.GetData(path, []jute.Id{superID}, nil)
	if err != nil {
		h.t.Fatalf("GetData(%s): %v", path, err)
	}
	return string(d)
}

func (h *harness) children(path string) []string {
	h.t.Helper()
	c, _, err := h.tree.GetChildren(path, []jute.Id{superID}, nil)
	if err != nil {
		h.t.Fatalf("GetChildren(%s): %v", path, err)
	}
	return c
}

func (h *harness) exists(path string) bool {
	_, err := h.tree.Exists(path, []jute.Id{superID}, nil)
	return err == nil
}

// Request builders. Every request comes from sessA with no auth unless the
// caller changes it.

func createReq(path, data string, mode jute.CreateMode) *Request {
	return &Request{SessionID: sessA, Type: jute.OpCreate2, Body: &jute.CreateRequest{Path: path, Data: []byte(data), ACL: jute.OpenACLUnsafe, Flags: mode}}
}

func createACLReq(path string, acl []jute.ACL, auth ...jute.Id) *Request {
	return &Request{SessionID: sessA, Type: jute.OpCreate2, Auth: auth, Body: &jute.CreateRequest{Path: path, Data: []byte{}, ACL: acl}}
}

func containerReq(path string) *Request {
	return &Request{SessionID: sessA, Type: jute.OpCreateContainer, Body: &jute.CreateRequest{Path: path, Data: []byte{}, ACL: jute.OpenACLUnsafe, Flags: jute.ModeContainer}}
}

func ttlReq(path string, mode jute.CreateMode, ttl int64) *Request {
	return &Request{SessionID: sessA, Type: jute.OpCreateTTL, Body: &jute.CreateTTLRequest{Path: path, Data: []byte{}, ACL: jute.OpenACLUnsafe, Flags: mode, TTL: ttl}}
}

func deleteReq(path string, version int32) *Request {
	return &Request{SessionID: sessA, Type: jute.OpDelete, Body: &jute.DeleteRequest{Path: path, Version: version}}
}

func setDataReq(path, data string, version int32) *Request {
	return &Request{SessionID: sessA, Type: jute.OpSetData, Body: &jute.SetDataRequest{Path: path, Data: []byte(data), Version: version}}
}

func setACLReq(path string, acl []jute.ACL, version int32) *Request {
	return &Request{SessionID: sessA, Type: jute.OpSetACL, Body: &jute.SetACLRequest{Path: path, ACL: acl, Version: version}}
}

func checkReq(path string, version int32) *Request {
	return &Request{SessionID: sessA, Type: jute.OpCheck, Body: &jute.CheckVersionRequest{Path: path, Version: version}}
}

func multiReq(ops ...*Request) *Request {
	m := &jute.MultiRequest{}
	for _, op := range ops {
		m.Ops = append(m.Ops, jute.MultiOp{Type: op.Type, Req: op.Body})
	}
	return &Request{SessionID: sessA, Type: jute.OpMulti, Body: m}
}

func closeReq(session int64) *Request {
	return &Request{SessionID: session, Type: jute.OpCloseSession}
}

func createSessionReq(session int64, timeoutMs int32) *Request {
	return &Request{SessionID: session, Type: jute.OpCreateSession, Body: &jute.CreateSessionTxn{TimeOut: timeoutMs}}
}

func as(session int64, r *Request) *Request { r.SessionID = session; return r }

func withAuth(r *Request, ids ...jute.Id) *Request { r.Auth = ids; return r }

// recWatcher is the in-memory Watcher double: it records events.
type recWatcher struct {
	session int64
	ids     []jute.Id
	events  []Event
}

var _ Watcher = (*recWatcher)(nil)

func newWatcher(session int64, ids ...jute.Id) *recWatcher {
	return &recWatcher{session: session, ids: ids}
}

func (w *recWatcher) Event(ev Event)     { w.events = append(w.events, ev) }
func (w *recWatcher) AuthIDs() []jute.Id { return w.ids }
func (w *recWatcher) SessionID() int64   { return w.session }

// take returns the events so far, formatted, and forgets them.
func (w *recWatcher) take() []string {
	out := make([]string, len(w.events))
	for i, e := range w.events {
		out[i] = fmtEvent(e)
	}
	w.events = nil
	return out
}

// takeSorted is take with the events sorted, for events of one txn whose
// order among different paths is not specified.
func (w *recWatcher) takeSorted() []string {
	out := w.take()
	sort.Strings(out)
	return out
}

func fmtEvent(e Event) string {
	names := map[jute.EventType]string{
		jute.EventNodeCreated:         "created",
		jute.EventNodeDeleted:         "deleted",
		jute.EventNodeDataChanged:     "changed",
		jute.EventNodeChildrenChanged: "children",
	}
	return fmt.Sprintf("%s %s", names[e.Type], e.Path)
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// checkInvariants verifies the tree's structural invariants from the
// inside: parent links, child lists, the ephemeral/container/TTL indexes and
// dataSize.
func checkInvariants(t testing.TB, tr *Tree) {
	t.Helper()
	tr.mu.RLock()
	defer tr.mu.RUnlock()
	if tr.nodes["/"] == nil {
		t.Fatal("invariant: no root")
	}
	var size int64
	eph, cont, ttls := 0, 0, 0
	for p, n := range tr.nodes {
		if p != "/" {
			if err := ValidatePath(p); err != nil {
				t.Fatalf("invariant: node at invalid path %q", p)
			}
			parent, name := splitPath(p)
			pn := tr.nodes[parent]
			if pn == nil {
				t.Fatalf("invariant: %s has no parent", p)
			}
			if _, ok := pn.children[name]; !ok {
				t.Fatalf("invariant: %s not listed by its parent", p)
			}
		}
		for c := range n.children {
			if tr.nodes[childPath(p, c)] == nil {
				t.Fatalf("invariant: %s lists missing child %s", p, c)
			}
		}
		size += int64(len(p) + len(n.data))
		switch kindOf(n.stat.EphemeralOwner) {
		case kindEphemeral:
			eph++
			if _, ok := tr.ephemerals[n.stat.EphemeralOwner][p]; !ok {
				t.Fatalf("invariant: ephemeral %s not indexed under its owner", p)
			}
			if len(n.children) != 0 {
				t.Fatalf("invariant: ephemeral %s has children", p)
			}
		case kindContainer:
			cont++
			if _, ok := tr.containers[p]; !ok {
				t.Fatalf("invariant: container %s not indexed", p)
			}
		case kindTTL:
			ttls++
			if _, ok := tr.ttls[p]; !ok {
				t.Fatalf("invariant: TTL node %s not indexed", p)
			}
		}
	}
	n := 0
	for _, ps := range tr.ephemerals {
		n += len(ps)
	}
	if n != eph || len(tr.containers) != cont || len(tr.ttls) != ttls {
		t.Fatalf("invariant: indexes hold %d/%d/%d entries, nodes %d/%d/%d", n, len(tr.containers), len(tr.ttls), eph, cont, ttls)
	}
	if size != tr.dataSize {
		t.Fatalf("invariant: dataSize %d, nodes add up to %d", tr.dataSize, size)
	}
}

// dump renders everything a tree holds, canonically: last zxid, sessions,
// and every node with its raw Stat, ACL, data and children.
func dump(tr *Tree) string {
	tr.mu.RLock()
	defer tr.mu.RUnlock()
	var b strings.Builder
	fmt.Fprintf(&b, "lastZxid %d\n", tr.lastZxid)
	ids := make([]int64, 0, len(tr.sessions))
	for id := range tr.sessions {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		fmt.Fprintf(&b, "session %#x %d\n", id, tr.sessions[id])
	}
	paths := make([]string, 0, len(tr.nodes))
	for p := range tr.nodes {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		n := tr.nodes[p]
		fmt.Fprintf(&b, "%s %q nil=%v %+v %v %v\n", p, n.data, n.data == nil, n.stat, n.acl, n.sortedChildren())
	}
	return b.String()
}
