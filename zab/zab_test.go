package zab

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestConfigValidateNamesBadField(t *testing.T) {
	good := DefaultConfig()
	good.ID, good.Voters, good.Observers = 1, []ServerID{1, 2, 3}, []ServerID{4}
	good.Storage, good.StateMachine = NewMemoryStorage(), &MemoryStateMachine{}
	if err := good.Validate(); err != nil {
		t.Fatalf("good config: %v", err)
	}
	cases := []struct {
		field string
		mod   func(*Config)
	}{
		{"ID", func(c *Config) { c.ID = 0 }},
		{"ID", func(c *Config) { c.ID = 9 }},
		{"Voters", func(c *Config) { c.Voters = nil }},
		{"Voters", func(c *Config) { c.Voters = []ServerID{1, 1} }},
		{"Observers", func(c *Config) { c.Observers = []ServerID{2} }},
		{"ElectionTicks", func(c *Config) { c.ElectionTicks = 0 }},
		{"HeartbeatTicks", func(c *Config) { c.HeartbeatTicks = 0 }},
		{"SyncLimitTicks", func(c *Config) { c.SyncLimitTicks = c.HeartbeatTicks }},
		{"InitLimitTicks", func(c *Config) { c.InitLimitTicks = c.SyncLimitTicks - 1 }},
		{"Storage", func(c *Config) { c.Storage = nil }},
		{"StateMachine", func(c *Config) { c.StateMachine = nil }},
	}
	for _, tc := range cases {
		c := good
		tc.mod(&c)
		err := c.Validate()
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.field+":") {
			t.Errorf("%s: got %v", tc.field, err)
		}
	}
}

func TestZxidParts(t *testing.T) {
	z := MakeZxid(7, 42)
	if z.Epoch() != 7 || z.Counter() != 42 || z.String() != "0x70000002a" {
		t.Fatalf("zxid %v: epoch %d counter %d", z, z.Epoch(), z.Counter())
	}
}

func TestElectProposeCommit(t *testing.T) {
	for _, tc := range []struct{ voters, observers int }{{1, 0}, {1, 2}, {3, 0}, {3, 1}, {5, 3}} {
		w := newWorld(t, tc.voters, tc.observers)
		l := w.stable()
		if want := ServerID(tc.voters); l != want {
			t.Errorf("%+v: leader %d, want the highest id %d on equal logs", tc, l, want)
		}
		var zs []Zxid
		for i := 0; i < 5; i++ {
			zs = append(zs, w.propose(l, "x"))
		}
		w.tick(3)
		for _, id := range w.ids() {
			p := w.peers[id]
			if got := p.sm.Last(); got != zs[len(zs)-1] {
				t.Errorf("%+v: member %d applied up to %s, want %s", tc, id, got, zs[len(zs)-1])
			}
			if s := p.n.Status(); s.CurrentEpoch != 1 {
				t.Errorf("%+v: member %d epoch %d", tc, id, s.CurrentEpoch)
			}
		}
		if zs[0] != MakeZxid(1, 1) {
			t.Errorf("first zxid %s", zs[0])
		}
	}
}

func TestProposeOnlyOnEstablishedLeader(t *testing.T) {
	w := newWorld(t, 3, 0)
	if _, err := w.peers[1].n.Propose([]byte("x")); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("looking member accepted a proposal: %v", err)
	}
	l := w.stable()
	for _, id := range w.ids() {
		if id != l {
			if _, err := w.peers[id].n.Propose([]byte("x")); !errors.Is(err, ErrNotLeader) {
				t.Fatalf("follower %d accepted a proposal: %v", id, err)
			}
		}
	}
}

func TestCounterAboutToWrapForcesNewEpoch(t *testing.T) {
	w := newWorld(t, 3, 0)
	l := w.stable()
	w.propose(l, "a")
	w.tick(2)
	n := w.peers[l].n
	// Pretend the epoch is nearly used up.
	n.lastZxid = MakeZxid(1, 0xfffffffe)
	_, err := n.Propose([]byte("b"))
	if !errors.Is(err, ErrNotLeader) || !errors.Is(err, ErrEpochExhausted) {
		t.Fatalf("got %v", err)
	}
	if n.Status().Role != RoleLooking {
		t.Fatalf("leader did not step down: %v", n.Status().Role)
	}
	n.lastZxid = MakeZxid(1, 1)
	w.drain(l)
	l2 := w.stable()
	if e := w.peers[l2].n.Status().CurrentEpoch; e != 2 {
		t.Fatalf("new epoch %d, want 2", e)
	}
	if z := w.propose(l2, "c"); z != MakeZxid(2, 1) {
		t.Fatalf("first zxid of new epoch %s", z)
	}
}

