package storage

import (
	"encoding/binary"
	"fmt"
	"io"
	"path/filepath"

	"github.com/zkmesh/zkmesh/zab"
)

// Inspect prints, as text, the epoch files, every snapshot's header and
// checksum status, and every log record (offset, zxid, size, crc status)
// of dir on the real disk, including what recovery would cut or refuse.
// format renders a txn body (nil prints its size only). Inspect only
// reads.
func Inspect(dir string, w io.Writer, format func(data []byte) string) error {
	return InspectFS(OSFS{}, dir, w, format)
}

// InspectFS is Inspect on any FS.
func InspectFS(fsys FS, dir string, w io.Writer, format func(data []byte) string) error {
	return InspectDirs(fsys, dir, dir, w, format)
}

// InspectDirs is Inspect for a store whose snapshots and epoch files live
// apart from its log (Config.SnapDir).
func InspectDirs(fsys FS, logDir, snapDir string, w io.Writer, format func(data []byte) string) error {
	d := dataDirs{log: filepath.Clean(logDir), snap: filepath.Clean(snapDir)}
	l, err := listDir(fsys, d)
	if err != nil {
		return err
	}
	for _, name := range []string{acceptedEpochName, currentEpochName} {
		e, err := readEpoch(fsys, joinPath(snapDir, name))
		if err != nil {
			fmt.Fprintf(w, "%s: BAD: %v\n", name, err)
		} else {
			fmt.Fprintf(w, "%s: %d\n", name, e)
		}
	}
	for i := len(l.snaps) - 1; i >= 0; i-- {
		z := l.snaps[i]
		meta, err := verifySnapshot(fsys, d.snapPath(z), z)
		if err != nil {
			fmt.Fprintf(w, "%s: zxid=%v crc=BAD: %v\n", snapName(z), z, err)
			continue
		}
		fmt.Fprintf(w, "%s: zxid=%v size=%d minLogGen=%d crc=ok\n", snapName(z), meta.zxid, meta.dataLen, meta.minLogGen)
	}
	for _, z := range l.logs {
		if err := inspectSegment(fsys, d.logPath(z), logName(z), w, format); err != nil {
			return err
		}
	}
	for _, t := range l.tmps {
		fmt.Fprintf(w, "%s: leftover temporary file (removed on Open)\n", t)
	}
	return nil
}

func inspectSegment(fsys FS, path, name string, w io.Writer, format func([]byte) string) error {
	f, err := fsys.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	buf, err := readAll(f)
	if err != nil {
		return fmt.Errorf("storage: reading %s: %w", path, err)
	}
	gen, err := decodeLogHeader(buf)
	if err != nil {
		fmt.Fprintf(w, "%s: size=%d header BAD: %v\n", name, len(buf), err)
		return nil
	}
	fmt.Fprintf(w, "%s: size=%d generation=%d\n", name, len(buf), gen)
	const maxData = maxRecordLimit
	var prev zab.Zxid
	off := int64(logHeaderSize)
	for {
		res, err := scanRecords(buf, off, prev, maxData)
		for _, r := range res.recs {
			body := fmt.Sprintf("%d bytes", r.size)
			if format != nil {
				body = format(buf[r.off+recordHeaderSize : r.off+recordHeaderSize+int64(r.size)])
			}
			fmt.Fprintf(w, "  offset=%d zxid=%v size=%d crc=ok %s\n", r.off, r.zxid, r.size, body)
			prev = r.zxid
		}
		if err != nil {
			fmt.Fprintf(w, "  offset=%d: %v\n", res.end, err)
			return nil
		}
		if res.badOff < 0 {
			if res.end < int64(len(buf)) {
				fmt.Fprintf(w, "  zero padding from offset %d (%d bytes)\n", res.end, int64(len(buf))-res.end)
			}
			return nil
		}
		h := buf[res.badOff:]
		if len(h) >= recordHeaderSize {
			fmt.Fprintf(w, "  offset=%d zxid=%v size=%d crc=BAD: %v\n", res.badOff,
				zab.Zxid(binary.BigEndian.Uint64(h[8:16])), binary.BigEndian.Uint32(h[4:8]), res.badReason)
		} else {
			fmt.Fprintf(w, "  offset=%d: %d stray bytes: %v\n", res.badOff, len(h), res.badReason)
		}
		if res.nextValid < 0 {
			fmt.Fprintf(w, "  no valid record follows (a torn tail, cut on Open if this is the newest segment)\n")
			return nil
		}
		fmt.Fprintf(w, "  skipping %d bytes to the next valid record (Open refuses this log)\n", res.nextValid-res.badOff)
		off = res.nextValid
	}
}
