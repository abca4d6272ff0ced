package multihost

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/zkmesh/zkmesh/discovery"
)

// joinLimit bounds how long an observer may take from its start to a read
// of a write committed before it started. The bar is 2 s on
// loopback; this is the bar for 2 loaded cores, the measured time is
// logged.
const joinLimit = 10 * time.Second

// TestFleetFromOneSeed: three voters on three hosts (server lines, gossip),
// then three observers on three more hosts started with only `--join
// <voter 1's gossip address>`. Each takes an id of its own, is admitted by
// the leader and serves a read of a write committed before it started. The
// whole fleet sees six live members through gossip.
//
// Then an observer is killed with SIGKILL: every other member sees it dead
// within fast timing's bound. Restarted with the same data directory it
// rejoins by itself, with the same id, and serves a write made while it was
// down.
func TestFleetFromOneSeed(t *testing.T) {
	t.Parallel()
	f := startVoters(t, 3)
	vc := connect(t, clientAddrs(f.voters...)...)
	mustCreate(t, vc, "/fleet", "")
	before := mustCreate(t, vc, "/fleet/before", "v1")

	// Observers join one at a time, each measured from its process start
	// to a read of /fleet/before that reflects the write.
	var took []time.Duration
	ids := map[int]string{}
	for i := 1; i <= 3; i++ {
		o := f.newObserver(t, fmt.Sprintf("o%d", i))
		start := o.Start()
		d := waitRead(t, o, "/fleet/before", "v1", before, start, joinLimit)
		took = append(took, d)
		id := o.ServerID()
		if id <= 3 || ids[id] != "" {
			t.Fatalf("%s took server id %d (taken: %v)", o.Name, id, ids)
		}
		ids[id] = o.Name
		if mode := o.Mode(); mode != "observer" {
			t.Fatalf("%s serves as %q, want observer", o.Name, mode)
		}
	}
	t.Logf("observers joined with only --join and served a read of an earlier write %v after their start (bar: 2 s on loopback)", took)

	all := f.all()
	for _, m := range all {
		waitState(t, all, m.Name, "alive", time.Now(), startTimeout)
	}
	if tab, err := f.observers[2].MembersTable(); err != nil {
		t.Fatal(err)
	} else {
		t.Logf("zkmesh members --admin %s:\n%s", f.observers[2].AdminAddr(), tab)
		if n := strings.Count(tab, " alive "); n != 6 {
			t.Errorf("zkmesh members shows %d live members, want 6", n)
		}
	}
	cfg, _, err := vc.Get("/zookeeper/config")
	if err != nil {
		t.Fatal(err)
	}
	for id, name := range ids {
		if !strings.Contains(string(cfg), fmt.Sprintf("server.%d=", id)) {
			t.Errorf("/zookeeper/config lacks %s (server %d):\n%s", name, id, cfg)
		}
	}

	// SIGKILL o1: no gossip leave. Everyone else sees it dead.
	victim := f.observers[0]
	id := victim.ServerID()
	others := make([]*Member, 0, len(all)-1)
	for _, m := range all {
		if m != victim {
			others = append(others, m)
		}
	}
	bound := discovery.FastTiming().DeadDetectionBound(len(all))
	victim.Kill()
	killed := time.Now()
	seen := waitState(t, others, victim.Name, "dead", killed, 3*bound)
	t.Logf("%s killed: seen dead by %s after %v (fast timing bound %v)", victim.Name, names(others...), seen, bound)
	for i, d := range seen {
		if d > bound {
			t.Errorf("%s saw %s dead after %v, above the bound %v", others[i].Name, victim.Name, d, bound)
		}
	}

	// A write while it is down; restarted, it rejoins with the same id and
	// reads it.
	down := mustCreate(t, vc, "/fleet/while-down", "v2")
	start := victim.Start()
	d := waitRead(t, victim, "/fleet/while-down", "v2", down, start, joinLimit)
	if got := victim.ServerID(); got != id {
		t.Fatalf("%s restarted as server %d, was %d", victim.Name, got, id)
	}
	alive := waitState(t, others, victim.Name, "alive", start, startTimeout)
	t.Logf("%s restarted: served a write made while it was down %v after its start; seen alive again after %v", victim.Name, d, alive)
	for _, m := range others {
		if _, sid, err := memberState(m, victim.Name); err != nil || int(sid) != id {
			t.Errorf("%s sees %s with server id %d (%v), want %d", m.Name, victim.Name, sid, err, id)
		}
	}
}
