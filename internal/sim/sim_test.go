package sim

import (
	"flag"
	"slices"
	"testing"
	"time"
)

var (
	seedFlag  = flag.Int64("seed", -1, "run only this seed, with a trace")
	seedsFlag = flag.Int("seeds", 0, "number of seeds to run (default 500, 100 with -short)")
	fromFlag  = flag.Int64("seedfrom", 0, "first seed of the run")
)

const (
	faultTicks   = 300
	recoverTicks = 400
)

func TestSeeds(t *testing.T) {
	if *seedFlag >= 0 {
		res := RunSeed(*seedFlag, faultTicks, recoverTicks, func(s string) { t.Log(s) })
		t.Log(res)
		if res.Err != nil {
			t.Fatalf("seed %d: %v", *seedFlag, res.Err)
		}
		return
	}
	n := *seedsFlag
	if n == 0 {
		n = 500
		if testing.Short() {
			n = 100
		}
	}
	start := time.Now()
	var rec []int64
	props, commits := 0, 0
	var stats Stats
	for s := *fromFlag; s < *fromFlag+int64(n); s++ {
		res := RunSeed(s, faultTicks, recoverTicks, nil)
		if res.Err != nil {
			t.Fatalf("%v\nreplay: go test ./internal/sim -run TestSeeds -seed=%d -v", res.Err, s)
		}
		rec = append(rec, res.RecoveryTicks)
		props += res.Proposals
		commits += res.Commits
		stats.Add(res.Stats)
	}
	el := time.Since(start)
	slices.Sort(rec)
	t.Logf("%d seeds in %v (%.0f seeds/s); %d proposals, %d acked; recovery ticks median=%d p99=%d max=%d; %s",
		n, el.Round(time.Millisecond), float64(n)/el.Seconds(), props, commits,
		rec[len(rec)/2], rec[len(rec)*99/100], rec[len(rec)-1], stats)
}

func TestElectionAfterLeaderCrash(t *testing.T) {
	n := 200
	if testing.Short() {
		n = 50
	}
	for _, voters := range []int{3, 5} {
		var ticks []int64
		for s := *fromFlag; s < *fromFlag+int64(n); s++ {
			d, err := TicksToElect(s, voters)
			if err != nil {
				t.Fatalf("voters=%d seed=%d: %v", voters, s, err)
			}
			ticks = append(ticks, d)
		}
		slices.Sort(ticks)
		t.Logf("voters=%d: ticks to elect after leader crash over %d seeds: median=%d p99=%d max=%d",
			voters, n, ticks[len(ticks)/2], ticks[len(ticks)*99/100], ticks[len(ticks)-1])
		if p99 := ticks[len(ticks)*99/100]; p99 > 60 {
			t.Errorf("p99 %d ticks to elect is too slow", p99)
		}
	}
}
