package storage

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/zkmesh/zkmesh/zab"
)

func TestRecordRoundTrip(t *testing.T) {
	for _, size := range []int{0, 1, 15, 16, 17, 1000} {
		e := entry(zab.MakeZxid(3, 7), size)
		b := appendRecord(nil, e)
		if int64(len(b)) != recordSize(size) {
			t.Fatalf("size %d: framed %d bytes, want %d", size, len(b), recordSize(size))
		}
		got, n, err := decodeRecord(append(b, 0xAA, 0xBB), 4096)
		if err != nil || n != len(b) || got.Zxid != e.Zxid || !bytes.Equal(got.Data, e.Data) {
			t.Fatalf("size %d: decode = %v, %d, %v", size, got.Zxid, n, err)
		}
	}
}

func TestRecordLayout(t *testing.T) {
	b := appendRecord(nil, zab.Entry{Zxid: 0x0102030405060708, Data: []byte("ab")})
	if got := binary.BigEndian.Uint32(b[4:8]); got != 2 {
		t.Fatalf("length field %d", got)
	}
	if got := binary.BigEndian.Uint64(b[8:16]); got != 0x0102030405060708 {
		t.Fatalf("zxid field %x", got)
	}
	if string(b[16:]) != "ab" {
		t.Fatalf("data %q", b[16:])
	}
}

func TestRecordDecodeErrors(t *testing.T) {
	good := appendRecord(nil, entry(5, 40))
	flip := func(i int) []byte {
		b := append([]byte(nil), good...)
		b[i] ^= 0x01
		return b
	}
	tooLong := append([]byte(nil), good...)
	binary.BigEndian.PutUint32(tooLong[4:8], 1<<30)
	cases := []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, errRecordShort},
		{"short header", good[:15], errRecordShort},
		{"short body", good[:len(good)-1], errRecordShort},
		{"zero header", make([]byte, 64), errRecordChecksum},
		{"crc bit", flip(0), errRecordChecksum},
		{"zxid bit", flip(9), errRecordChecksum},
		{"data bit", flip(30), errRecordChecksum},
		{"length above max", tooLong, errRecordLength},
	}
	for _, c := range cases {
		if _, _, err := decodeRecord(c.b, 4096); !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
	}
}

func TestScanRecords(t *testing.T) {
	var log []byte
	log = append(log, make([]byte, logHeaderSize)...)
	for i := uint32(1); i <= 5; i++ {
		log = appendRecord(log, entry(zab.MakeZxid(1, i), int(i)*10))
	}
	end := int64(len(log))
	t.Run("zero padding", func(t *testing.T) {
		b := append(append([]byte(nil), log...), make([]byte, 300)...)
		res, err := scanRecords(b, logHeaderSize, 0, 4096)
		if err != nil || len(res.recs) != 5 || res.end != end || res.badOff != -1 {
			t.Fatalf("res=%+v err=%v", res, err)
		}
	})
	t.Run("torn tail", func(t *testing.T) {
		b := appendRecord(append([]byte(nil), log...), entry(zab.MakeZxid(1, 6), 100))
		b = append(b[:len(b)-30], make([]byte, 200)...)
		res, err := scanRecords(b, logHeaderSize, 0, 4096)
		if err != nil || len(res.recs) != 5 || res.badOff != end || res.nextValid != -1 {
			t.Fatalf("res=%+v err=%v", res, err)
		}
	})
	t.Run("corrupt middle", func(t *testing.T) {
		b := append([]byte(nil), log...)
		second := res0(t, b).recs[1].off
		b[second+20] ^= 0xFF
		res, err := scanRecords(b, logHeaderSize, 0, 4096)
		if err != nil || len(res.recs) != 1 || res.badOff != second || res.nextValid != res0(t, log).recs[2].off {
			t.Fatalf("res=%+v err=%v", res, err)
		}
	})
	t.Run("zxid not increasing", func(t *testing.T) {
		b := appendRecord(append([]byte(nil), log...), entry(zab.MakeZxid(1, 3), 10))
		if _, err := scanRecords(b, logHeaderSize, 0, 4096); !errors.Is(err, ErrCorruptLog) {
			t.Fatalf("err = %v", err)
		}
	})
}

func res0(t *testing.T, b []byte) scanResult {
	t.Helper()
	r, err := scanRecords(b, logHeaderSize, 0, 4096)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func FuzzDecodeRecord(f *testing.F) {
	f.Add(appendRecord(nil, entry(1, 0)))
	f.Add(appendRecord(nil, entry(zab.MakeZxid(2, 9), 33)))
	f.Add(make([]byte, 16))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		e, n, err := decodeRecord(b, 1<<16)
		if err != nil {
			return
		}
		if n != recordHeaderSize+len(e.Data) || n > len(b) {
			t.Fatalf("n=%d data=%d len=%d", n, len(e.Data), len(b))
		}
		if re := appendRecord(nil, e); !bytes.Equal(re, b[:n]) {
			t.Fatalf("re-encoding differs")
		}
	})
}

// FuzzScanRecords feeds arbitrary segment bytes (what a damaged disk may
// return) to the scanner: it must not panic, must report positions inside
// the buffer, strictly increasing zxids, and a consistent damage report.
func FuzzScanRecords(f *testing.F) {
	var log []byte
	log = append(log, encodeLogHeader(0)...)
	for i := uint32(1); i <= 3; i++ {
		log = appendRecord(log, entry(zab.MakeZxid(1, i), int(i)*7))
	}
	f.Add(log)
	f.Add(append(append([]byte(nil), log...), make([]byte, 64)...))
	f.Add(append(append([]byte(nil), log...), 1, 2, 3))
	torn := append([]byte(nil), log...)
	torn[len(torn)-3] ^= 0x10
	f.Add(torn)
	f.Add(encodeLogHeader(7))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) < logHeaderSize {
			return
		}
		res, err := scanRecords(b, logHeaderSize, 0, 1<<12)
		prev := zab.Zxid(0)
		end := int64(logHeaderSize)
		for _, r := range res.recs {
			if r.off != end || r.zxid <= prev {
				t.Fatalf("record %+v after end %d prev %v", r, end, prev)
			}
			end = r.off + recordSize(r.size)
			prev = r.zxid
		}
		if end != res.end || res.end > int64(len(b)) {
			t.Fatalf("end %d, res.end %d, len %d", end, res.end, len(b))
		}
		if err != nil {
			return
		}
		switch {
		case res.badOff < 0:
			if !allZero(b[res.end:]) {
				t.Fatalf("clean scan but bytes after %d are not zero", res.end)
			}
			if res.nextValid != -1 {
				t.Fatalf("nextValid %d without damage", res.nextValid)
			}
		case res.badOff != res.end:
			t.Fatalf("badOff %d != end %d", res.badOff, res.end)
		case res.nextValid >= 0:
			if res.nextValid <= res.badOff {
				t.Fatalf("nextValid %d not after badOff %d", res.nextValid, res.badOff)
			}
			if e, _, err := decodeRecord(b[res.nextValid:], 1<<12); err != nil || e.Zxid <= prev {
				t.Fatalf("nextValid %d does not hold a valid later record: %v", res.nextValid, err)
			}
		}
	})
}
