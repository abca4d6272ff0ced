package zab

import (
	"fmt"
	"slices"
	"testing"
)

// peer is one member driven by the test harness.
type peer struct {
	n     *Node
	store *MemoryStorage
	sm    *MemoryStateMachine
	// durableEpoch and durableLast are what the driver has made durable,
	// to check the Ready contract.
	durable HardState
	last    Zxid
}

// world is a tiny synchronous driver: Readys are persisted and advanced at
// once, messages go to a FIFO queue the test delivers from. Every Ready is
// checked against the persistence contract.
type world struct {
	t     *testing.T
	peers map[ServerID]*peer
	queue []Message
	// drop, if set, discards matching messages when they are sent.
	drop func(Message) bool
	// onReady sees each Ready before it is persisted.
	onReady func(id ServerID, rd Ready)
	// batch lists members that take several messages into one Ready (a
	// driver that steps everything it has read before persisting).
	batch map[ServerID]bool
	log   []string
	// configOf, if set, is every member's Config.ConfigOf.
	configOf func([]byte) (Membership, bool)
}

func newWorld(t *testing.T, voters, observers int) *world {
	return newWorldWith(t, voters, observers, nil)
}

// newWorldWith is newWorld with every member's Config.ConfigOf set.
func newWorldWith(t *testing.T, voters, observers int, configOf func([]byte) (Membership, bool)) *world {
	w := &world{t: t, peers: map[ServerID]*peer{}, configOf: configOf}
	var vs, os []ServerID
	for i := 1; i <= voters+observers; i++ {
		if i <= voters {
			vs = append(vs, ServerID(i))
		} else {
			os = append(os, ServerID(i))
		}
	}
	for i := 1; i <= voters+observers; i++ {
		w.boot(ServerID(i), vs, os, NewMemoryStorage())
	}
	return w
}

func (w *world) boot(id ServerID, vs, os []ServerID, st *MemoryStorage) {
	cfg := DefaultConfig()
	cfg.ID, cfg.Voters, cfg.Observers = id, vs, os
	cfg.Seed = int64(id)
	cfg.Storage = st
	sm := &MemoryStateMachine{}
	cfg.StateMachine = sm
	cfg.ConfigOf = w.configOf
	n, err := New(cfg)
	if err != nil {
		w.t.Fatal(err)
	}
	hs, _ := st.HardState()
	last, _ := st.LastZxid()
	w.peers[id] = &peer{n: n, store: st, sm: sm, durable: hs, last: last}
	w.drain(id)
}

func (w *world) ids() []ServerID {
	var ids []ServerID
	for id := range w.peers {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// drain handles id's Readys, checking the contract.
func (w *world) drain(id ServerID) {
	p := w.peers[id]
	for p.n.HasReady() {
		rd := p.n.Ready()
		if w.onReady != nil {
			w.onReady(id, rd)
		}
		w.checkContract(id, p, rd)
		if rd.Snapshot != nil {
			must(w.t, p.store.ApplySnapshot(*rd.Snapshot, true))
			p.sm.Restore(*rd.Snapshot)
		}
		if rd.Truncate != nil {
			must(w.t, p.store.Truncate(*rd.Truncate))
		}
		must(w.t, p.store.Append(rd.Entries))
		if rd.HardState != nil {
			must(w.t, p.store.SetHardState(*rd.HardState))
			p.durable = *rd.HardState
		}
		p.last, _ = p.store.LastZxid()
		for _, m := range rd.Messages {
			if w.drop != nil && w.drop(m) {
				continue
			}
			w.queue = append(w.queue, m)
		}
		for _, e := range rd.CommittedEntries {
			if e.Zxid <= p.sm.Last() {
				w.t.Fatalf("%d applies %s after %s", id, e.Zxid, p.sm.Last())
			}
			p.sm.Apply(e)
		}
		for _, ev := range rd.Events {
			w.log = append(w.log, fmt.Sprintf("%d %s %s %d %d", id, ev.Type, ev.Role, ev.Leader, ev.Epoch))
		}
		p.n.Advance(rd)
	}
}

// checkContract asserts what Ready's doc comment promises: messages only
// acknowledge state that was durable before this Ready, and a new
// currentEpoch never shares a Ready with the log changes it depends on.
func (w *world) checkContract(id ServerID, p *peer, rd Ready) {
	for _, m := range rd.Messages {
		switch m.Type {
		case MsgAck, MsgAckNewLeader:
			if m.Zxid > p.last {
				w.t.Fatalf("%d sends %s before %s is durable (durable last %s)", id, m, m.Zxid, p.last)
			}
		}
		switch m.Type {
		case MsgAckNewLeader:
			if p.durable.CurrentEpoch == 0 || (rd.HardState != nil && rd.HardState.CurrentEpoch != p.durable.CurrentEpoch) {
				w.t.Fatalf("%d sends %s before its currentEpoch is durable", id, m)
			}
		case MsgAckEpoch:
			if rd.HardState != nil && rd.HardState.AcceptedEpoch != p.durable.AcceptedEpoch {
				w.t.Fatalf("%d sends %s before its acceptedEpoch is durable", id, m)
			}
		}
	}
	if rd.HardState != nil && rd.HardState.CurrentEpoch != p.durable.CurrentEpoch {
		if rd.Snapshot != nil || rd.Truncate != nil {
			w.t.Fatalf("%d writes currentEpoch %d with a snapshot or truncation in the same Ready", id, rd.HardState.CurrentEpoch)
		}
		for _, e := range rd.Entries {
			if e.Zxid.Epoch() != rd.HardState.CurrentEpoch {
				w.t.Fatalf("%d writes currentEpoch %d with synced txn %s in the same Ready", id, rd.HardState.CurrentEpoch, e.Zxid)
			}
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// deliver delivers queued messages in order until the queue is empty (or
// max deliveries), dropping those for absent peers.
func (w *world) deliver(max int) int {
	n := 0
	for len(w.queue) > 0 && (max <= 0 || n < max) {
		m := w.queue[0]
		w.queue = w.queue[1:]
		n++
		p := w.peers[m.To]
		if p == nil {
			continue
		}
		must(w.t, p.n.Step(m))
		if !w.batch[m.To] {
			w.drain(m.To)
		}
		if len(w.queue) == 0 {
			for _, id := range w.ids() {
				w.drain(id)
			}
		}
	}
	return n
}

func (w *world) tick(n int) {
	for i := 0; i < n; i++ {
		for _, id := range w.ids() {
			w.peers[id].n.Tick()
			w.drain(id)
		}
		w.deliver(0)
	}
}

// stable runs until some member is an established leader and every other
// member is synced, or fails.
func (w *world) stable() ServerID {
	for i := 0; i < 200; i++ {
		w.tick(1)
		var leader ServerID
		all := true
		for _, id := range w.ids() {
			s := w.peers[id].n.Status()
			switch {
			case s.Role == RoleLeading && s.Established:
				leader = id
			case !s.Synced:
				all = false
			}
		}
		if leader != 0 && all {
			return leader
		}
	}
	w.t.Fatalf("no stable leader; events %v", w.log)
	return 0
}

func (w *world) propose(id ServerID, data string) Zxid {
	z, err := w.peers[id].n.Propose([]byte(data))
	must(w.t, err)
	w.drain(id)
	return z
}

func (w *world) zxids(id ServerID) []Zxid {
	ents, err := w.peers[id].store.Entries(0, 0)
	must(w.t, err)
	var zs []Zxid
	for _, e := range ents {
		zs = append(zs, e.Zxid)
	}
	return zs
}
