package discovery

import (
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/hashicorp/memberlist"
	"github.com/rs/zerolog"
)

// table is this member's view of the fleet. memberlist's callbacks update it
// (while memberlist holds its own node lock), so its methods never call back
// into memberlist and never block: they take t.mu, log, and queue events.
type table struct {
	log    zerolog.Logger
	events *eventQueue
	local  string
	// forget is how long a dead or left member stays in the table.
	forget time.Duration

	mu sync.Mutex
	// byName holds every member seen and not yet forgotten, this one included.
	// Invariant: no two entries with a live State share a non-zero ServerID.
	byName map[string]*Member
	// refusedWhy remembers the last refusal logged per name, so a refusal
	// repeated by gossip is logged once.
	refusedWhy map[string]string
	refused    uint64
	// lastRefusal is the last join (merge) refusal, for Join to report.
	lastRefusal error
}

func newTable(log zerolog.Logger, events *eventQueue, local string, forget time.Duration) *table {
	return &table{
		log:        log,
		events:     events,
		local:      local,
		forget:     forget,
		byName:     make(map[string]*Member),
		refusedWhy: make(map[string]string),
	}
}

// emitLocked queues an event for m. Called with t.mu held, so events leave
// in the order the table changed.
func (t *table) emitLocked(kind EventKind, m Member) {
	if t.events.push(Event{Kind: kind, Member: m}) {
		t.log.Debug().Str("member", m.Name).Stringer("event", kind).Msg("gossip event queue full, oldest event dropped")
	}
}

func (t *table) decode(n *memberlist.Node) Meta {
	meta, err := DecodeMeta(n.Meta)
	if err != nil {
		// NotifyAlive refuses undecodable meta, so this is a memberlist
		// path that bypassed it; keep the member with an empty Meta.
		t.log.Error().Err(err).Str("member", n.Name).Msg("gossip member has undecodable meta")
	}
	return meta
}

// join records n as alive (memberlist NotifyJoin: new, or back from dead).
func (t *table) join(n *memberlist.Node) {
	meta := t.decode(n)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.joinLocked(n, meta)
}

func (t *table) joinLocked(n *memberlist.Node, meta Meta) {
	m := &Member{Name: n.Name, Addr: n.Address(), Meta: meta, State: StateAlive, Since: time.Now(), Local: n.Name == t.local}
	old, seen := t.byName[n.Name]
	t.byName[n.Name] = m
	delete(t.refusedWhy, n.Name)
	ev := t.log.Info().Str("member", n.Name).Str("addr", m.Addr).Uint64("server_id", meta.ServerID).
		Stringer("role", meta.Role).Str("zone", meta.Zone)
	if seen {
		ev.Stringer("was", old.State).Msg("gossip member alive again")
	} else {
		ev.Msg("gossip member joined")
	}
	t.emitLocked(EventJoin, *m)
}

// update records n's new meta (memberlist NotifyUpdate).
func (t *table) update(n *memberlist.Node) {
	meta := t.decode(n)
	t.mu.Lock()
	defer t.mu.Unlock()
	m, ok := t.byName[n.Name]
	if !ok {
		t.joinLocked(n, meta)
		return
	}
	if meta.Leaving && !m.Meta.Leaving {
		t.log.Info().Str("member", n.Name).Msg("gossip member is leaving")
	}
	m.Meta, m.Addr = meta, n.Address()
	t.emitLocked(EventUpdate, *m)
}

// leave records n as dead, or left if its last meta said it was leaving
// (memberlist NotifyLeave). Each member is logged once per departure.
func (t *table) leave(n *memberlist.Node) {
	meta := t.decode(n)
	t.mu.Lock()
	defer t.mu.Unlock()
	m, ok := t.byName[n.Name]
	if !ok {
		m = &Member{Name: n.Name, Addr: n.Address(), Local: n.Name == t.local}
		t.byName[n.Name] = m
	}
	if !m.State.Live() {
		return
	}
	meta.Leaving = meta.Leaving || m.Meta.Leaving
	m.Meta = meta
	kind := EventDead
	m.State = StateDead
	if meta.Leaving {
		m.State, kind = StateLeft, EventLeft
	}
	m.Since = time.Now()
	if kind == EventLeft {
		t.log.Info().Str("member", n.Name).Str("addr", m.Addr).Msg("gossip member left")
	} else {
		t.log.Warn().Str("member", n.Name).Str("addr", m.Addr).Uint64("server_id", meta.ServerID).Msg("gossip member dead")
	}
	t.emitLocked(kind, *m)
}

// markLeaving records that name announced it is leaving (Leave's direct
// notice, which may arrive before or instead of its meta broadcast).
func (t *table) markLeaving(name string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	m, ok := t.byName[name]
	if !ok || !m.State.Live() || m.Meta.Leaving || name == t.local {
		return
	}
	m.Meta.Leaving = true
	t.log.Info().Str("member", name).Msg("gossip member is leaving")
	t.emitLocked(EventUpdate, *m)
}

// suspect records that this member's prober got no ack from name.
func (t *table) suspect(name string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	m, ok := t.byName[name]
	if !ok || m.State != StateAlive || name == t.local {
		return
	}
	m.State, m.Since = StateSuspect, time.Now()
	t.log.Warn().Str("member", name).Str("addr", m.Addr).Msg("gossip member suspect")
	t.emitLocked(EventSuspect, *m)
}

