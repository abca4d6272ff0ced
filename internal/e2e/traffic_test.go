package e2e

import (
	"fmt"
	"testing"
)

// spreadRPCs is how many RPCs a spread check over round robin makes (the
// spread is exact); weightedRPCs is how many one over ring hash makes, where
// the spread is random: see checkShares.
const (
	spreadRPCs   = 900
	weightedRPCs = 2000
)

// TestRegistrationsToTraffic runs, for each of the four layouts against one
// real zkmesh process: three backends register as ephemeral znodes (weights
// 1:2:3 where the layout carries weights, equal otherwise) beside malformed
// registrations; a gRPC xDS client of xds:///<service> spreads its RPCs
// according to the weights; one backend's session closes and its RPCs stop
// although its server still runs; another malformed registration and a new
// backend appear, and the new one gets its share.
func TestRegistrationsToTraffic(t *testing.T) {
	if testing.Short() {
		t.Skip("starts zkmesh")
	}
	m := startMesh(t)
	admin := connect(t, m.srv.Addr)
	for _, l := range layouts {
		ensureDir(t, admin, l.dir)
	}
	for _, l := range layouts {
		t.Run(l.name, func(t *testing.T) { runLayout(t, m, l) })
	}
}

func runLayout(t *testing.T, m *mesh, l layout) {
	weightOf := func(n int) int {
		if !l.weighted {
			return 1
		}
		if l.name == "dubbo" {
			return 100 * n // Dubbo weights are in hundreds by convention
		}
		return n
	}
	type reg struct {
		b *backend
		n int
		w int
		// session is the backend's own ZooKeeper session; its ephemeral
		// registration lives as long as it does.
		session interface{ Close() }
	}
	register := func(n int) reg {
		b := startBackend(t, fmt.Sprintf("%s-%d", l.name, n))
		conn := connect(t, m.srv.Addr)
		p, data := l.node(b, n, weightOf(n))
		registerEphemeral(t, conn, p, data)
		return reg{b: b, n: n, w: weightOf(n), session: conn}
	}
	n := spreadRPCs
	if l.weighted {
		n = weightedRPCs
	}
	want := func(regs ...reg) map[string]int {
		w := map[string]int{}
		for _, r := range regs {
			w[r.b.id] = r.w
		}
		return w
	}
	ids := func(regs ...reg) []string {
		var out []string
		for _, r := range regs {
			out = append(out, r.b.id)
		}
		return out
	}

	// Malformed registrations first, from a session of their own, then
	// the good ones: the bad ones must not keep the service from being
	// published.
	junk := connect(t, m.srv.Addr)
	for _, bad := range l.malformed[:len(l.malformed)-1] {
		registerEphemeral(t, junk, bad.path, bad.data)
	}
	r1, r2, r3 := register(1), register(2), register(3)

	c := m.dial(l.service)
	c.waitServed(ids(r1, r2, r3)...)
	checkShares(t, "three backends", c.spread(n), want(r1, r2, r3), 10)

	// r2's session closes: its node goes, and with it its traffic, while
	// its gRPC server stays up and would answer.
	r2.session.Close()
	c.waitServed(ids(r1, r3)...)
	before := r2.b.rpcs.Load()
	checkShares(t, "after session close", c.spread(n), want(r1, r3), 10)
	if got := r2.b.rpcs.Load(); got != before {
		t.Errorf("backend %s served %d RPCs after its session closed and the client had moved off it", r2.b.id, got-before)
	}

	// One more malformed registration, then a new backend: publication
	// goes on.
	last := l.malformed[len(l.malformed)-1]
	registerEphemeral(t, junk, last.path, last.data)
	r4 := register(4)
	c.waitServed(ids(r1, r3, r4)...)
	checkShares(t, "after a new registration", c.spread(n), want(r1, r3, r4), 10)

	// The malformed ones were read and skipped, not missed: the feed logs
	// each before it publishes the View that holds the good ones.
	logged := m.malformedLogged()
	for _, bad := range l.malformed {
		if !logged[bad.path] {
			t.Errorf("zkmesh did not log %s as a skipped malformed registration", bad.path)
		}
	}
}
