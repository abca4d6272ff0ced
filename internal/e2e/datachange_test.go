package e2e

import (
	"encoding/json"
	"testing"
)

// TestDataChangeMovesTraffic: a registration's data changed in place (a
// setData on the ephemeral node, no new node) moves traffic: draining takes
// the backend out, and a new weight applies when it comes back.
func TestDataChangeMovesTraffic(t *testing.T) {
	if testing.Short() {
		t.Skip("starts zkmesh")
	}
	m := startMesh(t)
	admin := connect(t, m.srv.Addr)
	const dir = "/zkmesh/services/tuned"
	ensureDir(t, admin, dir)
	record := func(b *backend, weight int, health string) []byte {
		rec := map[string]any{"address": "127.0.0.1", "port": b.port, "weight": weight, "policy": "ring_hash"}
		if health != "" {
			rec["health"] = health
		}
		data, _ := json.Marshal(rec)
		return data
	}
	b1, b2 := startBackend(t, "t1"), startBackend(t, "t2")
	s1 := connect(t, m.srv.Addr)
	registerEphemeral(t, s1, dir+"/t1", record(b1, 1, ""))
	registerEphemeral(t, connect(t, m.srv.Addr), dir+"/t2", record(b2, 1, ""))
	set := func(b *backend, data []byte) {
		t.Helper()
		if _, err := s1.Set(dir+"/"+b.id, data, -1); err != nil {
			t.Fatalf("set %s: %v", b.id, err)
		}
	}

	c := m.dial("tuned")
	c.waitServed("t1", "t2")
	checkShares(t, "1:1", c.spread(weightedRPCs), map[string]int{"t1": 1, "t2": 1}, 10)

	set(b1, record(b1, 1, "draining"))
	c.waitServed("t2")
	before := b1.rpcs.Load()
	checkShares(t, "t1 draining", c.spread(spreadRPCs), map[string]int{"t2": 1}, 0)
	if got := b1.rpcs.Load(); got != before {
		t.Errorf("draining backend served %d RPCs", got-before)
	}

	// Healthy again with three times the weight: one EDS update carries
	// both, so once t1 answers again the new weights are in force.
	set(b1, record(b1, 3, "healthy"))
	c.waitServed("t1", "t2")
	checkShares(t, "3:1", c.spread(weightedRPCs), map[string]int{"t1": 3, "t2": 1}, 10)
}
