package storage

import (
	"fmt"
	"io"
	"sort"
	"sync"

	"github.com/zkmesh/zkmesh/zab"
)

// Store is the durable zab.Storage of one member: a txn log, snapshots and
// the epoch files in one directory.
//
// A Store is safe for concurrent use. Reads (the zab.Storage methods) see
// only entries that Sync has made durable. Every method that writes
// returns an error wrapping ErrStoreFailed once any write or fsync has
// failed.
type Store struct {
	fs   FS
	cfg  Config
	dirs dataDirs

	mu     sync.Mutex
	closed bool
	// failed is the first write or fsync error; once set it never clears.
	failed error
	hs     zab.HardState
	// snap is the snapshot recovery starts from; hasSnap is false when
	// there is none.
	snap    snapMeta
	hasSnap bool
	// gen is the log generation new segments are written with.
	// Invariant: every segment in segs has this generation.
	gen uint64
	// segs are the open segments in zxid order; the last one takes
	// appends. Invariant: segment names increase, and each segment's first
	// record has the zxid in its name.
	segs []*segment
	// index locates every appended record. Invariant: zxids strictly
	// increase; index[:durable] has been fsync'd; index[durable:] is in buf
	// or written but not yet fsync'd.
	index   []indexEntry
	durable int
	// buf holds encoded records not yet written; they belong at the
	// tail's size offset.
	buf []byte
	// dirty is set when bytes were written to the tail since its last
	// fsync.
	dirty bool
	// rollNext starts a new segment at the next append, as ZooKeeper
	// rolls its log when it takes a snapshot, so that Purge can drop the
	// segments a snapshot covers.
	rollNext bool
	syncs    uint64
	// report is what recovery did; set by Open only.
	report RecoveryReport
	// lock holds the directory while the Store is open (nil if the FS
	// has no Locker).
	lock io.Closer
}

var _ zab.Storage = (*Store)(nil)

// indexEntry locates one record.
type indexEntry struct {
	zxid zab.Zxid
	seg  *segment
	off  int64 // offset of the record header
	size int   // data bytes
}

// Open opens (creating if needed) the store in cfg.Dir (and cfg.SnapDir)
// and recovers it:
// see the package documentation for what recovery cuts and what it
// refuses.
func Open(fsys FS, cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Store{fs: fsys, cfg: cfg, dirs: cfg.dirs()}
	for _, dir := range s.dirs.each() {
		if err := fsys.MkdirAll(dir); err != nil {
			return nil, fmt.Errorf("storage: creating %s: %w", dir, err)
		}
	}
	if l, ok := fsys.(Locker); ok {
		// The log directory is the store's identity: two stores may not
		// share it (nor, through it, the snapshot directory).
		lock, err := l.Lock(s.dirs.log)
		if err != nil {
			return nil, err
		}
		s.lock = lock
	}
	if err := s.recover(); err != nil {
		s.closeSegments()
		s.unlock()
		return nil, err
	}
	return s, nil
}

// tail returns the segment taking appends, or nil.
func (s *Store) tail() *segment {
	if len(s.segs) == 0 {
		return nil
	}
	return s.segs[len(s.segs)-1]
}

// writable reports why the store may not be written, or nil. The caller
// holds s.mu.
func (s *Store) writable() error {
	if s.closed {
		return ErrClosed
	}
	if s.failed != nil {
		return fmt.Errorf("%w: %w", ErrStoreFailed, s.failed)
	}
	return nil
}

// fail records err as the store's failure (if it is the first) and
// returns it wrapped in ErrStoreFailed. The caller holds s.mu.
func (s *Store) fail(err error) error {
	if s.failed == nil {
		s.failed = err
	}
	return fmt.Errorf("%w: %w", ErrStoreFailed, err)
}

// Failed returns the first write or fsync error, or nil while the store
// is healthy.
func (s *Store) Failed() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failed
}

// Syncs returns how many log fsyncs the store has issued.
func (s *Store) Syncs() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.syncs
}

// HardState implements zab.Storage.
func (s *Store) HardState() (zab.HardState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hs, nil
}

// SetHardState persists hs (each changed epoch file atomically,
// acceptedEpoch first) before it returns.
func (s *Store) SetHardState(hs zab.HardState) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.writable(); err != nil {
		return err
	}
	if err := writeHardState(s.fs, s.dirs.snap, s.hs, hs); err != nil {
		return s.fail(err)
	}
	s.hs = hs
	return nil
}

// LastZxid implements zab.Storage: the last durable entry's zxid, or the
// snapshot's if it is newer, or 0.
func (s *Store) LastZxid() (zab.Zxid, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastDurable(), nil
}

func (s *Store) lastDurable() zab.Zxid {
	z := s.snap.zxid
	if s.durable > 0 && s.index[s.durable-1].zxid > z {
		z = s.index[s.durable-1].zxid
	}
	return z
}

