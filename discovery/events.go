package discovery

import "sync"

// eventQueue decouples memberlist's goroutines, which must never block, from
// the consumer of Events. push never blocks; one goroutine (run) moves
// events to the channel in order.
type eventQueue struct {
	mu      sync.Mutex
	cond    *sync.Cond
	q       []Event
	limit   int
	closed  bool
	dropped uint64
	out     chan Event
}

func newEventQueue(limit int) *eventQueue {
	e := &eventQueue{limit: limit, out: make(chan Event)}
	e.cond = sync.NewCond(&e.mu)
	return e
}

// push appends ev, dropping the oldest event when the queue is full. After
// close it does nothing. It reports whether an event was dropped.
func (e *eventQueue) push(ev Event) (dropped bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return false
	}
	if len(e.q) >= e.limit {
		e.q = e.q[1:]
		e.dropped++
		dropped = true
	}
	e.q = append(e.q, ev)
	e.cond.Signal()
	return dropped
}

func (e *eventQueue) droppedCount() uint64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.dropped
}

// close stops run, which then closes out.
func (e *eventQueue) close() {
	e.mu.Lock()
	e.closed = true
	e.cond.Broadcast()
	e.mu.Unlock()
}

// run delivers events to out until close; then it closes out. stop is
// closed together with close, to abandon a send nobody receives.
func (e *eventQueue) run(stop <-chan struct{}) {
	defer close(e.out)
	for {
		e.mu.Lock()
		for len(e.q) == 0 && !e.closed {
			e.cond.Wait()
		}
		if e.closed {
			e.mu.Unlock()
			return
		}
		ev := e.q[0]
		e.q = e.q[1:]
		e.mu.Unlock()
		select {
		case e.out <- ev:
		case <-stop:
			return
		}
	}
}
