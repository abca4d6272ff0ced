package storage

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/zkmesh/zkmesh/zab"
)

// File names in the data directory.
const (
	logPrefix         = "log."
	snapPrefix        = "snapshot."
	tmpSuffix         = ".tmp"
	acceptedEpochName = "acceptedEpoch"
	currentEpochName  = "currentEpoch"
	lockName          = "LOCK"
)

// logName is the name of the segment whose first record has zxid z.
func logName(z zab.Zxid) string { return fmt.Sprintf("%s%x", logPrefix, uint64(z)) }

// snapName is the name of the snapshot reflecting txns up to z.
func snapName(z zab.Zxid) string { return fmt.Sprintf("%s%x", snapPrefix, uint64(z)) }

// parseZxidName parses prefix followed by lower-case hex, as logName and
// snapName write it.
func parseZxidName(name, prefix string) (zab.Zxid, bool) {
	hex, ok := strings.CutPrefix(name, prefix)
	if !ok || hex == "" || len(hex) > 16 || strings.ToLower(hex) != hex {
		return 0, false
	}
	v, err := strconv.ParseUint(hex, 16, 64)
	if err != nil {
		return 0, false
	}
	return zab.Zxid(v), true
}

func joinPath(dir, name string) string { return filepath.Join(dir, name) }

// dataDirs are the directories of a store: log segments in log;
// snapshots and epoch files in snap (often the same directory). Both are
// clean paths.
type dataDirs struct{ log, snap string }

func (d dataDirs) logPath(z zab.Zxid) string  { return filepath.Join(d.log, logName(z)) }
func (d dataDirs) snapPath(z zab.Zxid) string { return filepath.Join(d.snap, snapName(z)) }

// each returns the distinct directories.
func (d dataDirs) each() []string {
	if d.log == d.snap {
		return []string{d.log}
	}
	return []string{d.log, d.snap}
}
