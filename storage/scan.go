package storage

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/zkmesh/zkmesh/zab"
)

// recordPos locates one record in a segment.
type recordPos struct {
	zxid zab.Zxid
	off  int64 // offset of the record header in the file
	size int   // data bytes
}

// scanResult is what scanRecords finds in one segment's bytes.
type scanResult struct {
	recs []recordPos
	// end is the offset just past the last valid record.
	end int64
	// badOff is the offset of the first byte after end that is neither a
	// valid record nor zero padding running to the end of the file; -1 if
	// there is none.
	badOff int64
	// badReason says why the record at badOff does not decode.
	badReason error
	// nextValid is the offset of a valid record (zxid above the last good
	// one) somewhere after badOff; -1 if none. When it is set, the damage
	// is not a torn tail.
	nextValid int64
}

// scanRecords decodes the records of buf (a whole segment file) starting
// at offset start. prev is the zxid the first record must exceed. It stops
// at the first record that does not decode. A valid record whose zxid is
// not above its predecessor's is an error (the log is not a log).
//
// buf is untrusted; scanRecords never allocates more than the positions
// of the records it finds.
func scanRecords(buf []byte, start int64, prev zab.Zxid, maxData int) (scanResult, error) {
	res := scanResult{end: start, badOff: -1, nextValid: -1}
	off := start
	for off < int64(len(buf)) {
		e, n, err := decodeRecord(buf[off:], maxData)
		if err != nil {
			if !allZero(buf[off:]) {
				res.badOff, res.badReason = off, err
				res.nextValid = findValidRecord(buf, off+1, prev, maxData)
			}
			break
		}
		if e.Zxid <= prev {
			return res, fmt.Errorf("%w: record at offset %d has zxid %v, not above the previous %v", ErrCorruptLog, off, e.Zxid, prev)
		}
		res.recs = append(res.recs, recordPos{zxid: e.Zxid, off: off, size: len(e.Data)})
		prev = e.Zxid
		off += int64(n)
		res.end = off
	}
	return res, nil
}

// followEpochs bounds how many epochs a record found by findValidRecord
// may lie beyond its predecessor. Without the bound, every position of a
// garbage region would pass the cheap filters half the time, and the
// checksum of up to MaxRecordBytes would be computed at each; with it,
// random bytes pass about once in 2^24 positions. A log whose next record
// after a damaged one is 65536 or more epochs later is not a log ZAB
// writes.
const followEpochs = 1 << 16

// findValidRecord returns the first offset >= from at which a record with
// a zxid above prev (and within followEpochs of it) verifies, or -1.
func findValidRecord(buf []byte, from int64, prev zab.Zxid, maxData int) int64 {
	maxEpoch := uint64(prev.Epoch()) + followEpochs
	for p := from; p+recordHeaderSize <= int64(len(buf)); p++ {
		b := buf[p:]
		// Cheap filters before the checksum: the zxid must be above prev
		// and not absurdly far from it, and the length must fit.
		z := zab.Zxid(binary.BigEndian.Uint64(b[8:16]))
		if z <= prev || uint64(z.Epoch()) > maxEpoch {
			continue
		}
		if n := binary.BigEndian.Uint32(b[4:8]); uint64(n) > uint64(maxData) || uint64(n) > uint64(len(b)-recordHeaderSize) {
			continue
		}
		if _, _, err := decodeRecord(b, maxData); err == nil {
			return p
		}
	}
	return -1
}

var zeroBlock [4096]byte

// allZero reports whether b holds only zero bytes (preallocated space).
func allZero(b []byte) bool {
	for len(b) > 0 {
		n := min(len(b), len(zeroBlock))
		if !bytes.Equal(b[:n], zeroBlock[:n]) {
			return false
		}
		b = b[n:]
	}
	return true
}
