package storage

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zkmesh/zkmesh/zab"
)

// oneSegment writes n entries into a single segment and closes the store.
func oneSegment(t *testing.T, n uint32, size int) (*MemFS, Config, string) {
	t.Helper()
	m := NewMemFS(1)
	cfg := smallConfig(testDir)
	cfg.SegmentMaxBytes = 1 << 20
	cfg.SegmentMaxEntries = 1000
	s := mustOpen(t, m, cfg)
	appendSync(t, s, entries(1, n, size))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return m, cfg, filepath.Join(testDir, logName(zab.MakeZxid(1, 1)))
}

// recordOffset is the offset of the i-th record (0-based) of a segment of
// equal-sized records.
func recordOffset(i, size int) int64 { return logHeaderSize + int64(i)*recordSize(size) }

func TestRecoverTornTail(t *testing.T) {
	for _, cut := range []int{1, 10, 16, 20, 39} {
		t.Run(fmt.Sprint(cut), func(t *testing.T) {
			m, cfg, path := oneSegment(t, 5, 24)
			// A sixth record torn after `cut` bytes: its header is
			// partial or its body short.
			rec := appendRecord(nil, entry(zab.MakeZxid(1, 6), 24))
			writeRaw(t, m, path, recordOffset(5, 24), rec[:cut])
			s := mustOpen(t, m, cfg)
			defer s.Close()
			if err := sameEntries(allEntries(t, s), entries(1, 5, 24)); err != nil {
				t.Fatal(err)
			}
			if r := s.Recovery(); r.TornTailPath != path || r.TornTailOffset != recordOffset(5, 24) || r.Entries != 5 {
				t.Fatalf("report %+v", r)
			}
			// The tail was cut off physically, and appending works.
			if n := len(rawFile(t, m, path)); int64(n) != recordOffset(5, 24) {
				t.Fatalf("segment is %d bytes after recovery, want %d", n, recordOffset(5, 24))
			}
			appendSync(t, s, entries(6, 8, 24))
			s.Close()
			s = mustOpen(t, m, cfg)
			defer s.Close()
			if err := sameEntries(allEntries(t, s), entries(1, 8, 24)); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestRecoverGarbageTail(t *testing.T) {
	m, cfg, path := oneSegment(t, 5, 24)
	writeRaw(t, m, path, recordOffset(5, 24), []byte("not a record at all, just bytes"))
	s := mustOpen(t, m, cfg)
	defer s.Close()
	if got := allEntries(t, s); len(got) != 5 {
		t.Fatalf("%d entries", len(got))
	}
}

func TestRecoverCorruptMiddleRefuses(t *testing.T) {
	m, cfg, path := oneSegment(t, 5, 24)
	off := recordOffset(2, 24)
	writeRaw(t, m, path, off+recordHeaderSize+3, []byte{0xEE})
	_, err := Open(m, cfg)
	if !errors.Is(err, ErrCorruptLog) {
		t.Fatalf("err = %v", err)
	}
	for _, want := range []string{path, fmt.Sprintf("byte offset %d", off), fmt.Sprintf("valid record follows at byte offset %d", recordOffset(3, 24))} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	// The damaged file is left alone for the operator.
	if n := len(rawFile(t, m, path)); int64(n) < recordOffset(5, 24) {
		t.Fatalf("Open changed the damaged segment to %d bytes", n)
	}
}

func TestRecoverCorruptOlderSegmentRefuses(t *testing.T) {
	m := NewMemFS(1)
	cfg := smallConfig(testDir)
	s := mustOpen(t, m, cfg)
	appendSync(t, s, entries(1, 20, 8)) // segments at 1 and 17
	s.Close()
	first := filepath.Join(testDir, logName(zab.MakeZxid(1, 1)))
	// Damage the last record of the older segment: nothing valid follows
	// it in that file, but it is not the newest segment.
	off := recordOffset(15, 8)
	writeRaw(t, m, first, off+recordHeaderSize, []byte{0xFF})
	_, err := Open(m, cfg)
	if !errors.Is(err, ErrCorruptLog) || !strings.Contains(err.Error(), first) ||
		!strings.Contains(err.Error(), fmt.Sprintf("byte offset %d", off)) || !strings.Contains(err.Error(), "not the newest") {
		t.Fatalf("err = %v", err)
	}
}

func TestRecoverBadSegmentHeader(t *testing.T) {
	m, cfg, path := oneSegment(t, 3, 8)
	writeRaw(t, m, path, 2, []byte{'X'})
	_, err := Open(m, cfg)
	if !errors.Is(err, ErrCorruptLog) || !strings.Contains(err.Error(), path) {
		t.Fatalf("err = %v", err)
	}
}

func TestRecoverNameMismatch(t *testing.T) {
	m, cfg, path := oneSegment(t, 3, 8)
	if err := m.Rename(path, filepath.Join(testDir, logName(zab.MakeZxid(1, 2)))); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(m, cfg); !errors.Is(err, ErrCorruptLog) {
		t.Fatalf("err = %v", err)
	}
}

func TestRecoverRemovesEmptyTailAndTemps(t *testing.T) {
	m, cfg, _ := oneSegment(t, 3, 8)
	// A segment created just before a crash holds only its header.
	empty := filepath.Join(testDir, logName(zab.MakeZxid(1, 4)))
	f, err := m.Create(empty)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt(encodeLogHeader(0), 0)
	f.Truncate(4096)
	f.Sync()
	f.Close()
	tmp := filepath.Join(testDir, snapName(9)+tmpSuffix)
	if f, err = m.Create(tmp); err != nil {
		t.Fatal(err)
	}
	f.Close()
	s := mustOpen(t, m, cfg)
	defer s.Close()
	for _, n := range listNames(t, m, testDir) {
		if n == filepath.Base(empty) || n == filepath.Base(tmp) {
			t.Errorf("%s survived Open", n)
		}
	}
	appendSync(t, s, entries(4, 5, 8))
	if got := allEntries(t, s); len(got) != 5 {
		t.Fatalf("%d entries", len(got))
	}
}

func TestOpenTwiceSeesSameLog(t *testing.T) {
	m, cfg, _ := oneSegment(t, 7, 100)
	for i := 0; i < 2; i++ {
		s := mustOpen(t, m, cfg)
		if err := sameEntries(allEntries(t, s), entries(1, 7, 100)); err != nil {
			t.Fatal(err)
		}
		s.Close()
	}
}

func TestRecoverMixedGenerationsRefused(t *testing.T) {
	m, cfg, _ := oneSegment(t, 3, 8)
	// A segment of a later generation, with no snapshot that starts it.
	p := filepath.Join(testDir, logName(zab.MakeZxid(2, 1)))
	b := appendRecord(encodeLogHeader(1), entry(zab.MakeZxid(2, 1), 8))
	f, _ := m.Create(p)
	f.WriteAt(b, 0)
	f.Sync()
	f.Close()
	_, err := Open(m, cfg)
	if !errors.Is(err, ErrCorruptLog) || !strings.Contains(err.Error(), "two different log histories") {
		t.Fatalf("err = %v", err)
	}
}
