package storage

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/zkmesh/zkmesh/zab"
)

// TestPowerLoss cuts the power at a seeded point while several goroutines
// commit through a GroupCommitter (and, for half the seeds, another takes
// snapshots and purges), then restarts on what the disk kept. Every
// acknowledged entry must be recovered, in order; what is recovered must
// be exactly a run of what was requested, with no gap, and the snapshot
// must be continued by the log. Each seed runs three crash-restart
// rounds.
func TestPowerLoss(t *testing.T) {
	seeds := 300
	if raceEnabled {
		seeds = 120
	}
	if testing.Short() {
		seeds = 40
	}
	torn := 0
	for seed := 0; seed < seeds; seed++ {
		n, err := powerLossRun(uint64(seed))
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		torn += n
	}
	// The runs must have exercised torn tails, or they prove little.
	if torn < seeds/10 {
		t.Fatalf("only %d torn tails were cut in %d seeds", torn, seeds)
	}
	t.Logf("%d seeds, %d torn tails cut on recovery", seeds, torn)
}

type powerLossState struct {
	mu        sync.Mutex
	requested []zab.Entry       // in submission (= zxid) order
	acked     map[zab.Zxid]bool // acknowledged durable
	snapAcked zab.Zxid          // newest acknowledged snapshot
}

// powerLossRun returns how many recoveries cut a torn tail.
func powerLossRun(seed uint64) (int, error) {
	rng := rand.New(rand.NewPCG(seed, 42))
	m := NewMemFS(seed)
	cfg := smallConfig(testDir)
	cfg.PreallocBytes = int64(64 + rng.IntN(512))
	cfg.WriteBufferBytes = 32 + rng.IntN(1024)
	cfg.SegmentMaxBytes = int64(256 + rng.IntN(2048))
	cfg.SegmentMaxEntries = 4 + rng.IntN(40)
	withSnapshots := rng.IntN(2) == 0
	if seed%3 == 1 {
		cfg.SnapDir = "/snap"
	}
	st := &powerLossState{acked: map[zab.Zxid]bool{}}
	torn := 0
	for round := 0; round < 3; round++ {
		s, err := Open(m, cfg)
		if err != nil {
			return torn, fmt.Errorf("round %d: Open: %w", round, err)
		}
		if s.Recovery().TornTailPath != "" {
			torn++
		}
		if err := s.checkInvariants(); err != nil {
			return torn, fmt.Errorf("round %d: %w", round, err)
		}
		if err := st.check(s); err != nil {
			return torn, fmt.Errorf("round %d: %w", round, err)
		}
		m.CrashAfter(rng.Int64N(400))
		st.round(s, rng.Uint64(), withSnapshots)
		s.Close()
		m.Crash()
	}
	s, err := Open(m, cfg)
	if err != nil {
		return torn, fmt.Errorf("final Open: %w", err)
	}
	defer s.Close()
	if s.Recovery().TornTailPath != "" {
		torn++
	}
	return torn, st.check(s)
}

// round runs writers until they are done or the power is gone.
func (st *powerLossState) round(s *Store, seed uint64, withSnapshots bool) {
	g := NewGroupCommitter(s)
	runDone := make(chan struct{})
	go func() {
		defer close(runDone)
		g.Run(contextBackground())
	}()
	last, _ := s.LastZxid()
	epoch := last.Epoch() + 1 // a new epoch each round, as after an election
	var next uint32
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(w)))
			for i := 0; i < 30; i++ {
				st.mu.Lock()
				next++
				e := entry(zab.MakeZxid(epoch, next), rng.IntN(300))
				st.requested = append(st.requested, e)
				ch := g.Submit(e)
				st.mu.Unlock()
				if err := <-ch; err != nil {
					return
				}
				st.mu.Lock()
				st.acked[e.Zxid] = true
				st.mu.Unlock()
			}
		}(w)
	}
	if withSnapshots {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 4; i++ {
				z, _ := s.LastZxid()
				if z == 0 {
					continue
				}
				if err := s.SaveSnapshot(zab.Snapshot{Zxid: z, Data: []byte(z.String())}); err != nil {
					return
				}
				st.mu.Lock()
				if z > st.snapAcked {
					st.snapAcked = z
				}
				st.mu.Unlock()
				if err := s.Purge(2); err != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	g.Close()
	<-runDone
}

// check compares the recovered store with what was requested and acked,
// then forgets requested entries that were lost (their zxids are reused).
func (st *powerLossState) check(s *Store) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	var base zab.Zxid
	snap, err := s.Snapshot()
	switch {
	case err == nil:
		if snap.Zxid < st.snapAcked {
			return fmt.Errorf("snapshot %v recovered, %v was acknowledged", snap.Zxid, st.snapAcked)
		}
		if string(snap.Data) != snap.Zxid.String() {
			return fmt.Errorf("snapshot %v holds %q", snap.Zxid, snap.Data)
		}
		base = snap.Zxid
	case st.snapAcked != 0:
		return fmt.Errorf("no snapshot, %v was acknowledged: %v", st.snapAcked, err)
	}
	var got []zab.Entry
	if err := s.Replay(base, func(e zab.Entry) error { got = append(got, e); return nil }); err != nil {
		return fmt.Errorf("Replay(%v): %w", base, err)
	}
	// got must be exactly the requested entries after base, up to some
	// point at or past the last acknowledged one.
	i := 0
	for i < len(st.requested) && st.requested[i].Zxid <= base {
		i++
	}
	if base != 0 && (i == 0 || st.requested[i-1].Zxid != base) {
		return fmt.Errorf("snapshot %v is not at a requested zxid", base)
	}
	for k, e := range got {
		if i+k >= len(st.requested) {
			return fmt.Errorf("recovered %v, which was never requested", e.Zxid)
		}
		w := st.requested[i+k]
		if e.Zxid != w.Zxid || !bytes.Equal(e.Data, w.Data) {
			return fmt.Errorf("recovered entry %d is %v (%d bytes), requested %v (%d bytes)", k, e.Zxid, len(e.Data), w.Zxid, len(w.Data))
		}
	}
	end := i + len(got)
	for _, e := range st.requested[end:] {
		if st.acked[e.Zxid] {
			return fmt.Errorf("acknowledged %v lost (recovered up to %d of %d requested)", e.Zxid, end, len(st.requested))
		}
	}
	last, _ := s.LastZxid()
	if end > 0 && last != st.requested[end-1].Zxid {
		return fmt.Errorf("LastZxid %v, last recovered %v", last, st.requested[end-1].Zxid)
	}
	st.requested = st.requested[:end]
	return nil
}
