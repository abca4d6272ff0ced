package storage

import (
	"fmt"

	"github.com/zkmesh/zkmesh/zab"
)

// Append buffers ents at the end of the log. Their zxids must increase
// and exceed every zxid already appended (and the snapshot's); otherwise
// Append returns ErrOutOfOrder and appends nothing. The entries are not
// durable, nor visible to Entries, until Sync returns nil. Append may
// write (when the buffer fills) and fsync (when it rolls to a new
// segment). ents and their Data are not retained.
func (s *Store) Append(ents []zab.Entry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.writable(); err != nil {
		return err
	}
	if err := s.checkAppend(ents); err != nil {
		return err
	}
	for _, e := range ents {
		if err := s.appendOne(e); err != nil {
			return s.fail(err)
		}
	}
	return nil
}

// checkAppend validates ents against the log without changing anything.
func (s *Store) checkAppend(ents []zab.Entry) error {
	last := s.lastAppended()
	for _, e := range ents {
		if e.Zxid <= last {
			return fmt.Errorf("%w: %v after %v", ErrOutOfOrder, e.Zxid, last)
		}
		if len(e.Data) > s.cfg.MaxRecordBytes {
			return fmt.Errorf("%w: %v holds %d bytes", ErrRecordTooLarge, e.Zxid, len(e.Data))
		}
		last = e.Zxid
	}
	return nil
}

func (s *Store) appendOne(e zab.Entry) error {
	rs := recordSize(len(e.Data))
	t := s.tail()
	if t != nil && t.count > 0 && (s.rollNext ||
		t.size+int64(len(s.buf))+rs > s.cfg.SegmentMaxBytes || t.count >= s.cfg.SegmentMaxEntries) {
		if err := s.seal(); err != nil {
			return err
		}
		t = nil
	}
	s.rollNext = false
	if t == nil {
		var err error
		if t, err = s.newSegment(e.Zxid); err != nil {
			return err
		}
	}
	s.index = append(s.index, indexEntry{zxid: e.Zxid, seg: t, off: t.size + int64(len(s.buf)), size: len(e.Data)})
	s.buf = appendRecord(s.buf, e)
	t.count++
	if len(s.buf) >= s.cfg.WriteBufferBytes {
		return s.flush()
	}
	return nil
}

// flush writes buf to the tail, extending its preallocation first if the
// bytes would not fit.
func (s *Store) flush() error {
	if len(s.buf) == 0 {
		return nil
	}
	t := s.tail()
	need := t.size + int64(len(s.buf))
	if need > t.alloc {
		chunk := s.cfg.PreallocBytes
		n := (need + chunk - 1) / chunk * chunk
		// Never preallocate past the size at which the segment rolls.
		n = min(n, max(need, s.cfg.SegmentMaxBytes))
		if err := preallocate(t.f, t.alloc, n); err != nil {
			return fmt.Errorf("storage: preallocating %s to %d bytes: %w", t.path, n, err)
		}
		t.alloc = n
	}
	if _, err := t.f.WriteAt(s.buf, t.size); err != nil {
		return fmt.Errorf("storage: writing %s at offset %d: %w", t.path, t.size, err)
	}
	t.size = need
	s.buf = s.buf[:0]
	s.dirty = true
	return nil
}

// Sync writes and fsyncs everything appended. When it returns nil every
// appended entry is durable and visible to Entries. A lone Sync is never
// delayed to wait for company; see GroupCommitter for batching.
func (s *Store) Sync() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.writable(); err != nil {
		return err
	}
	if err := s.syncLocked(); err != nil {
		return s.fail(err)
	}
	return nil
}

func (s *Store) syncLocked() error {
	if err := s.flush(); err != nil {
		return err
	}
	if s.dirty {
		t := s.tail()
		if err := t.f.Sync(); err != nil {
			return fmt.Errorf("storage: fsync %s: %w", t.path, err)
		}
		s.syncs++
		s.dirty = false
	}
	s.durable = len(s.index)
	return nil
}

// seal makes the tail durable and gives back its unused preallocation,
// before a new segment is started. The old segment must be durable before
// any record of the new one is: recovery treats damage in a segment that
// is not the newest as corruption.
func (s *Store) seal() error {
	if err := s.syncLocked(); err != nil {
		return err
	}
	t := s.tail()
	if t.alloc > t.size {
		if err := t.f.Truncate(t.size); err != nil {
			return fmt.Errorf("storage: trimming %s: %w", t.path, err)
		}
		if err := t.f.Sync(); err != nil {
			return fmt.Errorf("storage: fsync %s: %w", t.path, err)
		}
		s.syncs++
		t.alloc = t.size
	}
	return nil
}

// newSegment creates log.<first>, header written and space preallocated,
// atomically (temp file, fsync, rename, directory fsync), and makes it the
// tail.
func (s *Store) newSegment(first zab.Zxid) (*segment, error) {
	name := logName(first)
	seg := &segment{name: name, path: s.dirs.logPath(first), first: first, gen: s.gen, size: logHeaderSize}
	tmp := seg.path + tmpSuffix
	f, err := s.fs.Create(tmp)
	if err != nil {
		return nil, fmt.Errorf("storage: creating %s: %w", tmp, err)
	}
	fail := func(err error) (*segment, error) {
		f.Close()
		return nil, fmt.Errorf("storage: creating %s: %w", seg.path, err)
	}
	if _, err := f.WriteAt(encodeLogHeader(s.gen), 0); err != nil {
		return fail(err)
	}
	alloc := min(s.cfg.PreallocBytes, s.cfg.SegmentMaxBytes)
	if err := preallocate(f, logHeaderSize, alloc); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := s.fs.Rename(tmp, seg.path); err != nil {
		return fail(err)
	}
	if err := s.fs.SyncDir(s.dirs.log); err != nil {
		return fail(err)
	}
	seg.f, seg.alloc = f, alloc
	s.segs = append(s.segs, seg)
	return seg, nil
}
