package storage

import (
	"context"
	"errors"
	"sync"
	"syscall"
	"testing"

	"github.com/zkmesh/zkmesh/zab"
)

// startCommitter runs a committer and stops it when the test ends.
func startCommitter(t testing.TB, s *Store) *GroupCommitter {
	g := NewGroupCommitter(s)
	runErr := make(chan error, 1)
	go func() { runErr <- g.Run(context.Background()) }()
	t.Cleanup(func() {
		g.Close()
		if err := <-runErr; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return g
}

// zxidSource hands out increasing zxids and submits under one lock, so
// that submission order is zxid order.
type zxidSource struct {
	mu   sync.Mutex
	next uint32
	g    *GroupCommitter
}

func (z *zxidSource) submit(size int) (zab.Entry, <-chan error) {
	z.mu.Lock()
	defer z.mu.Unlock()
	z.next++
	e := entry(zab.MakeZxid(1, z.next), size)
	return e, z.g.Submit(e)
}

func TestGroupCommitConcurrent(t *testing.T) {
	m := NewMemFS(1)
	s := mustOpen(t, m, smallConfig(testDir))
	defer s.Close()
	g := startCommitter(t, s)
	src := &zxidSource{g: g}
	var wg sync.WaitGroup
	const writers, each = 8, 50
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				_, ch := src.submit(20)
				if err := <-ch; err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if got := allEntries(t, s); len(got) != writers*each {
		t.Fatalf("%d entries", len(got))
	}
	batches, n := g.Stats()
	if n != writers*each || batches == 0 || batches > n {
		t.Fatalf("stats %d batches, %d entries", batches, n)
	}
}

// Entries that arrive while an fsync is in flight share the next fsync;
// a lone entry is committed without waiting for company.
func TestGroupCommitBatchesDuringFsync(t *testing.T) {
	m := NewMemFS(1)
	cfg := smallConfig(testDir)
	cfg.SegmentMaxEntries = 1000
	cfg.SegmentMaxBytes = 1 << 20
	s := mustOpen(t, m, cfg)
	defer s.Close()
	g := startCommitter(t, s)

	// A lone entry: acknowledged with nothing else happening.
	if err := g.Commit(context.Background(), entry(zab.MakeZxid(1, 1), 8)); err != nil {
		t.Fatal(err)
	}
	entered := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	m.SetSyncHook(func() {
		once.Do(func() {
			close(entered)
			<-release
		})
	})
	first := g.Submit(entry(zab.MakeZxid(1, 2), 8))
	<-entered // the fsync covering entry 2 is in flight
	var waiting []<-chan error
	for c := uint32(3); c <= 12; c++ {
		waiting = append(waiting, g.Submit(entry(zab.MakeZxid(1, c), 8)))
	}
	syncsBefore := m.Syncs()
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	for _, ch := range waiting {
		if err := <-ch; err != nil {
			t.Fatal(err)
		}
	}
	if got := m.Syncs() - syncsBefore; got != 2 {
		t.Fatalf("%d fsyncs for the in-flight entry and the ten that queued behind it, want 2", got)
	}
	if b, n := g.Stats(); b != 3 || n != 12 {
		t.Fatalf("stats: %d batches, %d entries", b, n)
	}
}

func TestGroupCommitRejectsOutOfOrderAlone(t *testing.T) {
	s := mustOpen(t, NewMemFS(1), smallConfig(testDir))
	defer s.Close()
	g := startCommitter(t, s)
	ctx := context.Background()
	if err := g.Commit(ctx, entry(zab.MakeZxid(1, 5), 8)); err != nil {
		t.Fatal(err)
	}
	if err := g.Commit(ctx, entry(zab.MakeZxid(1, 4), 8)); !errors.Is(err, ErrOutOfOrder) {
		t.Fatalf("err = %v", err)
	}
	if err := g.Commit(ctx, entry(zab.MakeZxid(1, 6), 8)); err != nil {
		t.Fatalf("after a refused entry: %v", err)
	}
}

func TestGroupCommitFsyncFailure(t *testing.T) {
	m := NewMemFS(1)
	s := mustOpen(t, m, smallConfig(testDir))
	defer s.Close()
	g := startCommitter(t, s)
	m.FailSyncs(syscall.EIO)
	err := g.Commit(context.Background(), entry(zab.MakeZxid(1, 1), 8))
	if !errors.Is(err, ErrStoreFailed) || !errors.Is(err, syscall.EIO) {
		t.Fatalf("err = %v", err)
	}
	m.FailSyncs(nil)
	if err := g.Commit(context.Background(), entry(zab.MakeZxid(1, 2), 8)); !errors.Is(err, ErrStoreFailed) {
		t.Fatalf("after failure: %v", err)
	}
}

func TestGroupCommitClose(t *testing.T) {
	s := mustOpen(t, NewMemFS(1), smallConfig(testDir))
	defer s.Close()
	g := NewGroupCommitter(s)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Run(ctx) }()
	if err := g.Commit(context.Background(), entry(1, 1)); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v", err)
	}
	if err := <-g.Submit(entry(2, 1)); !errors.Is(err, ErrClosed) {
		t.Fatalf("Submit after stop: %v", err)
	}
	g.Close()
	// Close without Run fails what was queued.
	g2 := NewGroupCommitter(s)
	ch := g2.Submit(entry(3, 1))
	g2.Close()
	if err := <-ch; !errors.Is(err, ErrClosed) {
		t.Fatalf("queued before Close: %v", err)
	}
}
