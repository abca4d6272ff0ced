package zab

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// cfgData encodes m as the tests' configuration entries:
// "cfg:v=1,2,3;o=4,5".
func cfgData(m Membership) []byte {
	f := func(ids []ServerID) string {
		var p []string
		for _, id := range ids {
			p = append(p, strconv.FormatUint(uint64(id), 10))
		}
		return strings.Join(p, ",")
	}
	return []byte("cfg:v=" + f(m.Voters) + ";o=" + f(m.Observers))
}

// testConfigOf is the tests' Config.ConfigOf.
func testConfigOf(data []byte) (Membership, bool) {
	s, ok := strings.CutPrefix(string(data), "cfg:")
	if !ok {
		return Membership{}, false
	}
	var m Membership
	for _, part := range strings.Split(s, ";") {
		k, v, _ := strings.Cut(part, "=")
		var ids []ServerID
		for _, f := range strings.Split(v, ",") {
			if f == "" {
				continue
			}
			n, err := strconv.ParseUint(f, 10, 64)
			if err != nil {
				return Membership{}, false
			}
			ids = append(ids, ServerID(n))
		}
		switch k {
		case "v":
			m.Voters = ids
		case "o":
			m.Observers = ids
		}
	}
	return m, true
}

func mship(voters, observers []ServerID) Membership {
	return Membership{Voters: voters, Observers: observers}
}

// until ticks until cond holds, or fails after max ticks.
func (w *world) until(max int, what string, cond func() bool) {
	w.t.Helper()
	for i := 0; i < max; i++ {
		if cond() {
			return
		}
		w.tick(1)
	}
	if !cond() {
		w.t.Fatalf("after %d ticks: not %s; events %v", max, what, w.log)
	}
}

func (w *world) status(id ServerID) Status { return w.peers[id].n.Status() }

// reconfig proposes next at leader l and runs until it is committed there.
func (w *world) reconfig(l ServerID, next Membership) Zxid {
	w.t.Helper()
	z, err := w.peers[l].n.ProposeConfig(cfgData(next), next)
	if err != nil {
		w.t.Fatalf("ProposeConfig(%s) at %d: %v", next, l, err)
	}
	w.drain(l)
	w.until(50, "config committed", func() bool { return w.status(l).Committed >= z || w.status(l).Role != RoleLeading })
	return z
}

func (w *world) wantMembership(id ServerID, want Membership) {
	w.t.Helper()
	if got := w.status(id).Membership; !got.Equal(want) {
		w.t.Fatalf("member %d uses %s, want %s", id, got, want)
	}
}

// committedOnAll proposes a txn at l and checks every listed member
// applies it.
func (w *world) committedOnAll(l ServerID, ids ...ServerID) {
	w.t.Helper()
	z := w.propose(l, "probe")
	w.until(30, fmt.Sprintf("%s applied everywhere", z), func() bool {
		for _, id := range ids {
			if w.status(id).Applied < z {
				return false
			}
		}
		return true
	})
}

func TestReconfigPromoteObserver(t *testing.T) {
	w := newWorldWith(t, 3, 1, testConfigOf)
	l := w.stable()
	w.propose(l, "a")
	next := mship([]ServerID{1, 2, 3, 4}, nil)
	z := w.reconfig(l, next)
	// Member 4 rejoins as a follower.
	w.until(100, "4 following and synced", func() bool {
		s := w.status(4)
		return s.Role == RoleFollowing && s.Synced
	})
	for _, id := range w.ids() {
		w.wantMembership(id, next)
		if s := w.status(id); s.ConfigPending || s.ConfigZxid != z {
			t.Fatalf("member %d: pending %v config %s, want committed %s", id, s.ConfigPending, s.ConfigZxid, z)
		}
	}
	if s := w.status(l); s.SyncedFollowers != 3 || s.SyncedObservers != 0 {
		t.Fatalf("leader status %+v", s)
	}
	w.committedOnAll(l, 1, 2, 3, 4)
	// With 4 voters the quorum is 3: the leader and one follower no longer
	// commit.
	cut := []ServerID{}
	for _, id := range w.ids() {
		if id != l && len(cut) < 2 {
			cut = append(cut, id)
		}
	}
	w.drop = func(m Message) bool { return slices.Contains(cut, m.From) || slices.Contains(cut, m.To) }
	z2 := w.propose(l, "needs three")
	w.deliver(0)
	if c := w.status(l).Committed; c >= z2 {
		t.Fatalf("committed %s with 2 of 4 voters", c)
	}
}

