package zab

import "sync"

// StateMachine is what zab needs from the application it replicates.
//
// zab calls it only from inside Step, on the goroutine that drives the
// Node, to build the image it sends a learner that is too far behind for a
// DIFF (SNAP sync).
type StateMachine interface {
	// Snapshot returns an image of the state machine that reflects every
	// txn it has applied, with Zxid set to the last one applied. The
	// returned Data must not be modified afterwards (zab sends it as is).
	Snapshot() (Snapshot, error)
}

// MemoryStateMachine is a StateMachine double for tests: it records the
// entries applied to it. It is safe for concurrent use.
type MemoryStateMachine struct {
	mu      sync.Mutex
	applied []Entry
	last    Zxid
}

var _ StateMachine = (*MemoryStateMachine)(nil)

// Apply records e; entries must come in zxid order.
func (m *MemoryStateMachine) Apply(e Entry) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.applied = append(m.applied, e)
	m.last = e.Zxid
}

// Restore replaces the state with snap (its Data is not interpreted).
func (m *MemoryStateMachine) Restore(snap Snapshot) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.applied = nil
	m.last = snap.Zxid
}

// Last returns the zxid of the last applied entry or restored snapshot.
func (m *MemoryStateMachine) Last() Zxid {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.last
}

// Applied returns the entries applied since creation or the last Restore.
func (m *MemoryStateMachine) Applied() []Entry {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Entry(nil), m.applied...)
}

// Snapshot implements StateMachine: the data is the applied entries' data,
// each followed by a ';'.
func (m *MemoryStateMachine) Snapshot() (Snapshot, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var b []byte
	for _, e := range m.applied {
		b = append(b, e.Data...)
		b = append(b, ';')
	}
	return Snapshot{Zxid: m.last, Data: b}, nil
}