// lastAppended is the zxid the next Append must exceed.
func (s *Store) lastAppended() zab.Zxid {
	z := s.snap.zxid
	if n := len(s.index); n > 0 && s.index[n-1].zxid > z {
		z = s.index[n-1].zxid
	}
	return z
}

// FirstZxid implements zab.Storage.
func (s *Store) FirstZxid() (zab.Zxid, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.durable == 0 {
		return 0, nil
	}
	return s.index[0].zxid, nil
}

// covered reports whether the log holds every entry after `after`: the
// log always continues the snapshot, so anything at or after the
// snapshot's zxid is covered; below it, the log must start at or before
// after+1.
func (s *Store) covered(after zab.Zxid) bool {
	return after >= s.snap.zxid || (s.durable > 0 && s.index[0].zxid <= after+1)
}

// Entries implements zab.Storage. max <= 0 means no limit. Each record's
// checksum is verified again as it is read. Records that lie next to each
// other in a segment are read with one ReadAt of up to entriesSpanBytes;
// the returned Data slices share that buffer.
func (s *Store) Entries(after zab.Zxid, max int) ([]zab.Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	if !s.covered(after) {
		return nil, zab.ErrCompacted
	}
	i := sort.Search(s.durable, func(i int) bool { return s.index[i].zxid > after })
	var out []zab.Entry
	for i < s.durable && (max <= 0 || len(out) < max) {
		first := s.index[i]
		j := i + 1
		for j < s.durable && s.index[j].seg == first.seg && (max <= 0 || len(out)+j-i < max) &&
			s.index[j].off+recordSize(s.index[j].size)-first.off <= entriesSpanBytes {
			j++
		}
		ents, err := s.readSpan(s.index[i:j])
		if err != nil {
			return nil, err
		}
		out = append(out, ents...)
		i = j
	}
	return out, nil
}

// entriesSpanBytes bounds one read of adjacent records in Entries.
const entriesSpanBytes = 1 << 20

// readSpan reads adjacent records of one segment with one ReadAt and
// verifies each.
func (s *Store) readSpan(span []indexEntry) ([]zab.Entry, error) {
	first, last := span[0], span[len(span)-1]
	buf := make([]byte, last.off+recordSize(last.size)-first.off)
	if _, err := first.seg.f.ReadAt(buf, first.off); err != nil {
		return nil, fmt.Errorf("storage: reading %s at offset %d: %w", first.seg.path, first.off, err)
	}
	out := make([]zab.Entry, 0, len(span))
	for _, ie := range span {
		rec := buf[ie.off-first.off:]
		e, _, err := decodeRecord(rec, s.cfg.MaxRecordBytes)
		if err != nil {
			return nil, corruptAt(ie.seg.path, ie.off, err, " (on read)")
		}
		if e.Zxid != ie.zxid {
			return nil, corruptAt(ie.seg.path, ie.off, fmt.Errorf("zxid %v where %v was written", e.Zxid, ie.zxid), " (on read)")
		}
		out = append(out, e)
	}
	return out, nil
}

// Snapshot implements zab.Storage: the snapshot recovery starts from, read
// from disk and verified. It does not hold the image in memory between
// calls; use OpenSnapshot to stream it instead.
func (s *Store) Snapshot() (zab.Snapshot, error) {
	s.mu.Lock()
	meta, ok := s.snap, s.hasSnap
	s.mu.Unlock()
	if !ok {
		return zab.Snapshot{}, zab.ErrNoSnapshot
	}
	return readSnapshot(s.fs, meta)
}

// SnapshotZxid returns the zxid of the snapshot recovery starts from
// without reading it, or zab.ErrNoSnapshot. Callers that need only the
// zxid should prefer it to Snapshot, which reads and verifies the whole
// image.
func (s *Store) SnapshotZxid() (zab.Zxid, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.hasSnap {
		return 0, zab.ErrNoSnapshot
	}
	return s.snap.zxid, nil
}

// OpenSnapshot streams the snapshot recovery starts from. The reader
// verifies the checksum when it reaches the end (see SnapshotReader). The
// caller closes it.
func (s *Store) OpenSnapshot() (*SnapshotReader, error) {
	s.mu.Lock()
	meta, ok := s.snap, s.hasSnap
	s.mu.Unlock()
	if !ok {
		return nil, zab.ErrNoSnapshot
	}
	r, _, err := openSnapshotFile(s.fs, meta.path)
	return r, err
}

// Close makes pending appends durable (unless the store has failed) and
// closes every file. Later calls return ErrClosed.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	var err error
	if s.failed == nil {
		if err = s.syncLocked(); err != nil {
			err = s.fail(err)
		}
	}
	s.closeSegments()
	s.unlock()
	s.closed = true
	return err
}

func (s *Store) unlock() {
	if s.lock != nil {
		s.lock.Close()
		s.lock = nil
	}
}

func (s *Store) closeSegments() {
	for _, seg := range s.segs {
		if seg.f != nil {
			seg.f.Close()
		}
	}
}
