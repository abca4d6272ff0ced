package loadbalance

import (
	"testing"
	"time"
)

func TestWarmupWeight(t *testing.T) {
	cases := []struct {
		weight         uint32
		uptime, warmup int64
		want           uint32
	}{
		{100, 0, 600000, 1},
		{100, -5, 600000, 1},
		{100, 6000, 600000, 1},     // 6000/6000 = 1
		{100, 300000, 600000, 50},  // half way
		{100, 599999, 600000, 99},  // truncation
		{100, 600000, 600000, 100}, // done
		{100, 10_000_000, 600000, 100},
		{0, 300000, 600000, 0},
		{7, 1, 600000, 1},
		{3, 400000, 600000, 2},
		{100, 300000, 0, 100},
	}
	for _, c := range cases {
		if got := WarmupWeight(c.weight, c.uptime, c.warmup); got != c.want {
			t.Errorf("WarmupWeight(%d, %d, %d) = %d, want %d", c.weight, c.uptime, c.warmup, got, c.want)
		}
	}
}

func TestEndpointWeightAtIsPureInNow(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	e := Endpoint{Weight: 200, Warmup: Warmup{StartUnixMs: start.UnixMilli(), DurationMs: 60_000}}
	if got := e.WeightAt(start.Add(30 * time.Second)); got != 100 {
		t.Fatalf("half warm = %d, want 100", got)
	}
	if got := e.WeightAt(start.Add(time.Hour)); got != 200 {
		t.Fatalf("warm = %d, want 200", got)
	}
	until, ok := e.WarmingUntil()
	if !ok || !until.Equal(start.Add(time.Minute)) {
		t.Fatalf("WarmingUntil = %v %v", until, ok)
	}
	plain := Endpoint{Weight: 5}
	if plain.WeightAt(start) != 5 {
		t.Fatal("no warmup must keep weight")
	}
	if _, ok := plain.WarmingUntil(); ok {
		t.Fatal("no warmup must not be warming")
	}
}
