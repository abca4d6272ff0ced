package znode

import (
	"fmt"
	"sync"
	"testing"

	"github.com/zkmesh/zkmesh/jute"
)

// checkPrepInvariant verifies Prep's invariant: every change in changes is
// also in order (so Applied will forget it).
func checkPrepInvariant(t *testing.T, p *Prep) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	in := make(map[*change]bool, len(p.order))
	for _, c := range p.order {
		in[c] = true
	}
	for path, c := range p.changes {
		if !in[c] {
			t.Fatalf("change of %s (zxid %d) is not outstanding and will never be forgotten", path, c.zxid)
		}
	}
}

// applier applies txns on its own goroutine, as the server's commit path
// does while the leader goes on preparing.
type applier struct {
	h    *harness
	in   chan txn
	done chan struct{}
	mu   sync.Mutex
	errs []string
}

func startApplier(h *harness) *applier {
	a := &applier{h: h, in: make(chan txn, 16), done: make(chan struct{})}
	go func() {
		defer close(a.done)
		for x := range a.in {
			r := h.tree.Apply(&x.hdr, x.body)
			h.prep.Applied(x.hdr.Zxid)
			if x.hdr.Type != jute.OpError && x.hdr.Type != jute.OpMulti && r.Err != jute.CodeOK {
				a.mu.Lock()
				a.errs = append(a.errs, fmt.Sprintf("zxid %d %v: %v", x.hdr.Zxid, x.hdr.Type, r.Err))
				a.mu.Unlock()
			}
		}
	}()
	return a
}

func (a *applier) stop(t *testing.T) {
	close(a.in)
	<-a.done
	if len(a.errs) > 0 {
		t.Fatalf("txns that Prep let through failed to apply: %v", a.errs)
	}
}

// TestMultiRollbackWhileApplying: a multi fails while the txn whose change
// it saved is applied on another goroutine. The rollback must not bring
// back a change that Applied has already forgotten.
func TestMultiRollbackWhileApplying(t *testing.T) {
	h := newHarness(t)
	a := startApplier(h)
	checks := make([]*Request, 0, 501)
	for i := 0; i < 200; i++ {
		path := fmt.Sprintf("/r%d", i)
		checks = checks[:0]
		for j := 0; j < 500; j++ {
			checks = append(checks, checkReq(path, -1))
		}
		checks = append(checks, checkReq(path, 99))
		x := h.prepare(createReq(path, "", jute.ModePersistent))
		a.in <- x
		a.in <- h.prepare(multiReq(checks...))
	}
	a.stop(t)
	checkPrepInvariant(t, h.prep)
	// Sequential creates under the root get the numbers the tree's cversion
	// gives (a stale root change would hand out a number again).
	h.tree.mu.RLock()
	want := fmt.Sprintf("/s%010d", h.tree.nodes["/"].stat.Cversion)
	h.tree.mu.RUnlock()
	if r := h.do(createReq("/s", "", jute.ModePersistentSequential)); r.Err != jute.CodeOK || r.Path != want {
		t.Fatalf("sequential create after the stress: %+v, want %s", r, want)
	}
}

// TestCloseSessionWhileApplying: closeSession is prepared while deletes and
// creates of the session's ephemerals are applied on another goroutine. Its
// list must count each ephemeral once, so that the parent's child count
// stays right and a later delete of the parent is refused while it has
// children.
func TestCloseSessionWhileApplying(t *testing.T) {
	h := newHarness(t)
	a := startApplier(h)
	for i := 0; i < 100; i++ {
		parent := fmt.Sprintf("/p%d", i)
		a.in <- h.prepare(createReq(parent, "", jute.ModePersistent))
		a.in <- h.prepare(as(sessB, createReq(parent+"/keep", "", jute.ModePersistent)))
		for j := 0; j < 50; j++ {
			a.in <- h.prepare(createReq(fmt.Sprintf("%s/e%d", parent, j), "", jute.ModeEphemeral))
		}
		for j := 0; j < 50; j += 2 {
			a.in <- h.prepare(as(sessB, deleteReq(fmt.Sprintf("%s/e%d", parent, j), -1)))
		}
		a.in <- h.prepare(closeReq(sessA))
		// /parent still has /keep: the delete must be refused.
		x := h.prepare(as(sessB, deleteReq(parent, -1)))
		if e, ok := x.body.(*jute.ErrorTxn); !ok || e.Err != jute.CodeNotEmpty {
			a.stop(t)
			t.Fatalf("round %d: delete of %s with a child left prepared as %v %v", i, parent, x.hdr.Type, x.body)
		}
		a.in <- x
	}
	a.stop(t)
	checkPrepInvariant(t, h.prep)
	checkInvariants(t, h.tree)
}

// TestConcurrentReadsRegisterWatches: reads may run from any goroutine at
// once, and reads that register watches are no exception; watch reports and
// checks may run beside them, and Apply fires what they registered.
func TestConcurrentReadsRegisterWatches(t *testing.T) {
	h := newHarness(t)
	h.must(createReq("/n", "", jute.ModePersistent))
	const readers = 4
	const rounds = 200
	watchers := make([]*lockedWatcher, readers)
	var wg sync.WaitGroup
	for g := 0; g < readers; g++ {
		watchers[g] = &lockedWatcher{session: int64(g + 1)}
		wg.Add(1)
		go func(w *lockedWatcher) {
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				h.tree.GetData("/n", nil, w)
				h.tree.Exists(fmt.Sprintf("/n/%d-%d", w.session, i), nil, w)
				h.tree.GetChildren("/n", nil, w)
				h.tree.CheckWatches("/n", jute.WatcherAny, w)
				if i%50 == 0 {
					h.tree.Watches()
					h.tree.DataWatches()
				}
			}
		}(watchers[g])
	}
	// Writes go on meanwhile, on this goroutine.
	for i := 0; i < rounds/10; i++ {
		h.must(setDataReq("/n", fmt.Sprint(i), -1))
	}
	wg.Wait()
	checkWatchTables(t, h.tree)
	// Every reader's last exist watch is still there and fires.
	for _, w := range watchers {
		h.must(createReq(fmt.Sprintf("/n/%d-%d", w.session, rounds-1), "", jute.ModePersistent))
		if !w.saw(fmt.Sprintf("created /n/%d-%d", w.session, rounds-1)) {
			t.Fatalf("watcher %d missed its exist event", w.session)
		}
	}
}

// lockedWatcher is a Watcher double safe to register from several
// goroutines.
type lockedWatcher struct {
	session int64
	mu      sync.Mutex
	events  []string
}

var _ Watcher = (*lockedWatcher)(nil)

func (w *lockedWatcher) Event(ev Event) {
	w.mu.Lock()
	w.events = append(w.events, fmtEvent(ev))
	w.mu.Unlock()
}
func (w *lockedWatcher) AuthIDs() []jute.Id { return nil }
func (w *lockedWatcher) SessionID() int64   { return w.session }

func (w *lockedWatcher) saw(ev string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, e := range w.events {
		if e == ev {
			return true
		}
	}
	return false
}
