package storage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"

	"github.com/zkmesh/zkmesh/zab"
)

// A snapshot file is
//
//	magic      [8]byte  "ZKMSNAP1"
//	zxid       uint64   big-endian, equal to the zxid in the file name
//	data       the opaque image (zab.Snapshot.Data)
//	minLogGen  uint64   lowest log generation that continues this snapshot
//	dataLen    uint64   len(data)
//	crc32c     uint32   over everything before it
//
// The trailer comes last so the image can be streamed without knowing its
// length in advance.
const (
	snapHeaderSize  = 16
	snapTrailerSize = 20
)

var snapMagic = [8]byte{'Z', 'K', 'M', 'S', 'N', 'A', 'P', '1'}

// snapMeta describes a verified snapshot file.
type snapMeta struct {
	zxid      zab.Zxid
	path      string
	minLogGen uint64
	dataLen   int64
}

// SnapshotReader streams the image of a snapshot file and verifies its
// checksum when it reaches the end: the final Read returns io.EOF only if
// the whole file verified, and an error wrapping ErrCorruptSnapshot
// otherwise. Callers must read to io.EOF before trusting what they read.
type SnapshotReader struct {
	f       File
	path    string
	zxid    zab.Zxid
	data    *io.SectionReader
	trailer [snapTrailerSize]byte
	crc     uint32
	err     error
}

// Zxid is the last zxid the snapshot reflects.
func (r *SnapshotReader) Zxid() zab.Zxid { return r.zxid }

// Size is the length of the image in bytes.
func (r *SnapshotReader) Size() int64 { return r.data.Size() }

// Read implements io.Reader.
func (r *SnapshotReader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	n, err := r.data.Read(p)
	r.crc = crc32.Update(r.crc, castagnoli, p[:n])
	if err == io.EOF {
		c := crc32.Update(r.crc, castagnoli, r.trailer[:16])
		if c != binary.BigEndian.Uint32(r.trailer[16:20]) {
			err = fmt.Errorf("%w: %s: checksum mismatch", ErrCorruptSnapshot, r.path)
		}
	}
	if err != nil {
		r.err = err
	}
	return n, err
}

// Close closes the file.
func (r *SnapshotReader) Close() error { return r.f.Close() }

// openSnapshotFile opens path and checks everything but the checksum,
// which the returned reader checks at its end.
func openSnapshotFile(fsys FS, path string) (*SnapshotReader, snapMeta, error) {
	f, err := fsys.Open(path)
	if err != nil {
		return nil, snapMeta{}, err
	}
	r, meta, err := readSnapshotHeader(f, path)
	if err != nil {
		f.Close()
		return nil, snapMeta{}, err
	}
	return r, meta, nil
}

func readSnapshotHeader(f File, path string) (*SnapshotReader, snapMeta, error) {
	size, err := f.Size()
	if err != nil {
		return nil, snapMeta{}, err
	}
	bad := func(why string) error { return fmt.Errorf("%w: %s: %s", ErrCorruptSnapshot, path, why) }
	if size < snapHeaderSize+snapTrailerSize {
		return nil, snapMeta{}, bad(fmt.Sprintf("%d bytes is too short", size))
	}
	var h [snapHeaderSize]byte
	if _, err := f.ReadAt(h[:], 0); err != nil {
		return nil, snapMeta{}, err
	}
	if [8]byte(h[:8]) != snapMagic {
		return nil, snapMeta{}, bad("bad magic")
	}
	r := &SnapshotReader{f: f, path: path, zxid: zab.Zxid(binary.BigEndian.Uint64(h[8:16]))}
	if _, err := f.ReadAt(r.trailer[:], size-snapTrailerSize); err != nil && !errors.Is(err, io.EOF) {
		return nil, snapMeta{}, err
	}
	dataLen := size - snapHeaderSize - snapTrailerSize
	if got := binary.BigEndian.Uint64(r.trailer[8:16]); got != uint64(dataLen) {
		return nil, snapMeta{}, bad(fmt.Sprintf("trailer says %d data bytes, file holds %d", got, dataLen))
	}
	r.data = io.NewSectionReader(f, snapHeaderSize, dataLen)
	r.crc = crc32.Checksum(h[:], castagnoli)
	meta := snapMeta{zxid: r.zxid, path: path, minLogGen: binary.BigEndian.Uint64(r.trailer[0:8]), dataLen: dataLen}
	return r, meta, nil
}

// verifySnapshot reads the whole of path and checks it, including that
// the zxid in its header is the one in its name.
func verifySnapshot(fsys FS, path string, nameZxid zab.Zxid) (snapMeta, error) {
	r, meta, err := openSnapshotFile(fsys, path)
	if err != nil {
		return snapMeta{}, err
	}
	defer r.Close()
	if meta.zxid != nameZxid {
		return snapMeta{}, fmt.Errorf("%w: %s: header zxid %v differs from the name", ErrCorruptSnapshot, path, meta.zxid)
	}
	buf := make([]byte, 256<<10)
	for {
		_, err := r.Read(buf)
		if err == io.EOF {
			return meta, nil
		}
		if err != nil {
			return snapMeta{}, err
		}
	}
}

// readSnapshot reads and verifies the whole image of path.
func readSnapshot(fsys FS, meta snapMeta) (zab.Snapshot, error) {
	r, _, err := openSnapshotFile(fsys, meta.path)
	if err != nil {
		return zab.Snapshot{}, err
	}
	defer r.Close()
	data := make([]byte, r.Size())
	if _, err := io.ReadFull(r, data); err != nil {
		return zab.Snapshot{}, err
	}
	// One more read reaches EOF and checks the checksum.
	if _, err := r.Read(make([]byte, 1)); err != io.EOF {
		if err == nil {
			err = fmt.Errorf("%w: %s: longer than its trailer says", ErrCorruptSnapshot, meta.path)
		}
		return zab.Snapshot{}, err
	}
	return zab.Snapshot{Zxid: meta.zxid, Data: data}, nil
}