// sawAliveLocked clears a suspicion of name: an alive message about it arrived.
func (t *table) sawAliveLocked(name string) {
	m, ok := t.byName[name]
	if !ok || m.State != StateSuspect {
		return
	}
	m.State, m.Since = StateAlive, time.Now()
	t.log.Info().Str("member", name).Msg("gossip member no longer suspect")
	t.emitLocked(EventAlive, *m)
}

// holderLocked returns the live member other than name holding id, or "".
func (t *table) holderLocked(id uint64, name string) string {
	if id == 0 {
		return ""
	}
	for _, m := range t.byName {
		if m.Name != name && m.State.Live() && m.Meta.ServerID == id {
			return m.Name
		}
	}
	return ""
}

// holder is holderLocked for callers without t.mu.
func (t *table) holder(id uint64, name string) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.holderLocked(id, name)
}

// refuseLocked counts and logs (once per name and reason) a refusal of
// peer, and queues EventRefused.
func (t *table) refuseLocked(peer *memberlist.Node, meta Meta, err error) {
	t.refused++
	why := err.Error()
	if t.refusedWhy[peer.Name] == why {
		return
	}
	t.refusedWhy[peer.Name] = why
	t.log.Error().Str("member", peer.Name).Str("addr", peer.Address()).Uint64("server_id", meta.ServerID).
		Err(err).Msg("gossip member refused")
	t.emitLocked(EventRefused, Member{Name: peer.Name, Addr: peer.Address(), Meta: meta, State: StateAlive, Since: time.Now()})
}

// checkAlive decides whether an alive message about peer may be accepted
// (memberlist AliveDelegate): its meta must decode and its server id must
// not be held by another live member.
func (t *table) checkAlive(peer *memberlist.Node) error {
	if peer.Name == t.local {
		return nil
	}
	meta, err := DecodeMeta(peer.Meta)
	t.mu.Lock()
	defer t.mu.Unlock()
	if err != nil {
		t.refuseLocked(peer, meta, err)
		return err
	}
	if h := t.holderLocked(meta.ServerID, peer.Name); h != "" {
		cerr := &ConflictError{ServerID: meta.ServerID, Name: peer.Name, Holder: h}
		t.refuseLocked(peer, meta, cerr)
		return cerr
	}
	t.sawAliveLocked(peer.Name)
	return nil
}

// checkMerge decides whether a join (push/pull merge) with a member whose
// view is peers may go ahead (memberlist MergeDelegate). It is called on
// both sides of a join. A live peer whose server id is held by another live
// member here cancels the merge; if the holder is this member, the error
// says this member is the one refused.
func (t *table) checkMerge(peers []*memberlist.Node) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, p := range peers {
		if p.Name == t.local || p.State == memberlist.StateDead || p.State == memberlist.StateLeft {
			continue
		}
		meta, err := DecodeMeta(p.Meta)
		if err != nil {
			t.refuseLocked(p, meta, err)
			t.lastRefusal = fmt.Errorf("discovery: member %q has bad meta: %w", p.Name, err)
			return t.lastRefusal
		}
		h := t.holderLocked(meta.ServerID, p.Name)
		if h == "" {
			continue
		}
		cerr := &ConflictError{ServerID: meta.ServerID, Name: p.Name, Holder: h}
		if h == t.local {
			cerr = &ConflictError{ServerID: meta.ServerID, Name: t.local, Holder: p.Name}
		}
		t.refuseLocked(p, meta, cerr)
		t.lastRefusal = cerr
		return cerr
	}
	return nil
}

// takeRefusal returns and clears the last merge refusal.
func (t *table) takeRefusal() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	err := t.lastRefusal
	t.lastRefusal = nil
	return err
}

// nameConflict logs that another node claims this member's name (or
// another's) from a different address.
func (t *table) nameConflict(existing, other *memberlist.Node) {
	t.mu.Lock()
	defer t.mu.Unlock()
	why := "name conflict from " + other.Address()
	if t.refusedWhy[other.Name] == why {
		return
	}
	t.refusedWhy[other.Name] = why
	t.refused++
	t.log.Error().Str("member", existing.Name).Str("addr", existing.Address()).Str("other_addr", other.Address()).
		Msg("gossip name conflict: two nodes claim the same name from different addresses")
}

// reapLocked forgets members dead or left for longer than t.forget.
func (t *table) reapLocked(now time.Time) {
	for name, m := range t.byName {
		if !m.State.Live() && now.Sub(m.Since) > t.forget {
			delete(t.byName, name)
		}
	}
}

// snapshot returns every member, sorted by name.
func (t *table) snapshot() []Member {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.reapLocked(time.Now())
	out := make([]Member, 0, len(t.byName))
	for _, m := range t.byName {
		out = append(out, *m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// get returns the member named name.
func (t *table) get(name string) (Member, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	m, ok := t.byName[name]
	if !ok {
		return Member{}, false
	}
	return *m, true
}

// stats counts members by state and role.
func (t *table) stats() Stats {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.reapLocked(time.Now())
	s := Stats{Members: len(t.byName), Refused: t.refused}
	for _, m := range t.byName {
		s.count(m)
	}
	return s
}