func TestReconfigDemoteVoter(t *testing.T) {
	w := newWorldWith(t, 3, 0, testConfigOf)
	l := w.stable()
	var f ServerID
	for _, id := range w.ids() {
		if id != l {
			f = id
			break
		}
	}
	var voters []ServerID
	for _, id := range w.ids() {
		if id != f {
			voters = append(voters, id)
		}
	}
	next := mship(voters, []ServerID{f})
	w.reconfig(l, next)
	w.until(100, "demoted member observing and synced", func() bool {
		s := w.status(f)
		return s.Role == RoleObserving && s.Synced
	})
	for _, id := range w.ids() {
		w.wantMembership(id, next)
	}
	if s := w.status(l); s.SyncedFollowers != 1 || s.SyncedObservers != 1 {
		t.Fatalf("leader status %+v", s)
	}
	w.committedOnAll(l, w.ids()...)
	// The observer's acks no longer count: cut the other voter off.
	other := voters[0]
	if other == l {
		other = voters[1]
	}
	w.drop = func(m Message) bool { return m.From == other || m.To == other }
	z := w.propose(l, "needs two voters")
	w.deliver(0)
	if c := w.status(l).Committed; c >= z {
		t.Fatalf("committed %s with the demoted member's ack", c)
	}
}

func TestReconfigAddMemberThenPromote(t *testing.T) {
	w := newWorldWith(t, 3, 0, testConfigOf)
	l := w.stable()
	w.propose(l, "a")
	w.deliver(0)
	withObs := mship([]ServerID{1, 2, 3}, []ServerID{4})
	// A fresh member that knows itself as an observer of the new
	// configuration; the ensemble does not know it yet.
	w.boot(4, withObs.Voters, withObs.Observers, NewMemoryStorage())
	w.tick(20)
	if w.status(4).Synced {
		t.Fatal("a member the ensemble does not know synced")
	}
	w.reconfig(l, withObs)
	w.until(100, "4 observing and synced", func() bool {
		s := w.status(4)
		return s.Role == RoleObserving && s.Synced
	})
	w.committedOnAll(l, 1, 2, 3, 4)
	full := mship([]ServerID{1, 2, 3, 4}, nil)
	w.reconfig(l, full)
	w.until(100, "4 following and synced", func() bool {
		s := w.status(4)
		return s.Role == RoleFollowing && s.Synced
	})
	for _, id := range w.ids() {
		w.wantMembership(id, full)
	}
	w.committedOnAll(l, 1, 2, 3, 4)
}

func TestReconfigRemoveVoter(t *testing.T) {
	w := newWorldWith(t, 3, 0, testConfigOf)
	l := w.stable()
	var gone ServerID
	var voters []ServerID
	for _, id := range w.ids() {
		if id != l && gone == 0 {
			gone = id
			continue
		}
		voters = append(voters, id)
	}
	next := mship(voters, nil)
	w.reconfig(l, next)
	w.until(50, "removed member cut off", func() bool { return !w.status(gone).Synced })
	w.committedOnAll(l, voters...)
	for i := 0; i < 40; i++ {
		w.tick(1)
		if s := w.status(gone); s.Synced || s.Role == RoleLeading {
			t.Fatalf("removed member rejoined: %+v", s)
		}
	}
	if s := w.status(l); s.Role != RoleLeading || !s.Established || s.SyncedFollowers != 1 {
		t.Fatalf("leader after removal: %+v", s)
	}
	// Two voters: the quorum is both.
	other := voters[0]
	if other == l {
		other = voters[1]
	}
	w.drop = func(m Message) bool { return m.From == other || m.To == other }
	z := w.propose(l, "needs both")
	w.deliver(0)
	if c := w.status(l).Committed; c >= z {
		t.Fatalf("committed %s alone out of two voters", c)
	}
}