func TestObserverNeverCountsTowardQuorum(t *testing.T) {
	w := newWorld(t, 3, 2)
	l := w.stable()
	// Cut the leader off from the other voters: only observers hear it.
	w.drop = func(m Message) bool {
		return (m.From == l || m.To == l) && m.From <= 3 && m.To <= 3
	}
	z := w.propose(l, "x")
	w.deliver(0)
	if c := w.peers[l].n.Status().Committed; c >= z {
		t.Fatalf("committed %s with only observers acking", c)
	}
	for i := 0; i < 15; i++ {
		w.tick(1)
	}
	if r := w.peers[l].n.Status().Role; r == RoleLeading {
		t.Fatalf("leader without a voter quorum is still leading")
	}
}

func TestFollowerLosingLeaderGoesLooking(t *testing.T) {
	w := newWorld(t, 3, 0)
	l := w.stable()
	delete(w.peers, l) // crash
	var f ServerID
	for _, id := range w.ids() {
		f = id
	}
	for i := 0; i < DefaultConfig().SyncLimitTicks+1; i++ {
		w.tick(1)
		if w.peers[f].n.Status().Role == RoleLooking {
			return
		}
	}
	t.Fatalf("follower still %v after syncLimit without its leader", w.peers[f].n.Status().Role)
}

func TestAppMessages(t *testing.T) {
	w := newWorld(t, 3, 1)
	l := w.stable()
	var got []string
	w.onReady = func(id ServerID, rd Ready) {
		for _, a := range rd.AppMessages {
			got = append(got, string(rune('0'+id))+"<"+string(rune('0'+a.From))+":"+string(a.Data))
		}
	}
	must(t, w.peers[4].n.SendToLeader([]byte("fwd")))
	w.drain(4)
	w.deliver(0)
	must(t, w.peers[l].n.Send(4, []byte("done")))
	w.drain(l)
	w.deliver(0)
	must(t, w.peers[l].n.SendToLeader([]byte("self")))
	w.drain(l)
	want := []string{"3<4:fwd", "4<3:done", "3<3:self"}
	if !slices.Equal(got, want) {
		t.Fatalf("app messages %v, want %v", got, want)
	}
	if err := w.peers[1].n.Send(2, nil); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("follower Send: %v", err)
	}
}

// joinLate boots a 3-voter ensemble where member 1 is cut off while the
// leader (3) and member 2 commit txns. With newEpoch, the leader then
// crashes, so that 1 rejoins under leader 2 in epoch 2; otherwise 1 rejoins
// leader 3 in epoch 1. hook sees every Ready from then on.
func joinLate(t *testing.T, newEpoch bool, hook func(id ServerID, rd Ready)) *world {
	w := newWorld(t, 3, 0)
	l := w.stable()
	if l != 3 {
		t.Fatalf("leader %d", l)
	}
	w.drop = func(m Message) bool { return m.From == 1 || m.To == 1 }
	for i := 0; i < 4; i++ {
		w.propose(l, "x")
	}
	w.tick(DefaultConfig().SyncLimitTicks + 2)
	if r := w.peers[1].n.Status().Role; r != RoleLooking {
		t.Fatalf("isolated member is %v", r)
	}
	if newEpoch {
		delete(w.peers, 3)
		w.queue = nil
	}
	w.drop = nil
	w.onReady = hook
	return w
}

// The follower's ACK of NEWLEADER never goes out before the txns of the
// DIFF are durable: ZOOKEEPER-3911 (uncommitted txns of a DIFF acked
// before being logged), ZOOKEEPER-4646 (ACK before the txns reach the
// disk) and ZOOKEEPER-4785 (the ACK racing the asynchronous logging).
func TestZOOKEEPER3911_4646_4785_AckNewLeaderAfterSyncDurable(t *testing.T) {
	var seq []string
	w := joinLate(t, true, func(id ServerID, rd Ready) {
		if id != 1 {
			return
		}
		if len(rd.Entries) > 0 {
			seq = append(seq, "entries")
		}
		if rd.HardState != nil {
			seq = append(seq, "hardstate")
		}
		for _, m := range rd.Messages {
			if m.Type == MsgAckNewLeader {
				seq = append(seq, "acknewleader")
			}
		}
	})
	w.batch = map[ServerID]bool{1: true}
	w.stable()
	if len(seq) < 3 || !slices.Equal(seq[len(seq)-3:], []string{"entries", "hardstate", "acknewleader"}) {
		t.Fatalf("follower Readys: %v; want the DIFF, then the epoch, then the ack, each in its own Ready", seq)
	}
	if got, want := w.zxids(1), w.zxids(2); !slices.Equal(got, want) || len(got) != 4 {
		t.Fatalf("follower log %v, leader %v", got, want)
	}
}

