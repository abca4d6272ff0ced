package storage

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/zkmesh/zkmesh/zab"
)

// readEpoch reads an epoch file; a missing file is epoch 0.
func readEpoch(fsys FS, path string) (uint32, error) {
	f, err := fsys.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	defer f.Close()
	b, err := readAll(f)
	if err != nil {
		return 0, fmt.Errorf("storage: reading %s: %w", path, err)
	}
	if len(b) > 32 {
		return 0, fmt.Errorf("%w: %s is %d bytes", ErrCorruptEpoch, path, len(b))
	}
	v, err := strconv.ParseUint(strings.TrimSuffix(string(b), "\n"), 10, 32)
	if err != nil {
		return 0, fmt.Errorf("%w: %s: %q", ErrCorruptEpoch, path, b)
	}
	return uint32(v), nil
}

// readHardState reads both epoch files in dir.
func readHardState(fsys FS, dir string) (zab.HardState, error) {
	a, err := readEpoch(fsys, filepath.Join(dir, acceptedEpochName))
	if err != nil {
		return zab.HardState{}, err
	}
	c, err := readEpoch(fsys, filepath.Join(dir, currentEpochName))
	if err != nil {
		return zab.HardState{}, err
	}
	return zab.HardState{AcceptedEpoch: a, CurrentEpoch: c}, nil
}

// writeFileAtomic replaces dir/name with data: temp file, fsync, rename,
// directory fsync. After a crash the file holds either the old or the new
// content.
func writeFileAtomic(fsys FS, dir, name string, data []byte) error {
	tmp := filepath.Join(dir, name+tmpSuffix)
	f, err := fsys.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := f.WriteAt(data, 0); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := fsys.Rename(tmp, filepath.Join(dir, name)); err != nil {
		return err
	}
	return fsys.SyncDir(dir)
}

// writeHardState writes the epoch files that differ from old, acceptedEpoch
// first (it is never below currentEpoch).
func writeHardState(fsys FS, dir string, old, hs zab.HardState) error {
	if hs.AcceptedEpoch != old.AcceptedEpoch {
		if err := writeFileAtomic(fsys, dir, acceptedEpochName, []byte(strconv.FormatUint(uint64(hs.AcceptedEpoch), 10)+"\n")); err != nil {
			return err
		}
	}
	if hs.CurrentEpoch != old.CurrentEpoch {
		if err := writeFileAtomic(fsys, dir, currentEpochName, []byte(strconv.FormatUint(uint64(hs.CurrentEpoch), 10)+"\n")); err != nil {
			return err
		}
	}
	return nil
}

// WriteFileAtomic replaces dir/name with data on the operating system's
// file system, durably: after a crash the file holds the old or the new
// content, never a mix. For small state files of the layers above
// (dataDir/myid, the bootstrapped membership).
func WriteFileAtomic(dir, name string, data []byte) error {
	return writeFileAtomic(OSFS{}, dir, name, data)
}
