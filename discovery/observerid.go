package discovery

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ObserverIDFile is the file in the data directory that keeps the server id
// AllocateObserverID chose, so a restarted observer keeps its id.
const ObserverIDFile = "observer.id"

// AllocateObserverID returns the server id of an observer that was given
// none. If dataDir holds ObserverIDFile, the id in it is returned as is.
// Otherwise it picks the smallest id above every voter's and candidate's id
// that no member (in any state) holds, writes it durably to ObserverIDFile
// (temporary file, fsync, rename, fsync of the directory) and returns it.
//
// Two observers allocating at the same moment from the same view may pick
// the same id; the gossip conflict check then refuses the second to
// advertise it. members is typically Members.Members() after Join.
func AllocateObserverID(members []Member, dataDir string) (uint64, error) {
	path := filepath.Join(dataDir, ObserverIDFile)
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		id, perr := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
		if perr != nil || id == 0 {
			return 0, fmt.Errorf("%w: %s: %q is not a server id", ErrBadObserverID, path, strings.TrimSpace(string(b)))
		}
		return id, nil
	case !errors.Is(err, fs.ErrNotExist):
		return 0, fmt.Errorf("%w: %v", ErrBadObserverID, err)
	}
	id, err := pickObserverID(members)
	if err != nil {
		return 0, err
	}
	if err := writeFileDurably(path, []byte(strconv.FormatUint(id, 10)+"\n")); err != nil {
		return 0, fmt.Errorf("discovery: persist observer id: %w", err)
	}
	return id, nil
}

// pickObserverID is the smallest id above the voters' (and candidates')
// highest that no member holds.
func pickObserverID(members []Member) (uint64, error) {
	var floor uint64
	used := make(map[uint64]bool, len(members))
	for _, m := range members {
		used[m.Meta.ServerID] = true
		if (m.Meta.Role == RoleVoter || m.Meta.Role == RoleCandidate) && m.Meta.ServerID > floor {
			floor = m.Meta.ServerID
		}
	}
	for id := floor + 1; id != 0 && id < math.MaxUint64; id++ {
		if !used[id] {
			return id, nil
		}
	}
	return 0, fmt.Errorf("discovery: no server id left above %d", floor)
}

func writeFileDurably(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ObserverIDFile+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after a successful rename
	if _, err := f.Write(data); err != nil {
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
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
