package storage

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zkmesh/zkmesh/zab"
)

func TestConfigValidateNamesField(t *testing.T) {
	base := smallConfig(testDir)
	cases := map[string]func(*Config){
		"Dir":               func(c *Config) { c.Dir = "" },
		"SegmentMaxBytes":   func(c *Config) { c.SegmentMaxBytes = 10 },
		"SegmentMaxEntries": func(c *Config) { c.SegmentMaxEntries = 0 },
		"PreallocBytes":     func(c *Config) { c.PreallocBytes = -1 },
		"MaxRecordBytes":    func(c *Config) { c.MaxRecordBytes = 0 },
		"WriteBufferBytes":  func(c *Config) { c.WriteBufferBytes = 0 },
	}
	for field, mutate := range cases {
		c := base
		mutate(&c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), "Config."+field) {
			t.Errorf("%s: err = %v", field, err)
		}
	}
	if err := base.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestAppendSyncReopen(t *testing.T) {
	m := NewMemFS(1)
	s := mustOpen(t, m, smallConfig(testDir))
	want := entries(1, 50, 40)
	if err := s.Append(want[:10]); err != nil {
		t.Fatal(err)
	}
	// Not durable, not visible.
	if z, _ := s.LastZxid(); z != 0 {
		t.Fatalf("LastZxid before Sync = %v", z)
	}
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	appendSync(t, s, want[10:])
	if err := sameEntries(allEntries(t, s), want); err != nil {
		t.Fatal(err)
	}
	if z, _ := s.FirstZxid(); z != want[0].Zxid {
		t.Fatalf("FirstZxid = %v", z)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	m.Crash()
	s = mustOpen(t, m, smallConfig(testDir))
	defer s.Close()
	if err := sameEntries(allEntries(t, s), want); err != nil {
		t.Fatal(err)
	}
	if z, _ := s.LastZxid(); z != want[49].Zxid {
		t.Fatalf("LastZxid = %v", z)
	}
	got, err := s.Entries(want[19].Zxid, 5)
	if err != nil {
		t.Fatal(err)
	}
	if err := sameEntries(got, want[20:25]); err != nil {
		t.Fatal(err)
	}
	// Appending continues after recovery.
	more := entries(51, 60, 40)
	appendSync(t, s, more)
	if err := sameEntries(allEntries(t, s), append(want, more...)); err != nil {
		t.Fatal(err)
	}
}

func TestAppendRejects(t *testing.T) {
	s := mustOpen(t, NewMemFS(1), smallConfig(testDir))
	defer s.Close()
	appendSync(t, s, entries(1, 3, 8))
	if err := s.Append([]zab.Entry{entry(zab.MakeZxid(1, 3), 8)}); !errors.Is(err, ErrOutOfOrder) {
		t.Fatalf("duplicate zxid: %v", err)
	}
	if err := s.Append([]zab.Entry{entry(zab.MakeZxid(1, 5), 8), entry(zab.MakeZxid(1, 4), 8)}); !errors.Is(err, ErrOutOfOrder) {
		t.Fatalf("descending batch: %v", err)
	}
	if err := s.Append([]zab.Entry{entry(zab.MakeZxid(1, 9), 5000)}); !errors.Is(err, ErrRecordTooLarge) {
		t.Fatalf("large: %v", err)
	}
	// Nothing of a refused batch was appended; the store is healthy.
	if s.Failed() != nil {
		t.Fatal(s.Failed())
	}
	appendSync(t, s, entries(4, 4, 8))
	if got := allEntries(t, s); len(got) != 4 {
		t.Fatalf("%d entries", len(got))
	}
}

func TestRollBySizeAndCount(t *testing.T) {
	m := NewMemFS(1)
	cfg := smallConfig(testDir)
	s := mustOpen(t, m, cfg)
	// 16 entries per segment by count (16+8 bytes each is far under 1 KiB).
	appendSync(t, s, entries(1, 40, 8))
	var logs []string
	for _, n := range listNames(t, m, testDir) {
		if strings.HasPrefix(n, logPrefix) {
			logs = append(logs, n)
		}
	}
	want := []string{logName(zab.MakeZxid(1, 1)), logName(zab.MakeZxid(1, 17)), logName(zab.MakeZxid(1, 33))}
	if strings.Join(logs, ",") != strings.Join(want, ",") {
		t.Fatalf("segments %v, want %v", logs, want)
	}
	// By size: 300-byte records, at most 3 per 1 KiB segment.
	appendSync(t, s, entries(41, 46, 300))
	s.Close()
	s = mustOpen(t, m, cfg)
	defer s.Close()
	for _, seg := range s.segs {
		if seg.size > cfg.SegmentMaxBytes {
			t.Errorf("%s is %d bytes", seg.name, seg.size)
		}
	}
	if len(s.segs) != 5 {
		t.Errorf("%d segments", len(s.segs))
	}
	if err := sameEntries(allEntries(t, s), append(entries(1, 40, 8), entries(41, 46, 300)...)); err != nil {
		t.Fatal(err)
	}
	// A sealed segment gives back its preallocation.
	if b := rawFile(t, m, s.segs[0].path); int64(len(b)) != s.segs[0].size {
		t.Errorf("sealed segment is %d bytes, records end at %d", len(b), s.segs[0].size)
	}
}

func TestPreallocation(t *testing.T) {
	m := NewMemFS(1)
	cfg := smallConfig(testDir)
	cfg.SegmentMaxBytes = 1 << 20
	cfg.SegmentMaxEntries = 1000
	s := mustOpen(t, m, cfg)
	defer s.Close()
	appendSync(t, s, entries(1, 1, 10))
	path := filepath.Join(testDir, logName(zab.MakeZxid(1, 1)))
	if n := len(rawFile(t, m, path)); n != int(cfg.PreallocBytes) {
		t.Fatalf("new segment is %d bytes, want one %d-byte chunk", n, cfg.PreallocBytes)
	}
	// Grow past the first chunk: the file grows in whole chunks.
	appendSync(t, s, entries(2, 20, 10))
	n := len(rawFile(t, m, path))
	if n%int(cfg.PreallocBytes) != 0 || int64(n) < s.tail().size {
		t.Fatalf("segment is %d bytes for %d bytes of records", n, s.tail().size)
	}
	if !allZero(rawFile(t, m, path)[s.tail().size:]) {
		t.Fatal("preallocated space is not zero")
	}
}

func TestHardState(t *testing.T) {
	m := NewMemFS(1)
	s := mustOpen(t, m, smallConfig(testDir))
	if hs, _ := s.HardState(); hs != (zab.HardState{}) {
		t.Fatalf("fresh hard state %+v", hs)
	}
	want := zab.HardState{AcceptedEpoch: 7, CurrentEpoch: 6}
	if err := s.SetHardState(want); err != nil {
		t.Fatal(err)
	}
	s.Close()
	m.Crash()
	s = mustOpen(t, m, smallConfig(testDir))
	if hs, _ := s.HardState(); hs != want {
		t.Fatalf("after crash %+v", hs)
	}
	s.Close()
	if got := string(rawFile(t, m, filepath.Join(testDir, acceptedEpochName))); got != "7\n" {
		t.Fatalf("acceptedEpoch holds %q", got)
	}
	writeRaw(t, m, filepath.Join(testDir, currentEpochName), 0, []byte("x"))
	if _, err := Open(m, smallConfig(testDir)); !errors.Is(err, ErrCorruptEpoch) {
		t.Fatalf("corrupt epoch: %v", err)
	}
}

func TestEntriesCompacted(t *testing.T) {
	m := NewMemFS(1)
	s := mustOpen(t, m, smallConfig(testDir))
	defer s.Close()
	appendSync(t, s, entries(1, 40, 8))
	if err := s.SaveSnapshot(zab.Snapshot{Zxid: zab.MakeZxid(1, 30), Data: []byte("image")}); err != nil {
		t.Fatal(err)
	}
	if err := s.Purge(1); err != nil {
		t.Fatal(err)
	}
	// The segment starting at 17 holds 30, so it stays; 1..16 are gone.
	if z, _ := s.FirstZxid(); z != zab.MakeZxid(1, 17) {
		t.Fatalf("FirstZxid = %v", z)
	}
	if _, err := s.Entries(zab.MakeZxid(1, 5), 0); !errors.Is(err, zab.ErrCompacted) {
		t.Fatalf("Entries below the log: %v", err)
	}
	got, err := s.Entries(zab.MakeZxid(1, 16), 0)
	if err != nil || len(got) != 24 {
		t.Fatalf("Entries(16): %d, %v", len(got), err)
	}
}

func TestEntriesWindows(t *testing.T) {
	m := NewMemFS(1)
	cfg := smallConfig(testDir)
	s := mustOpen(t, m, cfg)
	defer s.Close()
	var all []zab.Entry
	for c := uint32(1); c <= 60; c++ {
		all = append(all, entry(zab.MakeZxid(1, c), int(c*37%300)))
	}
	appendSync(t, s, all)
	for after := 0; after <= 60; after += 7 {
		for _, max := range []int{0, 1, 2, 15, 16, 17, 100} {
			got, err := s.Entries(zab.MakeZxid(1, uint32(after)), max)
			if err != nil {
				t.Fatal(err)
			}
			want := all[after:]
			if max > 0 && len(want) > max {
				want = want[:max]
			}
			if err := sameEntries(got, want); err != nil {
				t.Fatalf("after %d max %d: %v", after, max, err)
			}
		}
	}
	if _, err := s.SnapshotZxid(); !errors.Is(err, zab.ErrNoSnapshot) {
		t.Fatalf("SnapshotZxid = %v", err)
	}
	s.SaveSnapshot(zab.Snapshot{Zxid: all[9].Zxid, Data: []byte("x")})
	if z, err := s.SnapshotZxid(); err != nil || z != all[9].Zxid {
		t.Fatalf("SnapshotZxid = %v, %v", z, err)
	}
}
