package storage

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/zkmesh/zkmesh/zab"
)

// dirListing is the content of the data directories sorted by kind.
type dirListing struct {
	logs  []zab.Zxid // ascending, from the log directory
	snaps []zab.Zxid // descending, from the snapshot directory
	tmps  []string   // paths, from either
}

func listDir(fsys FS, d dataDirs) (dirListing, error) {
	var l dirListing
	for _, dir := range d.each() {
		names, err := fsys.ReadDir(dir)
		if err != nil {
			return dirListing{}, fmt.Errorf("storage: listing %s: %w", dir, err)
		}
		for _, n := range names {
			if strings.HasSuffix(n, tmpSuffix) {
				l.tmps = append(l.tmps, joinPath(dir, n))
			} else if z, ok := parseZxidName(n, logPrefix); ok && dir == d.log {
				l.logs = append(l.logs, z)
			} else if z, ok := parseZxidName(n, snapPrefix); ok && dir == d.snap {
				l.snaps = append(l.snaps, z)
			}
		}
	}
	sort.Slice(l.logs, func(i, j int) bool { return l.logs[i] < l.logs[j] })
	sort.Slice(l.snaps, func(i, j int) bool { return l.snaps[i] > l.snaps[j] })
	return l, nil
}

// badSnapshot is a snapshot file recovery could not use.
type badSnapshot struct {
	zxid zab.Zxid
	err  error
}

// recover rebuilds the in-memory state from the directory. It runs once,
// from Open, before the Store is shared.
func (s *Store) recover() error {
	l, err := listDir(s.fs, s.dirs)
	if err != nil {
		return err
	}
	for _, t := range l.tmps {
		if err := s.fs.Remove(t); err != nil {
			return fmt.Errorf("storage: removing leftover %s: %w", t, err)
		}
		s.report.RemovedFiles = append(s.report.RemovedFiles, t)
	}
	if len(l.tmps) > 0 {
		for _, dir := range s.dirs.each() {
			if err := s.fs.SyncDir(dir); err != nil {
				return err
			}
		}
	}
	if s.hs, err = readHardState(s.fs, s.dirs.snap); err != nil {
		return err
	}

	// Segment headers first: the snapshot decides which generation of
	// the log continues it.
	var all []*segment
	for _, z := range l.logs {
		seg := &segment{name: logName(z), path: s.dirs.logPath(z), first: z}
		s.segs = append(s.segs, seg) // so that a failed Open closes it
		if seg.f, err = s.fs.Open(seg.path); err != nil {
			return fmt.Errorf("storage: opening %s: %w", seg.path, err)
		}
		var h [logHeaderSize]byte
		n, err := seg.f.ReadAt(h[:], 0)
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("storage: reading %s: %w", seg.path, err)
		}
		if seg.gen, err = decodeLogHeader(h[:n]); err != nil {
			return corruptAt(seg.path, 0, err, "")
		}
		all = append(all, seg)
	}

	// The newest snapshot that verifies.
	var bad []badSnapshot
	for _, z := range l.snaps {
		meta, err := verifySnapshot(s.fs, s.dirs.snapPath(z), z)
		if err != nil {
			bad = append(bad, badSnapshot{zxid: z, err: err})
			continue
		}
		s.snap, s.hasSnap = meta, true
		break
	}
	for _, b := range bad {
		s.report.SkippedSnapshots = append(s.report.SkippedSnapshots, b.err.Error())
	}
	if len(bad) > 0 && !s.hasSnap {
		return fmt.Errorf("storage: no snapshot verifies, newest: %w", bad[0].err)
	}

	// Segments of an older generation than the snapshot's were replaced
	// by it (SNAP sync) and are dropped.
	var usable, stale []*segment
	for _, seg := range all {
		if seg.gen < s.snap.minLogGen {
			stale = append(stale, seg)
		} else {
			usable = append(usable, seg)
		}
	}
	s.gen = s.snap.minLogGen
	for _, seg := range usable {
		if seg.gen != usable[0].gen {
			return fmt.Errorf("%w: %s (generation %d) and %s (generation %d) belong to two different log histories",
				ErrCorruptLog, usable[0].path, usable[0].gen, seg.path, seg.gen)
		}
		s.gen = seg.gen
	}

	if err := s.scanSegments(usable); err != nil {
		return err
	}

	if len(bad) > 0 {
		// A corrupt newer snapshot is skipped only if the log carries
		// the state from the older one past it.
		b := bad[0]
		n := len(s.index)
		if n == 0 || s.index[0].zxid > s.snap.zxid+1 || s.index[n-1].zxid < b.zxid {
			cover := "the log is empty"
			if n > 0 {
				cover = fmt.Sprintf("the log holds %v..%v", s.index[0].zxid, s.index[n-1].zxid)
			}
			return fmt.Errorf("%w: newest snapshot is unusable (%v), and falling back to %s needs the log from %v to %v, but %s",
				ErrLogGap, b.err, s.snap.path, s.snap.zxid+1, b.zxid, cover)
		}
	}

	// Drop stale segments and an empty newest segment (a crash right
	// after it was created): its name would not match the next record.
	var drop []*segment
	drop = append(drop, stale...)
	s.segs = usable
	if t := s.tail(); t != nil && t.count == 0 {
		drop = append(drop, t)
		s.segs = s.segs[:len(s.segs)-1]
	}
	for _, seg := range drop {
		seg.f.Close()
		seg.f = nil
		if err := s.fs.Remove(seg.path); err != nil {
			return fmt.Errorf("storage: removing %s: %w", seg.path, err)
		}
		s.report.RemovedFiles = append(s.report.RemovedFiles, seg.path)
	}
	if len(drop) > 0 {
		if err := s.fs.SyncDir(s.dirs.log); err != nil {
			return err
		}
	}
	s.durable = len(s.index)
	s.report.Entries = len(s.index)
	return nil
}

