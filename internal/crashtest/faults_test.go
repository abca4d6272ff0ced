package crashtest

import (
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/zkmesh/zkmesh/internal/zktest"
)

// faults injects the kills and partitions of the linearizability test into
// a zkmesh ensemble started with PartitionableLinks, whose first Members-2
// members are voters and the last two observers. Every step leaves the
// ensemble healed, with every member serving. Only the test's goroutine
// calls it.
type faults struct {
	t     *testing.T
	srv   *zktest.Server
	rng   *rand.Rand
	start time.Time

	kills, partitions int
}

// partitionKinds are the partitions faults.partition knows.
var partitionKinds = []string{
	"isolate-leader", "isolate-follower", "isolate-observer", "cut-voter-link",
	"one-way-leader-follower", "split-leader-observer", "isolate-follower-kill-leader",
	"silence-leader", "hold-one-way-leader-follower",
}

func (f *faults) logf(format string, args ...any) {
	f.t.Helper()
	f.t.Logf("%6.2fs %s", time.Since(f.start).Seconds(), fmt.Sprintf(format, args...))
}

// pause lets the clients run for a random while in [min, min+spread) ms.
func (f *faults) pause(minMs, spreadMs int) {
	time.Sleep(time.Duration(minMs+f.rng.Intn(spreadMs)) * time.Millisecond)
}

// kill SIGKILLs a random member, the leader half of the time, lets the
// rest run, and restarts it.
func (f *faults) kill() {
	f.t.Helper()
	f.pause(300, 700)
	victim := f.srv.Members[f.rng.Intn(len(f.srv.Members))]
	if f.rng.Intn(2) == 0 {
		victim = findLeader(f.t, f.srv)
	}
	f.logf("SIGKILL member %d", victim.ID)
	if err := victim.Kill(); err != nil {
		f.t.Fatal(err)
	}
	f.kills++
	f.pause(200, 600)
	victim.Restart()
	f.logf("member %d restarted and serving", victim.ID)
}

// partition cuts or holds links as kind says, lets the clients run for 0.6
// to 1.5 s, heals every link and waits until every member serves again.
func (f *faults) partition(kind string) {
	f.t.Helper()
	f.pause(300, 700)
	n := f.srv.Network()
	leader := findLeader(f.t, f.srv)
	voters := len(f.srv.Members) - 2
	var followers []int
	for id := 1; id <= voters; id++ {
		if id != leader.ID {
			followers = append(followers, id)
		}
	}
	follower := followers[f.rng.Intn(len(followers))]
	observer := voters + 1 + f.rng.Intn(2)
	switch kind {
	case "isolate-leader":
		n.Isolate(leader.ID)
	case "isolate-follower":
		n.Isolate(follower)
	case "isolate-observer":
		n.Isolate(observer)
	case "cut-voter-link":
		if f.rng.Intn(2) == 0 {
			n.Cut(leader.ID, follower)
		} else {
			n.Cut(followers[0], followers[1])
		}
	case "one-way-leader-follower":
		if f.rng.Intn(2) == 0 {
			n.CutOneWay(leader.ID, follower)
		} else {
			n.CutOneWay(follower, leader.ID)
		}
	case "silence-leader":
		// Silent: the leader's connections stay open and carry nothing
		// until the heal delivers what waited.
		n.IsolateSilently(leader.ID)
	case "hold-one-way-leader-follower":
		if f.rng.Intn(2) == 0 {
			n.HoldOneWay(leader.ID, follower)
		} else {
			n.HoldOneWay(follower, leader.ID)
		}
	case "split-leader-observer":
		n.Partition(leader.ID, observer)
	case "isolate-follower-kill-leader":
		// The ensemble has no quorum until the leader is back.
		n.Isolate(follower)
		f.logf("partition %s: leader %d, cut %s", kind, leader.ID, n.Cuts())
		f.partitions++
		f.pause(200, 400)
		f.logf("SIGKILL member %d", leader.ID)
		if err := leader.Kill(); err != nil {
			f.t.Fatal(err)
		}
		f.kills++
		f.pause(200, 400)
		leader.Restart()
		f.logf("member %d restarted and serving", leader.ID)
		f.heal()
		return
	default:
		panic("crashtest: unknown partition kind " + kind)
	}
	f.logf("partition %s: leader %d, cut %s", kind, leader.ID, n.Cuts())
	f.partitions++
	f.pause(600, 900)
	f.heal()
}

// heal heals every link and waits until every member serves.
func (f *faults) heal() {
	f.t.Helper()
	f.srv.Network().HealAll()
	for _, m := range f.srv.Members {
		if err := m.WaitServing(30 * time.Second); err != nil {
			f.t.Fatalf("member %d after healing: %v", m.ID, err)
		}
	}
	f.logf("healed, every member serving, leader %d", findLeader(f.t, f.srv).ID)
}
