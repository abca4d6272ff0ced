package storage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"

	"github.com/zkmesh/zkmesh/zab"
)

// A segment file starts with
//
//	magic   [8]byte  "ZKMLOG01"
//	gen     uint64   big-endian: the log generation
//	crc32c  uint32   over magic and gen
//	pad     [4]byte  zero
//
// The generation rises each time a snapshot replaces the whole log (SNAP
// sync); a snapshot records the lowest generation that continues it, so
// segments left over from before the replacement are recognised and
// dropped even if a crash interrupted their removal.
const logHeaderSize = 24

var logMagic = [8]byte{'Z', 'K', 'M', 'L', 'O', 'G', '0', '1'}

var errLogHeader = errors.New("bad segment header")

func encodeLogHeader(gen uint64) []byte {
	b := make([]byte, logHeaderSize)
	copy(b, logMagic[:])
	binary.BigEndian.PutUint64(b[8:16], gen)
	binary.BigEndian.PutUint32(b[16:20], crc32.Checksum(b[:16], castagnoli))
	return b
}

func decodeLogHeader(b []byte) (uint64, error) {
	if len(b) < logHeaderSize || [8]byte(b[:8]) != logMagic ||
		crc32.Checksum(b[:16], castagnoli) != binary.BigEndian.Uint32(b[16:20]) {
		return 0, errLogHeader
	}
	return binary.BigEndian.Uint64(b[8:16]), nil
}

// segment is one open log file.
type segment struct {
	name  string
	path  string
	first zab.Zxid
	gen   uint64
	f     File
	// Invariant: logHeaderSize <= size <= alloc. size is the offset just
	// past the last record written to f; alloc is f's length (the
	// preallocated end). Bytes in [size, alloc) are zero.
	size, alloc int64
	// count is the number of records in the segment, written or buffered.
	count int
}

// readAll reads the whole of f.
func readAll(f File) ([]byte, error) {
	n, err := f.Size()
	if err != nil {
		return nil, err
	}
	buf := make([]byte, n)
	if _, err := f.ReadAt(buf, 0); err != nil && int64(len(buf)) != n {
		return nil, err
	}
	return buf, nil
}

// corruptAt formats a log corruption error naming file and offset.
func corruptAt(path string, off int64, why error, detail string) error {
	return fmt.Errorf("%w: %s at byte offset %d: %v%s", ErrCorruptLog, path, off, why, detail)
}
