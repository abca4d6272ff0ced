package storage

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/zkmesh/zkmesh/zab"
)

// GroupCommitter lets many goroutines append to a Store and share fsyncs.
// Entries submitted while an fsync runs are written together and covered
// by the next single fsync; an entry submitted while the committer is idle
// is written and fsync'd at once, never delayed to wait for company.
//
// Run is the committer's loop. It is the only goroutine storage ever runs,
// and it runs only if the owner starts it (go gc.Run(ctx)). Entries are
// written in the order Submit was called; a caller that needs zxid order
// (Append refuses anything else) must serialise zxid assignment with its
// Submit calls.
type GroupCommitter struct {
	s *Store

	mu      sync.Mutex
	queue   []commitReq
	closed  bool
	started bool
	wake    chan struct{} // capacity 1: "the queue may be non-empty"
	stop    chan struct{}
	done    chan struct{} // closed when Run returns

	batches atomic.Uint64
	entries atomic.Uint64
}

type commitReq struct {
	e    zab.Entry
	done chan error
}

// NewGroupCommitter returns a committer for s. Start it with Run.
func NewGroupCommitter(s *Store) *GroupCommitter {
	return &GroupCommitter{
		s:    s,
		wake: make(chan struct{}, 1),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
}

// Submit queues e. The channel receives exactly one value: nil once e is
// durable, or why it is not (ErrOutOfOrder, ErrStoreFailed, ErrClosed).
// Submit never blocks. e.Data must not be modified until the result
// arrives.
func (g *GroupCommitter) Submit(e zab.Entry) <-chan error {
	ch := make(chan error, 1)
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		ch <- ErrClosed
		return ch
	}
	g.queue = append(g.queue, commitReq{e: e, done: ch})
	g.mu.Unlock()
	select {
	case g.wake <- struct{}{}:
	default:
	}
	return ch
}

// Commit submits e and waits for its result. If ctx ends first, Commit
// returns ctx.Err(), but e may still become durable.
func (g *GroupCommitter) Commit(ctx context.Context, e zab.Entry) error {
	ch := g.Submit(e)
	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Run writes and fsyncs batches until ctx ends or Close is called. Entries
// already submitted when Close is called are committed before Run
// returns; when ctx ends they fail with ErrClosed. Run must be called at
// most once.
func (g *GroupCommitter) Run(ctx context.Context) error {
	g.mu.Lock()
	if g.started {
		g.mu.Unlock()
		panic("storage: GroupCommitter.Run called twice")
	}
	g.started = true
	g.mu.Unlock()
	defer close(g.done)
	for {
		g.mu.Lock()
		batch, closed := g.queue, g.closed
		g.queue = nil
		g.mu.Unlock()
		if len(batch) > 0 {
			g.commit(batch)
			continue
		}
		if closed {
			return nil
		}
		select {
		case <-g.wake:
		case <-g.stop:
		case <-ctx.Done():
			g.mu.Lock()
			g.closed = true
			batch := g.queue
			g.queue = nil
			g.mu.Unlock()
			for _, r := range batch {
				r.done <- ErrClosed
			}
			return ctx.Err()
		}
	}
}

// Close stops accepting entries, lets Run commit what was submitted, and
// waits for Run to return (if it was started).
func (g *GroupCommitter) Close() error {
	g.mu.Lock()
	if g.closed {
		started := g.started
		g.mu.Unlock()
		if started {
			<-g.done
		}
		return nil
	}
	g.closed = true
	started := g.started
	var orphans []commitReq
	if !started {
		orphans, g.queue = g.queue, nil
	}
	g.mu.Unlock()
	close(g.stop)
	for _, r := range orphans {
		r.done <- ErrClosed
	}
	if started {
		<-g.done
	}
	return nil
}

// Stats returns how many batches (one fsync each) and entries the
// committer has made durable.
func (g *GroupCommitter) Stats() (batches, entries uint64) {
	return g.batches.Load(), g.entries.Load()
}

// commit appends the batch's valid entries with one write and one fsync.
func (g *GroupCommitter) commit(batch []commitReq) {
	errs, err := g.s.appendEach(batch)
	if err == nil {
		err = g.s.Sync()
	}
	n := 0
	for i, r := range batch {
		switch {
		case errs[i] != nil:
			r.done <- errs[i]
		case err != nil:
			r.done <- err
		default:
			n++
			r.done <- nil
		}
	}
	if n > 0 {
		g.batches.Add(1)
		g.entries.Add(uint64(n))
	}
}

// appendEach appends every request whose entry is valid in turn; errs[i]
// says why request i was refused. err is a store failure that hit every
// accepted entry.
func (s *Store) appendEach(batch []commitReq) (errs []error, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	errs = make([]error, len(batch))
	if err := s.writable(); err != nil {
		return errs, err
	}
	for i, r := range batch {
		if errs[i] = s.checkAppend([]zab.Entry{r.e}); errs[i] != nil {
			continue
		}
		if err := s.appendOne(r.e); err != nil {
			return errs, s.fail(err)
		}
	}
	return errs, nil
}
