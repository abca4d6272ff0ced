package discovery

import (
	"fmt"
	"os"
	"testing"
	"time"
)

// TestDeadDetectionLAN measures dead detection with memberlist's LAN
// profile in a fleet of 6 on loopback. It takes up to half a minute, so it
// runs only with DISCOVERY_LAN_TIMING=1:
//
//	DISCOVERY_LAN_TIMING=1 go test -race -run TestDeadDetectionLAN -v ./discovery
func TestDeadDetectionLAN(t *testing.T) {
	if os.Getenv("DISCOVERY_LAN_TIMING") == "" {
		t.Skip("set DISCOVERY_LAN_TIMING=1 to measure the LAN profile (up to 30 s)")
	}
	const size = 6
	lan := LANTiming()
	nodes := make([]*node, size+1)
	want := map[string]Meta{}
	for i := 1; i <= size; i++ {
		nodes[i] = startNode(t, fmt.Sprintf("n%d", i), fleetMeta(i), func(c *Config) { c.Timing = lan })
		want[fmt.Sprintf("n%d", i)] = fleetMeta(i)
	}
	// Each joins every earlier member directly, so the measurement does not
	// wait for a 30 s push/pull to repair a missed alive broadcast.
	var seeds []string
	for i := 1; i <= size; i++ {
		if i > 1 {
			if _, err := nodes[i].m.Join(seeds); err != nil {
				t.Fatal(err)
			}
		}
		seeds = append(seeds, nodes[i].m.Addr())
	}
	for i := 1; i <= size; i++ {
		nodes[i].waitFor(t, "seeing all alive", 30*time.Second, allAlive(want))
	}
	bound := lan.DeadDetectionBound(size)
	killed := time.Now()
	nodes[size].stop()
	var worst time.Duration
	for i := 1; i < size; i++ {
		at := nodes[i].waitEventSince(t, EventDead, "n6", killed, 2*bound)
		worst = max(worst, at.Sub(killed))
	}
	t.Logf("dead detection with LANTiming, %d members: worst %v; computed min %v, bound %v",
		size, worst.Round(time.Millisecond), lan.DeadDetectionMin(size), bound)
	if worst > bound {
		t.Errorf("worst detection %v above the computed bound %v", worst, bound)
	}
}
