package zab

import (
	"errors"
	"sync"
)

// ErrCompacted is returned by Storage.Entries when entries after the
// requested zxid are no longer in the log (they are covered by a snapshot).
var ErrCompacted = errors.New("zab: requested entries are compacted")

// ErrNoSnapshot is returned by Storage.Snapshot when none exists.
var ErrNoSnapshot = errors.New("zab: no snapshot")

// Storage is the durable state that zab reads. zab never writes through
// this interface: the entries and hard state that Ready hands out are
// persisted by the driver, through whatever concrete type implements
// Storage (storage.Store on disk, MemoryStorage in tests), before the driver
// calls Advance.
//
// Implementations must be safe to call from the goroutine that drives zab
// while the driver writes from the same goroutine.
type Storage interface {
	// HardState returns the last persisted epochs (zero on a fresh member).
	HardState() (HardState, error)
	// LastZxid returns the zxid of the last durable entry, or that of the
	// snapshot if the log after it is empty, or 0.
	LastZxid() (Zxid, error)
	// FirstZxid returns the zxid of the oldest entry still in the log, or 0
	// if the log is empty. Entries before it are only in a snapshot.
	FirstZxid() (Zxid, error)
	// Entries returns up to max entries with zxid > after, in zxid order.
	// It returns ErrCompacted if the entry right after `after` is gone.
	Entries(after Zxid, max int) ([]Entry, error)
	// Snapshot returns the newest snapshot, or ErrNoSnapshot.
	Snapshot() (Snapshot, error)
}

// SnapshotZxidStorage is an optional capability of a Storage: the zxid of
// its newest snapshot without loading the snapshot's data. zab uses it,
// when present, wherever it only needs that zxid.
type SnapshotZxidStorage interface {
	// SnapshotZxid returns the newest snapshot's zxid, or ErrNoSnapshot.
	SnapshotZxid() (Zxid, error)
}

// snapshotZxid returns st's newest snapshot zxid, 0 if it has none.
func snapshotZxid(st Storage) (Zxid, error) {
	var z Zxid
	var err error
	if sz, ok := st.(SnapshotZxidStorage); ok {
		z, err = sz.SnapshotZxid()
	} else {
		var snap Snapshot
		snap, err = st.Snapshot()
		z = snap.Zxid
	}
	if errors.Is(err, ErrNoSnapshot) {
		return 0, nil
	}
	return z, err
}

// MemoryStorage is an in-memory Storage with the write methods a driver
// needs. It is safe for concurrent use. It exists for tests and the
// simulator: nothing in it survives a process.
type MemoryStorage struct {
	mu   sync.Mutex
	hs   HardState
	snap Snapshot
	// Invariant: ents are in strictly increasing zxid order, all > snap.Zxid.
	ents []Entry
}

var (
	_ Storage             = (*MemoryStorage)(nil)
	_ SnapshotZxidStorage = (*MemoryStorage)(nil)
)

// NewMemoryStorage returns an empty MemoryStorage.
func NewMemoryStorage() *MemoryStorage { return &MemoryStorage{} }

// HardState implements Storage.
func (m *MemoryStorage) HardState() (HardState, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.hs, nil
}

// SetHardState records hs.
func (m *MemoryStorage) SetHardState(hs HardState) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.hs = hs
	return nil
}

// LastZxid implements Storage.
func (m *MemoryStorage) LastZxid() (Zxid, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if n := len(m.ents); n > 0 {
		return m.ents[n-1].Zxid, nil
	}
	return m.snap.Zxid, nil
}

// FirstZxid implements Storage.
func (m *MemoryStorage) FirstZxid() (Zxid, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.ents) == 0 {
		return 0, nil
	}
	return m.ents[0].Zxid, nil
}

// Entries implements Storage.
func (m *MemoryStorage) Entries(after Zxid, max int) ([]Entry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if after < m.snap.Zxid {
		return nil, ErrCompacted
	}
	var out []Entry
	for _, e := range m.ents {
		if e.Zxid > after {
			if max > 0 && len(out) >= max {
				break
			}
			out = append(out, e)
		}
	}
	return out, nil
}

// Snapshot implements Storage.
func (m *MemoryStorage) Snapshot() (Snapshot, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.snap.Zxid == 0 && m.snap.Data == nil {
		return Snapshot{}, ErrNoSnapshot
	}
	return m.snap, nil
}

// SnapshotZxid implements SnapshotZxidStorage.
func (m *MemoryStorage) SnapshotZxid() (Zxid, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.snap.Zxid == 0 && m.snap.Data == nil {
		return 0, ErrNoSnapshot
	}
	return m.snap.Zxid, nil
}

// Append adds entries to the log. Their zxids must be above the last one.
func (m *MemoryStorage) Append(ents []Entry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, e := range ents {
		last := m.snap.Zxid
		if n := len(m.ents); n > 0 {
			last = m.ents[n-1].Zxid
		}
		if e.Zxid <= last {
			return errors.New("zab: append out of order")
		}
		m.ents = append(m.ents, e)
	}
	return nil
}

// Truncate drops every entry with zxid > after (the TRUNC of sync).
func (m *MemoryStorage) Truncate(after Zxid) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	i := len(m.ents)
	for i > 0 && m.ents[i-1].Zxid > after {
		i--
	}
	m.ents = m.ents[:i]
	return nil
}

// ApplySnapshot replaces the state with snap, dropping entries it covers
// (the SNAP of sync, or a locally taken snapshot when compacting).
func (m *MemoryStorage) ApplySnapshot(snap Snapshot, dropLog bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.snap = snap
	if dropLog {
		m.ents = nil
		return nil
	}
	i := 0
	for i < len(m.ents) && m.ents[i].Zxid <= snap.Zxid {
		i++
	}
	m.ents = append([]Entry(nil), m.ents[i:]...)
	return nil
}