// ZOOKEEPER-4643: the new currentEpoch is never written in the Ready that
// writes the synced txns, so no crash can leave a member with the new
// epoch and without them. The harness checks every Ready of every test;
// this test makes the dangerous Ready happen.
func TestZOOKEEPER4643_EpochNeverWithSyncedTxns(t *testing.T) {
	sawDiff := false
	w := joinLate(t, true, func(id ServerID, rd Ready) {
		if id == 1 && len(rd.Entries) > 0 {
			sawDiff = true
			if rd.HardState != nil && rd.HardState.CurrentEpoch != 0 {
				t.Fatalf("epoch %d written with the DIFF", rd.HardState.CurrentEpoch)
			}
		}
	})
	w.batch = map[ServerID]bool{1: true}
	w.stable()
	if !sawDiff {
		t.Fatal("no DIFF happened")
	}
}

// ZOOKEEPER-4394: a COMMIT that arrives after NEWLEADER and before
// UPTODATE, for a proposal sent during synchronisation, is a zxid checked
// against the log, not a lookup in a queue that can miss.
func TestZOOKEEPER4394_CommitBetweenNewLeaderAndUpToDate(t *testing.T) {
	var got []MessageType
	w := joinLate(t, false, nil)
	// Let 1 rejoin: run until the leader has sent it NEWLEADER but before
	// 1 acks it.
	held := []Message{}
	w.drop = func(m Message) bool {
		// Hold 1's ACK of NEWLEADER, and everything it sends after it (the
		// link is a stream).
		if m.From == 1 && (m.Type == MsgAckNewLeader || len(held) > 0) {
			held = append(held, m)
			return true
		}
		return false
	}
	w.onReady = func(id ServerID, rd Ready) {
		for _, m := range rd.Messages {
			if m.To == 1 && m.From == 3 && m.Type != MsgPing && m.Type != MsgVote {
				got = append(got, m.Type)
			}
		}
	}
	for i := 0; i < 40 && len(held) == 0; i++ {
		w.tick(1)
	}
	if len(held) == 0 {
		t.Fatal("member 1 never acked NEWLEADER")
	}
	// 1 is not up to date: the leader's app cannot answer it yet (an answer
	// would overtake the commits it stands for).
	if err := w.peers[3].n.Send(1, []byte("synced")); !errors.Is(err, ErrUnknownPeer) {
		t.Fatalf("Send to a learner mid-sync: %v", err)
	}
	// While 1's ack is in flight, the leader proposes and commits (2 acks).
	z := w.propose(3, "during-sync")
	w.deliver(0)
	if c := w.peers[3].n.Status().Committed; c < z {
		t.Fatalf("leader did not commit %s", z)
	}
	w.drop = nil
	w.queue = append(w.queue, held...)
	w.deliver(0)
	w.tick(2)
	want := []MessageType{MsgLeaderInfo, MsgSync, MsgNewLeader, MsgProposal, MsgCommit, MsgUpToDate}
	if !slices.Equal(got[:len(want)], want) {
		t.Fatalf("leader sent 1: %v, want %v first", got, want)
	}
	s := w.peers[1].n.Status()
	if !s.Synced || s.Applied != z || s.Role != RoleFollowing {
		t.Fatalf("member 1 after the interleaving: %+v", s)
	}
}

// A follower holding a txn that never committed is truncated.
func TestTruncUncommittedTail(t *testing.T) {
	w := newWorld(t, 3, 0)
	l := w.stable()
	w.propose(l, "a")
	w.tick(2)
	// The leader proposes a txn only it logs, then dies; 1 and 2 elect.
	w.drop = func(m Message) bool { return m.From == l }
	w.propose(l, "lost")
	old := w.peers[l]
	delete(w.peers, l)
	w.drop = nil
	l2 := w.stable()
	w.propose(l2, "b")
	w.tick(2)
	// The old leader comes back: its tail must go.
	hs, _ := old.store.HardState()
	_ = hs
	var modes []SyncMode
	w.onReady = func(id ServerID, rd Ready) {
		for _, m := range rd.Messages {
			if m.Type == MsgSync && m.To == l {
				modes = append(modes, m.Mode)
			}
		}
	}
	w.boot(l, []ServerID{1, 2, 3}, nil, old.store)
	w.stable()
	if !slices.Equal(modes, []SyncMode{SyncTrunc}) {
		t.Fatalf("sync modes %v, want TRUNC", modes)
	}
	if got, want := w.zxids(l), w.zxids(l2); !slices.Equal(got, want) {
		t.Fatalf("old leader log %v, new leader %v", got, want)
	}
}

