package storage

import (
	"fmt"
	"sort"

	"github.com/zkmesh/zkmesh/zab"
)

// Truncate durably drops every log entry with zxid > after (zab's TRUNC).
// Pending appends are made durable first.
//
// If after is below the snapshot recovery would use, the snapshots above
// after are removed too, provided an older valid snapshot plus the log
// reproduce the state at after; if none does, Truncate changes nothing and
// returns ErrTruncateBelowSnapshot (the leader must then send a SNAP).
//
// Later segments are removed newest first, each removal made durable
// before the next, so a crash leaves a prefix of the old log, never a log
// with a hole.
func (s *Store) Truncate(after zab.Zxid) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.writable(); err != nil {
		return err
	}
	if err := s.syncLocked(); err != nil {
		return s.fail(err)
	}
	if s.hasSnap && after < s.snap.zxid {
		if err := s.dropSnapshotsAbove(after); err != nil {
			return err
		}
	}
	i := sort.Search(len(s.index), func(i int) bool { return s.index[i].zxid > after })
	if i == len(s.index) {
		return nil
	}
	cut := s.index[i]
	for len(s.segs) > 0 {
		t := s.tail()
		if t != cut.seg && t.first <= after {
			panic(fmt.Sprintf("storage: truncate at %v reached segment %s outside the cut", after, t.path))
		}
		if t != cut.seg || cut.off == logHeaderSize {
			if err := s.removeSegment(t); err != nil {
				return s.fail(err)
			}
			if t == cut.seg {
				break
			}
			continue
		}
		if err := t.f.Truncate(cut.off); err != nil {
			return s.fail(fmt.Errorf("storage: truncating %s at offset %d: %w", t.path, cut.off, err))
		}
		if err := t.f.Sync(); err != nil {
			return s.fail(fmt.Errorf("storage: fsync %s: %w", t.path, err))
		}
		s.syncs++
		t.size, t.alloc = cut.off, cut.off
		j := i
		for j > 0 && s.index[j-1].seg == t {
			j--
		}
		t.count = i - j
		break
	}
	s.index = s.index[:i]
	s.durable = i
	return nil
}

// removeSegment durably removes the tail segment.
func (s *Store) removeSegment(t *segment) error {
	t.f.Close()
	if err := s.fs.Remove(t.path); err != nil {
		return fmt.Errorf("storage: removing %s: %w", t.path, err)
	}
	if err := s.fs.SyncDir(s.dirs.log); err != nil {
		return fmt.Errorf("storage: fsync directory %s: %w", s.dirs.log, err)
	}
	s.segs = s.segs[:len(s.segs)-1]
	return nil
}

// dropSnapshotsAbove makes the newest snapshot at or below after the one
// recovery uses, removing the newer ones, if the log continues it.
func (s *Store) dropSnapshotsAbove(after zab.Zxid) error {
	l, err := listDir(s.fs, s.dirs)
	if err != nil {
		return err
	}
	var use snapMeta
	found := false
	for _, z := range l.snaps {
		if z > after {
			continue
		}
		meta, err := verifySnapshot(s.fs, s.dirs.snapPath(z), z)
		if err != nil || meta.minLogGen != s.gen {
			continue
		}
		if len(s.index) > 0 && s.index[0].zxid <= meta.zxid+1 {
			use, found = meta, true
		}
		break
	}
	if !found {
		return fmt.Errorf("%w: truncating to %v, snapshot is at %v, and no older snapshot is continued by the log",
			ErrTruncateBelowSnapshot, after, s.snap.zxid)
	}
	for _, z := range l.snaps {
		if z <= after {
			break
		}
		if err := s.fs.Remove(s.dirs.snapPath(z)); err != nil {
			return s.fail(fmt.Errorf("storage: removing %s: %w", s.dirs.snapPath(z), err))
		}
		if err := s.fs.SyncDir(s.dirs.snap); err != nil {
			return s.fail(err)
		}
	}
	s.snap = use
	return nil
}
