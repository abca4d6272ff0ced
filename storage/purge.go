package storage

import (
	"fmt"
	"path/filepath"
	"slices"
	"sort"

	"github.com/zkmesh/zkmesh/zab"
)

// purgePlan lists what a purge removes.
type purgePlan struct {
	snaps []zab.Zxid // snapshots to remove, ascending
	logs  []zab.Zxid // segments to remove, ascending
	kept  []zab.Zxid // the snapshots the plan relies on
}

// planPurge applies ZooKeeper's PurgeTxnLog rules: keep the newest
// retain valid snapshots; keep every segment that starts after the oldest
// kept snapshot's zxid K, and the newest segment starting at or before
// K+1 (it holds the txn right after the snapshot; when the log was rolled
// at the snapshot, that is the segment starting at K+1 itself). Everything older goes, including
// corrupt snapshots older than the oldest kept one. With fewer valid
// snapshots than retain, snapshots stay and only segments older than the
// oldest one's are removed; with none, nothing is removed.
func planPurge(fsys FS, d dataDirs, retain int) (purgePlan, error) {
	if retain < 1 {
		return purgePlan{}, fmt.Errorf("storage: purge retain count %d must be at least 1", retain)
	}
	l, err := listDir(fsys, d)
	if err != nil {
		return purgePlan{}, err
	}
	var kept []zab.Zxid
	for _, z := range l.snaps {
		if len(kept) == retain {
			break
		}
		if _, err := verifySnapshot(fsys, d.snapPath(z), z); err == nil {
			kept = append(kept, z)
		}
	}
	if len(kept) == 0 {
		return purgePlan{}, nil
	}
	oldest := kept[len(kept)-1]
	p := purgePlan{kept: kept}
	for _, z := range l.snaps {
		if z < oldest {
			p.snaps = append(p.snaps, z)
		}
	}
	sort.Slice(p.snaps, func(i, j int) bool { return p.snaps[i] < p.snaps[j] })
	// l.logs is ascending: find the newest segment starting at or
	// before oldest+1; everything before it goes.
	keepFrom := -1
	for i, z := range l.logs {
		if z <= oldest+1 {
			keepFrom = i
		}
	}
	if keepFrom > 0 {
		p.logs = append(p.logs, l.logs[:keepFrom]...)
	}
	return p, nil
}

// Purge removes old snapshots and log segments from dir on the real disk,
// keeping the newest retainCount valid snapshots and the log needed to
// recover from the oldest of them (zkCleanup.sh). Use it on a directory
// whose Store is not open in this process; a running server calls
// (*Store).Purge instead.
func Purge(dir string, retainCount int) error { return PurgeFS(OSFS{}, dir, retainCount) }

// PurgeFS is Purge on any FS.
func PurgeFS(fsys FS, dir string, retainCount int) error {
	return PurgeDirs(fsys, dir, dir, retainCount)
}

// PurgeDirs is Purge for a store whose snapshots live apart from its log
// (Config.SnapDir). Files are removed oldest first, each removal made
// durable before the next, so a crash never leaves a hole in the log.
func PurgeDirs(fsys FS, logDir, snapDir string, retainCount int) error {
	d := dataDirs{log: filepath.Clean(logDir), snap: filepath.Clean(snapDir)}
	p, err := planPurge(fsys, d, retainCount)
	if err != nil {
		return err
	}
	for _, z := range p.logs {
		if err := removeDurably(fsys, logDir, logName(z)); err != nil {
			return err
		}
	}
	for _, z := range p.snaps {
		if err := removeDurably(fsys, snapDir, snapName(z)); err != nil {
			return err
		}
	}
	return nil
}

func removeDurably(fsys FS, dir, name string) error {
	if err := fsys.Remove(joinPath(dir, name)); err != nil {
		return fmt.Errorf("storage: removing %s: %w", joinPath(dir, name), err)
	}
	return fsys.SyncDir(dir)
}

// Purge is PurgeFS for the store's own directory, keeping the in-memory
// log consistent with what remains. It never removes the segment being
// written nor the snapshot recovery uses. The snapshots are verified
// without the Store's lock, so appends go on meanwhile; if a snapshot the
// plan relies on disappears before the removals start (a Truncate or SNAP
// replaced it), Purge removes nothing.
func (s *Store) Purge(retainCount int) error {
	s.mu.Lock()
	err := s.writable()
	s.mu.Unlock()
	if err != nil {
		return err
	}
	p, err := planPurge(s.fs, s.dirs, retainCount)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.writable(); err != nil {
		return err
	}
	l, err := listDir(s.fs, s.dirs)
	if err != nil {
		return err
	}
	for _, k := range p.kept {
		if !slices.Contains(l.snaps, k) {
			return nil
		}
	}
	gone := map[zab.Zxid]bool{}
	for _, z := range p.logs {
		gone[z] = true
	}
	for len(s.segs) > 1 && gone[s.segs[0].first] {
		seg := s.segs[0]
		seg.f.Close()
		if err := removeDurably(s.fs, s.dirs.log, seg.name); err != nil {
			return s.fail(err)
		}
		s.segs = s.segs[1:]
		n := 0
		for n < len(s.index) && s.index[n].seg == seg {
			n++
		}
		s.index = s.index[n:]
		s.durable -= n
	}
	if cap(s.index) > 2*len(s.index) {
		// Let the purged part of the index be collected.
		s.index = append(make([]indexEntry, 0, len(s.index)+len(s.index)/4), s.index...)
	}
	for _, z := range p.snaps {
		if s.hasSnap && z >= s.snap.zxid {
			continue
		}
		if err := removeDurably(s.fs, s.dirs.snap, snapName(z)); err != nil {
			return s.fail(err)
		}
	}
	return nil
}
