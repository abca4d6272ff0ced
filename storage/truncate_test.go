package storage

import (
	"errors"
	"testing"

	"github.com/zkmesh/zkmesh/zab"
)

func TestTruncate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		after uint32
		segs  int
	}{
		{"inside the newest segment", 35, 3},
		{"at a segment end", 32, 2},
		{"at a segment start", 33, 3},
		{"inside an older segment", 5, 1},
		{"nothing", 40, 3},
		{"past the end", 99, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := NewMemFS(1)
			cfg := smallConfig(testDir)
			s := mustOpen(t, m, cfg)
			appendSync(t, s, entries(1, 40, 8))
			if err := s.Truncate(zab.MakeZxid(1, tc.after)); err != nil {
				t.Fatal(err)
			}
			keep := tc.after
			if keep > 40 {
				keep = 40
			}
			want := entries(1, keep, 8)
			if err := sameEntries(allEntries(t, s), want); err != nil {
				t.Fatal(err)
			}
			if len(s.segs) != tc.segs {
				t.Fatalf("%d segments", len(s.segs))
			}
			if err := s.checkInvariants(); err != nil {
				t.Fatal(err)
			}
			// Durable without a Close, and appending continues.
			m.Crash()
			s = mustOpen(t, m, cfg)
			defer s.Close()
			if err := sameEntries(allEntries(t, s), want); err != nil {
				t.Fatal(err)
			}
			more := entries(keep+1, keep+20, 8)
			appendSync(t, s, more)
			if err := sameEntries(allEntries(t, s), append(want, more...)); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestTruncateBelowSnapshot(t *testing.T) {
	m, cfg := twoSnapshots(t) // snapshots at 10 and 30, log 1..40
	s := mustOpen(t, m, cfg)
	// To 20: the snapshot at 30 goes, the one at 10 plus the log remain.
	if err := s.Truncate(zab.MakeZxid(1, 20)); err != nil {
		t.Fatal(err)
	}
	if snap, err := s.Snapshot(); err != nil || snap.Zxid != zab.MakeZxid(1, 10) {
		t.Fatalf("Snapshot = %v, %v", snap.Zxid, err)
	}
	if z, _ := s.LastZxid(); z != zab.MakeZxid(1, 20) {
		t.Fatalf("LastZxid = %v", z)
	}
	s.Close()
	m.Crash()
	s = mustOpen(t, m, cfg)
	defer s.Close()
	if snap, _ := s.Snapshot(); snap.Zxid != zab.MakeZxid(1, 10) {
		t.Fatalf("after crash: Snapshot = %v", snap.Zxid)
	}
	// Below every snapshot: refused, nothing changed.
	if err := s.Truncate(zab.MakeZxid(1, 5)); !errors.Is(err, ErrTruncateBelowSnapshot) {
		t.Fatalf("err = %v", err)
	}
	if z, _ := s.LastZxid(); z != zab.MakeZxid(1, 20) || s.Failed() != nil {
		t.Fatalf("LastZxid = %v, failed %v", z, s.Failed())
	}
}

// Truncate leaves a prefix of the old log whatever the crash point.
func TestTruncateCrashLeavesPrefix(t *testing.T) {
	for n := int64(0); n < 12; n++ {
		m := NewMemFS(uint64(n))
		cfg := smallConfig(testDir)
		s := mustOpen(t, m, cfg)
		all := entries(1, 40, 8)
		appendSync(t, s, all)
		m.CrashAfter(n)
		terr := s.Truncate(zab.MakeZxid(1, 5))
		m.Crash()
		s = mustOpen(t, m, cfg)
		got := allEntries(t, s)
		if err := sameEntries(got, all[:len(got)]); err != nil || len(got) < 5 {
			t.Fatalf("crash after %d ops: %d entries, %v", n, len(got), err)
		}
		if terr == nil && len(got) != 5 {
			t.Fatalf("crash after %d ops: Truncate succeeded but %d entries remain", n, len(got))
		}
		s.Close()
	}
}
