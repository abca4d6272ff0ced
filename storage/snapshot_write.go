package storage

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"

	"github.com/zkmesh/zkmesh/zab"
)

// SnapshotWriter streams a snapshot image to a temporary file. Nothing is
// visible until Commit; Abort (or a crash) leaves no trace but a *.tmp
// file that the next Open removes. A SnapshotWriter is used by one
// goroutine; it does not hold the Store's lock while data is written.
type SnapshotWriter struct {
	s    *Store
	zxid zab.Zxid
	// gen is the log generation when the snapshot was started; a local
	// snapshot is refused if a SNAP replaced the log meanwhile.
	gen  uint64
	tmp  string
	path string
	f    File
	off  int64
	crc  uint32
	buf  []byte
	err  error
	done bool
}

const snapWriteBuffer = 256 << 10

// CreateSnapshot starts a snapshot reflecting every txn up to zxid. Write
// the image, then Commit or Abort.
func (s *Store) CreateSnapshot(zxid zab.Zxid) (*SnapshotWriter, error) {
	s.mu.Lock()
	err := s.writable()
	gen := s.gen
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	path := s.dirs.snapPath(zxid)
	w := &SnapshotWriter{s: s, zxid: zxid, gen: gen, path: path, tmp: path + tmpSuffix}
	if w.f, err = s.fs.Create(w.tmp); err != nil {
		return nil, fmt.Errorf("storage: creating %s: %w", w.tmp, err)
	}
	var h [snapHeaderSize]byte
	copy(h[:], snapMagic[:])
	binary.BigEndian.PutUint64(h[8:], uint64(zxid))
	w.buf = append(make([]byte, 0, snapWriteBuffer), h[:]...)
	return w, nil
}

// Write implements io.Writer.
func (w *SnapshotWriter) Write(p []byte) (int, error) {
	if w.done {
		return 0, ErrClosed
	}
	if w.err != nil {
		return 0, w.err
	}
	w.buf = append(w.buf, p...)
	if len(w.buf) >= snapWriteBuffer {
		w.flush()
	}
	return len(p), w.err
}

func (w *SnapshotWriter) flush() {
	if w.err != nil || len(w.buf) == 0 {
		return
	}
	w.crc = crc32.Update(w.crc, castagnoli, w.buf)
	if _, err := w.f.WriteAt(w.buf, w.off); err != nil {
		w.err = fmt.Errorf("storage: writing %s: %w", w.tmp, err)
		return
	}
	w.off += int64(len(w.buf))
	w.buf = w.buf[:0]
}

// Abort discards the snapshot.
func (w *SnapshotWriter) Abort() error {
	if w.done {
		return nil
	}
	w.done = true
	w.f.Close()
	return w.s.fs.Remove(w.tmp)
}

// Commit makes the snapshot durable (trailer, fsync, rename, directory
// fsync) and the one recovery starts from. A local snapshot (dropLog
// false) that was started before a SNAP replaced the log is refused with
// ErrSnapshotStale: its image belongs to the replaced history.
//
// If dropLog is set (a SNAP from the leader), or the durable log ends
// before zxid, the whole log is replaced: its segments are removed and the
// next Append starts a new log generation, so that even segments a crash
// kept from removal are never replayed after this snapshot. Snapshots
// above zxid are removed when the log is replaced, as they belong to the
// replaced history.
func (w *SnapshotWriter) Commit(dropLog bool) error {
	if w.done {
		return ErrClosed
	}
	w.flush()
	if w.err == nil {
		// The image goes to disk before the lock is taken; only the
		// trailer is written under it.
		if err := w.f.Sync(); err != nil {
			w.err = fmt.Errorf("storage: fsync %s: %w", w.tmp, err)
		}
	}
	s := w.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if w.err != nil {
		w.Abort()
		return s.fail(w.err)
	}
	if err := s.writable(); err != nil {
		w.Abort()
		return err
	}
	if !dropLog && s.gen != w.gen {
		w.Abort()
		return fmt.Errorf("%w: %v was started before the log was replaced by a SNAP", ErrSnapshotStale, w.zxid)
	}
	if err := s.syncLocked(); err != nil {
		w.Abort()
		return s.fail(err)
	}
	reset := dropLog || s.lastDurable() < w.zxid
	gen := s.gen
	if reset {
		gen++
	}
	if err := w.finish(gen); err != nil {
		w.Abort()
		return s.fail(err)
	}
	meta := snapMeta{zxid: w.zxid, path: w.path, minLogGen: gen, dataLen: w.off - snapHeaderSize}
	if !reset {
		if !s.hasSnap || w.zxid >= s.snap.zxid {
			s.snap, s.hasSnap = meta, true
			s.rollNext = true
		}
		return nil
	}
	// The log is replaced. Newer snapshots first: they must not outlive
	// the rename of this one into place.
	if err := s.removeSnapshotsAbove(w.zxid); err != nil {
		w.Abort()
		return s.fail(err)
	}
	if err := w.install(); err != nil {
		return s.fail(err)
	}
	s.snap, s.hasSnap = meta, true
	for len(s.segs) > 0 {
		if err := s.removeSegment(s.tail()); err != nil {
			return s.fail(err)
		}
	}
	s.gen = gen
	s.index, s.durable, s.buf, s.dirty = nil, 0, s.buf[:0], false
	return nil
}