// A learner behind the leader's compacted log gets a snapshot.
func TestSnapWhenCompacted(t *testing.T) {
	w := newWorld(t, 3, 0)
	l := w.stable()
	w.drop = func(m Message) bool { return m.From == 1 || m.To == 1 }
	for i := 0; i < 3; i++ {
		w.propose(l, "x")
	}
	w.tick(DefaultConfig().SyncLimitTicks + 2)
	// Compact every log but 1's.
	for _, id := range []ServerID{2, 3} {
		p := w.peers[id]
		snap, _ := p.sm.Snapshot()
		must(t, p.store.ApplySnapshot(snap, false))
	}
	var modes []SyncMode
	w.drop = nil
	w.onReady = func(id ServerID, rd Ready) {
		for _, m := range rd.Messages {
			if m.Type == MsgSync && m.To == 1 {
				modes = append(modes, m.Mode)
			}
		}
	}
	w.stable()
	if !slices.Equal(modes, []SyncMode{SyncSnap}) {
		t.Fatalf("sync modes %v, want SNAP", modes)
	}
	if a, b := w.peers[1].n.Status().Applied, w.peers[l].n.Status().Applied; a != b {
		t.Fatalf("member 1 applied %s, leader %s", a, b)
	}
}

// A gap in a connection's sequence breaks it; duplicates are ignored.
func TestConnectionGapAndDuplicates(t *testing.T) {
	w := newWorld(t, 3, 0)
	l := w.stable()
	var f ServerID = 1
	var dup Message
	w.onReady = func(id ServerID, rd Ready) {
		for _, m := range rd.Messages {
			if m.To == f && m.Type == MsgProposal {
				dup = m
			}
		}
	}
	w.propose(l, "a")
	w.deliver(0)
	must(t, w.peers[f].n.Step(dup)) // duplicate: ignored
	w.drain(f)
	if r := w.peers[f].n.Status().Role; r != RoleFollowing {
		t.Fatalf("duplicate broke the follower: %v", r)
	}
	gap := dup
	gap.Seq += 5
	must(t, w.peers[f].n.Step(gap))
	if r := w.peers[f].n.Status().Role; r != RoleLooking {
		t.Fatalf("gap did not break the connection: %v", r)
	}
}

func TestStatusFigures(t *testing.T) {
	w := newWorld(t, 3, 2)
	l := w.stable()
	s := w.peers[l].n.Status()
	if s.SyncedFollowers != 2 || s.SyncedObservers != 2 || s.PendingSyncs != 0 || !s.Established {
		t.Fatalf("leader status %+v", s)
	}
	if s := w.peers[5].n.Status(); s.Role != RoleObserving || !s.Synced || s.Leader != l {
		t.Fatalf("observer status %+v", s)
	}
}

// Election is only a hint: a leader that finds a voter with a more recent
// history among those acking its epoch steps down instead of truncating
// it (ZooKeeper's "Follower is ahead of the leader").
func TestLeaderStepsDownWhenAVoterIsAhead(t *testing.T) {
	w := &world{t: t, peers: map[ServerID]*peer{}}
	vs := []ServerID{1, 2, 3}
	ahead := NewMemoryStorage()
	must(t, ahead.SetHardState(HardState{AcceptedEpoch: 1, CurrentEpoch: 1}))
	must(t, ahead.Append([]Entry{{Zxid: MakeZxid(1, 1), Data: []byte("a")}, {Zxid: MakeZxid(1, 2), Data: []byte("b")}}))
	w.boot(1, vs, nil, ahead)
	w.boot(2, vs, nil, NewMemoryStorage())
	w.boot(3, vs, nil, NewMemoryStorage())
	w.queue = nil
	// Force a wrong election outcome: everyone settles on 3.
	for _, id := range vs {
		w.peers[id].n.decide(Vote{Leader: 3})
		w.drain(id)
	}
	established := false
	w.onReady = func(id ServerID, rd Ready) {
		for _, ev := range rd.Events {
			if ev.Type == EventLeaderEstablished && id == 3 {
				established = true
			}
		}
	}
	w.deliver(0)
	if established {
		t.Fatal("a leader behind voter 1 established its epoch")
	}
	if r := w.peers[3].n.Status().Role; r != RoleLooking {
		t.Fatalf("leader behind a voter is %v", r)
	}
	if got := w.zxids(1); len(got) != 2 {
		t.Fatalf("voter 1 lost its txns: %v", got)
	}
	// Left alone, the ensemble elects 1 and keeps its txns.
	if l := w.stable(); l != 1 {
		t.Fatalf("elected %d", l)
	}
	if got := w.zxids(3); len(got) != 2 {
		t.Fatalf("3 did not get 1's txns: %v", got)
	}
}