func TestReconfigLeaderRemovesItself(t *testing.T) {
	w := newWorldWith(t, 3, 0, testConfigOf)
	l := w.stable()
	var voters []ServerID
	for _, id := range w.ids() {
		if id != l {
			voters = append(voters, id)
		}
	}
	next := mship(voters, nil)
	z, err := w.peers[l].n.ProposeConfig(cfgData(next), next)
	must(t, err)
	w.drain(l)
	// Until the entry commits the old leader still leads, without a vote.
	if s := w.status(l); s.Role != RoleLeading || !s.ConfigPending || !s.Membership.Equal(next) {
		t.Fatalf("leader right after proposing its removal: %+v", s)
	}
	if _, err := w.peers[l].n.ProposeConfig(cfgData(next), next); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("a leaving leader accepted another reconfig: %v", err)
	}
	w.until(60, "a new leader among the remaining voters", func() bool {
		for _, id := range voters {
			if s := w.status(id); s.Role == RoleLeading && s.Established {
				return true
			}
		}
		return false
	})
	if s := w.status(l); s.Role == RoleLeading {
		t.Fatalf("removed leader still leads: %+v", s)
	}
	var nl ServerID
	for _, id := range voters {
		if w.status(id).Role == RoleLeading {
			nl = id
		}
	}
	if w.status(nl).Committed < z || w.status(nl).ConfigPending {
		t.Fatalf("new leader %d lost the config %s: %+v", nl, z, w.status(nl))
	}
	w.committedOnAll(nl, voters...)
	for i := 0; i < 30; i++ {
		w.tick(1)
		if s := w.status(l); s.Synced || s.Role == RoleLeading {
			t.Fatalf("removed leader rejoined: %+v", s)
		}
	}
}

