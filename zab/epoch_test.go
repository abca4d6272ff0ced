package zab

import (
	"testing"
)

// Two members lead at once (election is only a hint) and both pick epoch
// 1 from the same acceptedEpoch of member 3, which then goes back and
// forth between them. A member acks an epoch as a fresh acceptance once:
// an ACKEPOCH for an epoch it had already accepted (ZooKeeper sends -1 as
// its currentEpoch) never counts toward a quorum, so the two leaders
// cannot both establish epoch 1.
func TestEpochAcceptedOnceNeverCountsTwice(t *testing.T) {
	w := newWorld(t, 3, 0)
	w.queue = nil
	established := map[ServerID]uint32{}
	w.onReady = func(id ServerID, rd Ready) {
		for _, ev := range rd.Events {
			if ev.Type == EventLeaderEstablished {
				established[id] = ev.Epoch
			}
		}
	}
	// Only messages between 3 and leader go through (none for leader 0).
	via := func(leader ServerID) {
		w.drop = func(m Message) bool {
			return m.Type == MsgVote || !(m.From == 3 && m.To == leader || m.From == leader && m.To == 3)
		}
	}
	follow := func(leader ServerID, deliver bool) {
		via(leader)
		w.peers[3].n.decide(Vote{Leader: leader})
		w.drain(3)
		if deliver {
			w.deliver(0)
		} else {
			w.queue = nil
		}
	}
	via(0)
	for _, id := range []ServerID{1, 2} {
		w.peers[id].n.decide(Vote{Leader: id})
		w.drain(id)
	}
	// 3's FOLLOWERINFO (acceptedEpoch 0) reaches 1, then 2: both pick
	// epoch 1; 3 hears neither LEADERINFO.
	via(1)
	w.peers[3].n.decide(Vote{Leader: 1})
	w.drain(3)
	w.deliver(1)
	w.queue = nil
	via(2)
	w.peers[3].n.decide(Vote{Leader: 2})
	w.drain(3)
	w.deliver(1)
	w.queue = nil
	// 3 joins 1 and acks epoch 1 (fresh): 1 syncs it, 3 leaves before
	// acking NEWLEADER.
	via(1)
	w.peers[3].n.decide(Vote{Leader: 1})
	w.drain(3)
	for i := 0; i < 20 && len(w.queue) > 0; i++ {
		m := w.queue[0]
		if m.Type == MsgNewLeader {
			break
		}
		w.deliver(1)
	}
	w.queue = nil
	// 3 joins 2: its ACKEPOCH re-acks epoch 1, which it already accepted.
	follow(2, true)
	// 3 goes back to 1, which is synchronising.
	follow(1, true)
	if len(established) > 1 {
		t.Fatalf("two leaders established: %v", established)
	}
}