// scanSegments verifies every record of segs, fills the index, and cuts a
// torn tail off the newest segment.
func (s *Store) scanSegments(segs []*segment) error {
	var prev zab.Zxid
	for i, seg := range segs {
		last := i == len(segs)-1
		buf, err := readAll(seg.f)
		if err != nil {
			return fmt.Errorf("storage: reading %s: %w", seg.path, err)
		}
		res, err := scanRecords(buf, logHeaderSize, prev, s.cfg.MaxRecordBytes)
		if err != nil {
			return fmt.Errorf("%s: %w", seg.path, err)
		}
		if res.badOff >= 0 {
			switch {
			case !last:
				return corruptAt(seg.path, res.badOff, res.badReason, " in a segment that is not the newest")
			case res.nextValid >= 0:
				return corruptAt(seg.path, res.badOff, res.badReason,
					fmt.Sprintf("; a valid record follows at byte offset %d", res.nextValid))
			}
		}
		if len(res.recs) == 0 && !last {
			return fmt.Errorf("%w: %s holds no records but is not the newest segment", ErrCorruptLog, seg.path)
		}
		if len(res.recs) > 0 && res.recs[0].zxid != seg.first {
			return fmt.Errorf("%w: %s: first record has zxid %v, the name says %v", ErrCorruptLog, seg.path, res.recs[0].zxid, seg.first)
		}
		for _, r := range res.recs {
			s.index = append(s.index, indexEntry{zxid: r.zxid, seg: seg, off: r.off, size: r.size})
			prev = r.zxid
		}
		seg.count = len(res.recs)
		seg.size = res.end
		seg.alloc = int64(len(buf))
		if res.badOff >= 0 {
			// A torn tail: cut it off physically, so that nothing of it
			// can be mistaken for a record once new ones are written.
			if err := seg.f.Truncate(res.end); err != nil {
				return fmt.Errorf("storage: cutting the torn tail of %s at offset %d: %w", seg.path, res.end, err)
			}
			if err := seg.f.Sync(); err != nil {
				return fmt.Errorf("storage: syncing %s: %w", seg.path, err)
			}
			seg.alloc = res.end
			s.report.TornTailPath = seg.path
			s.report.TornTailOffset = res.end
			s.report.TornTailBytes = int64(len(buf)) - res.end
			s.report.TornTailReason = res.badReason.Error()
		}
	}
	return nil
}