func TestReconfigRefusals(t *testing.T) {
	w := newWorldWith(t, 3, 2, testConfigOf)
	l := w.stable()
	n := w.peers[l].n
	cur := n.Membership()
	var f ServerID
	for _, id := range cur.Voters {
		if id != l {
			f = id
		}
	}
	cases := []struct {
		name string
		data []byte
		next Membership
		want error
	}{
		{"two voters added", nil, mship([]ServerID{1, 2, 3, 4, 5}, nil), ErrReconfigTooLarge},
		{"voter swapped", nil, mship([]ServerID{1, 2, 4}, []ServerID{3, 5}), ErrReconfigTooLarge},
		{"invalid", nil, mship(nil, []ServerID{1, 2, 3}), ErrConfig},
		{"data is another config", cfgData(mship([]ServerID{1, 2, 3}, nil)), mship([]ServerID{1, 2, 3}, []ServerID{4}), ErrConfig},
		{"data is no config", []byte("x=1"), cur, ErrConfig},
	}
	for _, tc := range cases {
		data := tc.data
		if data == nil {
			data = cfgData(tc.next)
		}
		if _, err := n.ProposeConfig(data, tc.next); !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
	// Propose of a configuration entry gets the same checks.
	if _, err := n.Propose(cfgData(mship([]ServerID{1, 2, 3, 4, 5}, nil))); !errors.Is(err, ErrReconfigTooLarge) {
		t.Errorf("Propose of a too large config: %v", err)
	}
	if _, err := w.peers[f].n.ProposeConfig(cfgData(cur), cur); !errors.Is(err, ErrNotLeader) {
		t.Errorf("follower: %v", err)
	}
	// One change at a time: a second one waits for the first to commit.
	w.drop = func(m Message) bool { return m.From != l } // no acks
	obs := mship(cur.Voters, []ServerID{4})
	z, err := n.ProposeConfig(cfgData(obs), obs)
	must(t, err)
	if _, err := n.ProposeConfig(cfgData(cur), cur); !errors.Is(err, ErrReconfigInProgress) {
		t.Errorf("second change while %s pending: %v", z, err)
	}
	w.drop = nil
	w.deliver(0)
	w.tick(3)
	if w.status(l).Committed < z {
		t.Fatalf("config %s not committed", z)
	}
	// A quorum of the new voters must be synced followers: an observer
	// being promoted does not count, nor does a voter cut off.
	w.drop = func(m Message) bool { return m.From == f || m.To == f }
	w.tick(DefaultConfig().SyncLimitTicks + 2)
	if w.status(l).Role != RoleLeading {
		t.Fatalf("leader lost its quorum of 2 of 3")
	}
	promote := mship(append(slices.Clone(cur.Voters), 4), nil)
	if _, err := n.ProposeConfig(cfgData(promote), promote); !errors.Is(err, ErrNewConfigNoQuorum) {
		t.Errorf("promotion with 2 synced of 4 voters: %v", err)
	}
	// Without ConfigOf nothing is a configuration.
	w2 := newWorld(t, 1, 0)
	l2 := w2.stable()
	one := mship([]ServerID{1}, nil)
	if _, err := w2.peers[l2].n.ProposeConfig(cfgData(one), one); !errors.Is(err, ErrConfig) {
		t.Errorf("ProposeConfig without ConfigOf: %v", err)
	}
	// A single voter cannot promote: the observer does not follow yet.
	w3 := newWorldWith(t, 1, 1, testConfigOf)
	l3 := w3.stable()
	two := mship([]ServerID{1, 2}, nil)
	if _, err := w3.peers[l3].n.ProposeConfig(cfgData(two), two); !errors.Is(err, ErrNewConfigNoQuorum) {
		t.Errorf("1 voter promoting: %v", err)
	}
}

// A configuration entry that never committed is truncated away on the
// member that logged it, which falls back to the configuration before it.
// The same member, restarted, rebuilds the uncommitted configuration from
// its log.
func TestReconfigTruncRollsBackAndRestartRebuilds(t *testing.T) {
	w := newWorldWith(t, 3, 0, testConfigOf)
	l := w.stable()
	w.propose(l, "a")
	w.tick(2)
	orig := w.peers[l].n.Membership()
	var voters []ServerID
	for _, id := range orig.Voters {
		if id != 1 || l == 1 {
			voters = append(voters, id)
		}
	}
	if len(voters) == 3 {
		voters = voters[1:]
	}
	next := mship(voters, nil)
	// Only the leader logs the change, then crashes.
	w.drop = func(m Message) bool { return m.From == l }
	z, err := w.peers[l].n.ProposeConfig(cfgData(next), next)
	must(t, err)
	w.drain(l)
	old := w.peers[l]
	delete(w.peers, l)
	w.drop = nil
	w.queue = nil
	l2 := w.stable()
	w.propose(l2, "b")
	w.tick(2)

	// Restarted with the original membership in Config, the old leader
	// rebuilds the uncommitted configuration from its log.
	var modes []SyncMode
	w.onReady = func(id ServerID, rd Ready) {
		for _, m := range rd.Messages {
			if m.Type == MsgSync && m.To == l {
				modes = append(modes, m.Mode)
			}
		}
	}
	w.boot(l, orig.Voters, orig.Observers, old.store)
	if s := w.status(l); !s.Membership.Equal(next) || !s.ConfigPending || s.ConfigZxid != z {
		t.Fatalf("restarted member uses %s (pending %v, at %s), want %s pending at %s", s.Membership, s.ConfigPending, s.ConfigZxid, next, z)
	}
	w.stable()
	if !slices.Contains(modes, SyncTrunc) {
		t.Fatalf("sync modes %v, want a TRUNC", modes)
	}
	for _, id := range w.ids() {
		w.wantMembership(id, orig)
		if w.status(id).ConfigPending {
			t.Fatalf("member %d still has a pending config", id)
		}
	}
	if got, want := w.zxids(l), w.zxids(l2); !slices.Equal(got, want) {
		t.Fatalf("old leader log %v, new leader %v", got, want)
	}
	w.committedOnAll(l2, w.ids()...)
}

// A restarted member rebuilds a committed configuration above its applied
// point from its log.
func TestReconfigRestartRebuildsCommittedConfig(t *testing.T) {
	w := newWorldWith(t, 3, 1, testConfigOf)
	l := w.stable()
	next := mship([]ServerID{1, 2, 3, 4}, nil)
	w.reconfig(l, next)
	w.until(100, "4 following", func() bool { return w.status(4).Role == RoleFollowing && w.status(4).Synced })
	var f ServerID
	for _, id := range next.Voters {
		if id != l && id != 4 {
			f = id
		}
	}
	old := w.peers[f]
	w.boot(f, []ServerID{1, 2, 3}, []ServerID{4}, old.store)
	w.wantMembership(f, next)
	w.until(100, "restarted follower synced", func() bool { return w.status(f).Synced })
	w.committedOnAll(l, next.Voters...)
}

// A learner that gets a SNAP takes the membership the snapshot carries:
// the leader fills it in from its own log.
func TestReconfigSnapCarriesMembership(t *testing.T) {
	w := newWorldWith(t, 3, 2, testConfigOf)
	l := w.stable()
	// Observer 5 is cut off while 4 is promoted.
	w.drop = func(m Message) bool { return m.From == 5 || m.To == 5 }
	next := mship([]ServerID{1, 2, 3, 4}, []ServerID{5})
	w.reconfig(l, next)
	w.until(100, "4 following", func() bool { return w.status(4).Role == RoleFollowing && w.status(4).Synced })
	w.committedOnAll(l, 1, 2, 3, 4)
	if got := w.status(5).Membership; got.Equal(next) {
		t.Fatalf("cut-off observer already knows %s", got)
	}
	for _, id := range []ServerID{1, 2, 3, 4} {
		p := w.peers[id]
		snap, _ := p.sm.Snapshot()
		must(t, p.store.ApplySnapshot(snap, false))
	}
	var snaps []*Snapshot
	w.drop = nil
	w.onReady = func(id ServerID, rd Ready) {
		for _, m := range rd.Messages {
			if m.Type == MsgSync && m.To == 5 && m.Mode == SyncSnap {
				snaps = append(snaps, m.Snapshot)
			}
		}
	}
	w.until(100, "5 synced again", func() bool { return w.status(5).Synced })
	if len(snaps) == 0 {
		t.Fatal("no SNAP sent")
	}
	if m := snaps[len(snaps)-1].Membership; m == nil || !m.Equal(next) {
		t.Fatalf("SNAP carries membership %v, want %s", m, next)
	}
	w.wantMembership(5, next)
	w.committedOnAll(l, 1, 2, 3, 4, 5)
}

// A leader that demotes itself, when the only other voter never got the
// entry: the voter still counts it a voter and needs its vote, and the old
// leader alone holds the latest history. It runs again, not counting
// itself, commits its history with the voter's acks and steps down; the
// voter then leads alone.
func TestReconfigDemotedLeaderHoldsTheOnlyCopy(t *testing.T) {
	w := newWorldWith(t, 2, 0, testConfigOf)
	l := w.stable()
	f := ServerID(3) - l
	w.propose(l, "a")
	w.tick(2)
	next := mship([]ServerID{f}, []ServerID{l})
	// Cut the link until both went LOOKING.
	w.drop = func(m Message) bool { return m.From+m.To == 3 }
	_, err := w.peers[l].n.ProposeConfig(cfgData(next), next)
	must(t, err)
	w.drain(l)
	w.until(DefaultConfig().SyncLimitTicks+5, "both looking", func() bool {
		return w.status(l).Role == RoleLooking && w.status(f).Role == RoleLooking
	})
	if s := w.status(f); s.Membership.Equal(next) {
		t.Fatalf("the voter got the entry: %+v", s)
	}
	w.drop = nil
	w.until(200, "the voter leading alone and the old leader observing it", func() bool {
		sf, sl := w.status(f), w.status(l)
		return sf.Role == RoleLeading && sf.Established && sl.Role == RoleObserving && sl.Synced && sl.Leader == f
	})
	for _, id := range w.ids() {
		w.wantMembership(id, next)
	}
	var est []string
	for _, e := range w.log {
		if strings.Contains(e, " established ") {
			est = append(est, e)
		}
	}
	// l established epoch 1, then, without a vote, epoch 2; f epoch 3.
	want := []string{
		fmt.Sprintf("%d established leading %d 1", l, l),
		fmt.Sprintf("%d established leading %d 2", l, l),
		fmt.Sprintf("%d established leading %d 3", f, f),
	}
	if !slices.Equal(est, want) {
		t.Fatalf("established: %v, want %v", est, want)
	}
	w.committedOnAll(f, f, l)
}

// The only voter of a configuration votes for a candidate outside it that
// holds a newer history, and follows it: here the old leader, restarted,
// with a txn it alone logged after demoting itself. That txn survives.
func TestReconfigOnlyVoterFollowsNewerHistoryOutsideTheVoters(t *testing.T) {
	w := newWorldWith(t, 2, 0, testConfigOf)
	l := w.stable()
	f := ServerID(3) - l
	w.propose(l, "a")
	w.tick(2)
	next := mship([]ServerID{f}, []ServerID{l})
	_, err := w.peers[l].n.ProposeConfig(cfgData(next), next)
	must(t, err)
	w.drop = func(m Message) bool {
		return m.From == l && m.To == f && m.Type == MsgProposal && string(m.Entries[0].Data) == "x"
	}
	zx := w.propose(l, "x")
	w.deliver(0)
	if s := w.status(f); !s.Membership.Equal(next) || s.LastZxid >= zx {
		t.Fatalf("voter after the change: %+v", s)
	}
	// The old leader restarts from its log (the change is pending there).
	old := w.peers[l]
	delete(w.peers, l)
	w.drop = nil
	w.queue = nil
	w.boot(l, []ServerID{1, 2}, nil, old.store)
	if s := w.status(l); !s.Membership.Equal(next) || !s.ConfigPending || s.LastZxid != zx {
		t.Fatalf("restarted old leader: %+v", s)
	}
	if s := w.status(f); s.Role != RoleLooking {
		t.Fatalf("voter %v, want looking", s.Role)
	}
	// The votes meet before the voter's next tick.
	w.deliver(0)
	w.until(300, "the voter leading and x applied everywhere", func() bool {
		sf, sl := w.status(f), w.status(l)
		return sf.Role == RoleLeading && sf.Established && sf.Applied >= zx && sl.Synced && sl.Applied >= zx
	})
	w.committedOnAll(f, f, l)
}

// CheckConfig answers what ProposeConfig would, and changes nothing.
func TestCheckConfigAgreesWithProposeConfig(t *testing.T) {
	w := newWorldWith(t, 3, 1, testConfigOf)
	l := w.stable()
	n := w.peers[l].n
	if err := w.peers[4].n.CheckConfig(n.Membership()); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("observer: %v", err)
	}
	two := mship([]ServerID{1}, []ServerID{2, 3, 4})
	if err := n.CheckConfig(two); !errors.Is(err, ErrReconfigTooLarge) {
		t.Fatalf("two voters: %v", err)
	}
	promote := mship([]ServerID{1, 2, 3, 4}, nil)
	if err := n.CheckConfig(promote); err != nil {
		t.Fatalf("promotion: %v", err)
	}
	last := n.Status().LastZxid
	if got := n.Status(); got.LastZxid != last || got.ConfigPending {
		t.Fatalf("CheckConfig changed the node: %+v", got)
	}
	w.reconfig(l, promote)
	if err := n.CheckConfig(promote); err != nil {
		t.Fatalf("same configuration again: %v", err)
	}
}
