package storage

import (
	"encoding/binary"
	"errors"
	"hash/crc32"

	"github.com/zkmesh/zkmesh/zab"
)

// A log record is
//
//	crc32c  uint32  big-endian, over the 12 bytes that follow and the data
//	length  uint32  big-endian, bytes of data
//	zxid    uint64  big-endian
//	data    [length]byte
//
// An all-zero header never verifies (the checksum of twelve zero bytes is
// not zero), so preallocated zero space reads as "no record".
const recordHeaderSize = 16

// maxRecordLimit is the largest Config.MaxRecordBytes accepted.
const maxRecordLimit = 1 << 30

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Record decoding outcomes other than success.
var (
	errRecordShort    = errors.New("record extends past the end of the file")
	errRecordLength   = errors.New("record length above MaxRecordBytes")
	errRecordChecksum = errors.New("record checksum mismatch")
)

// appendRecord appends the framed record for e to dst.
func appendRecord(dst []byte, e zab.Entry) []byte {
	var h [recordHeaderSize]byte
	binary.BigEndian.PutUint32(h[4:8], uint32(len(e.Data)))
	binary.BigEndian.PutUint64(h[8:16], uint64(e.Zxid))
	c := crc32.Update(0, castagnoli, h[4:])
	c = crc32.Update(c, castagnoli, e.Data)
	binary.BigEndian.PutUint32(h[0:4], c)
	dst = append(dst, h[:]...)
	return append(dst, e.Data...)
}

// recordSize is the framed size of a record holding n data bytes.
func recordSize(n int) int64 { return recordHeaderSize + int64(n) }

// decodeRecord decodes the record at the start of b. The returned Data
// aliases b. n is the framed size. A length above maxData is rejected
// before the checksum is computed.
func decodeRecord(b []byte, maxData int) (e zab.Entry, n int, err error) {
	if len(b) < recordHeaderSize {
		return zab.Entry{}, 0, errRecordShort
	}
	length := binary.BigEndian.Uint32(b[4:8])
	if uint64(length) > uint64(maxData) {
		return zab.Entry{}, 0, errRecordLength
	}
	if uint64(len(b)-recordHeaderSize) < uint64(length) {
		return zab.Entry{}, 0, errRecordShort
	}
	end := recordHeaderSize + int(length)
	if crc32.Checksum(b[4:end], castagnoli) != binary.BigEndian.Uint32(b[0:4]) {
		return zab.Entry{}, 0, errRecordChecksum
	}
	return zab.Entry{Zxid: zab.Zxid(binary.BigEndian.Uint64(b[8:16])), Data: b[recordHeaderSize:end]}, end, nil
}
