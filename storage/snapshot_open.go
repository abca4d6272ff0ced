package storage

import (
	"path/filepath"

	"github.com/zkmesh/zkmesh/zab"
)

// OpenNewestSnapshot opens, read-only, the newest snapshot in dir whose
// header is valid, without opening (and so without recovering or
// changing) the log. The reader verifies the checksum at its end. It
// returns zab.ErrNoSnapshot when dir holds none. For tools such as
// `zkmesh inspect`; a server uses Store.OpenSnapshot.
func OpenNewestSnapshot(dir string) (*SnapshotReader, error) {
	dir = filepath.Clean(dir)
	l, err := listDir(OSFS{}, dataDirs{log: dir, snap: dir})
	if err != nil {
		return nil, err
	}
	var firstErr error
	for _, z := range l.snaps { // newest first
		r, _, err := openSnapshotFile(OSFS{}, joinPath(dir, snapName(z)))
		if err == nil {
			return r, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	if firstErr != nil {
		return nil, firstErr
	}
	return nil, zab.ErrNoSnapshot
}