// finish writes the trailer and fsyncs; for a snapshot that does not
// replace the log it also installs it.
func (w *SnapshotWriter) finish(gen uint64) error {
	var t [snapTrailerSize]byte
	binary.BigEndian.PutUint64(t[0:8], gen)
	binary.BigEndian.PutUint64(t[8:16], uint64(w.off-snapHeaderSize))
	binary.BigEndian.PutUint32(t[16:20], crc32.Update(w.crc, castagnoli, t[:16]))
	if _, err := w.f.WriteAt(t[:], w.off); err != nil {
		return fmt.Errorf("storage: writing %s: %w", w.tmp, err)
	}
	if err := w.f.Sync(); err != nil {
		return fmt.Errorf("storage: fsync %s: %w", w.tmp, err)
	}
	if gen != w.s.gen {
		return nil // Commit installs it after removing newer snapshots.
	}
	return w.install()
}

// install renames the finished temp file into place durably.
func (w *SnapshotWriter) install() error {
	w.done = true
	if err := w.f.Close(); err != nil {
		return err
	}
	if err := w.s.fs.Rename(w.tmp, w.path); err != nil {
		return fmt.Errorf("storage: renaming %s: %w", w.tmp, err)
	}
	return w.s.fs.SyncDir(w.s.dirs.snap)
}

// removeSnapshotsAbove durably removes snapshot files above z, newest
// first.
func (s *Store) removeSnapshotsAbove(z zab.Zxid) error {
	l, err := listDir(s.fs, s.dirs)
	if err != nil {
		return err
	}
	for _, sz := range l.snaps {
		if sz <= z {
			break
		}
		if err := s.fs.Remove(s.dirs.snapPath(sz)); err != nil {
			return fmt.Errorf("storage: removing %s: %w", s.dirs.snapPath(sz), err)
		}
		if err := s.fs.SyncDir(s.dirs.snap); err != nil {
			return err
		}
	}
	return nil
}

// SaveSnapshot durably writes snap (a locally taken snapshot) and makes
// it the one recovery starts from. The log is kept (see Purge).
func (s *Store) SaveSnapshot(snap zab.Snapshot) error {
	return s.writeSnapshot(snap, false)
}

// ApplySnapshot durably installs snap received from the leader (SNAP
// sync). With dropLog the log is replaced (see SnapshotWriter.Commit);
// without it, entries the log holds are kept.
func (s *Store) ApplySnapshot(snap zab.Snapshot, dropLog bool) error {
	return s.writeSnapshot(snap, dropLog)
}

func (s *Store) writeSnapshot(snap zab.Snapshot, dropLog bool) error {
	w, err := s.CreateSnapshot(snap.Zxid)
	if err != nil {
		return err
	}
	if _, err := w.Write(snap.Data); err != nil {
		w.Abort()
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.fail(err)
	}
	return w.Commit(dropLog)
}
