package storage

import (
	"slices"
	"strings"
	"testing"

	"github.com/zkmesh/zkmesh/zab"
)

// purgeFixture: log 1..80 in segments at 1,17,33,49,65 and snapshots at
// 10, 20, 40, 60.
func purgeFixture(t *testing.T) (*MemFS, Config) {
	m := NewMemFS(1)
	cfg := smallConfig(testDir)
	s := mustOpen(t, m, cfg)
	appendSync(t, s, entries(1, 80, 8))
	for _, c := range []uint32{10, 20, 40, 60} {
		if err := s.SaveSnapshot(zab.Snapshot{Zxid: zab.MakeZxid(1, c), Data: []byte{byte(c)}}); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	return m, cfg
}

func names(t *testing.T, m *MemFS) string {
	var out []string
	for _, n := range listNames(t, m, testDir) {
		if strings.HasPrefix(n, logPrefix) || strings.HasPrefix(n, snapPrefix) {
			out = append(out, n)
		}
	}
	return strings.Join(out, " ")
}

func TestPurgeRules(t *testing.T) {
	z := func(c uint32) zab.Zxid { return zab.MakeZxid(1, c) }
	for _, tc := range []struct {
		retain int
		want   []string
	}{
		// Oldest kept 40: segment 33 holds 41, so 33 and later stay.
		{2, []string{logName(z(33)), logName(z(49)), logName(z(65)), snapName(z(40)), snapName(z(60))}},
		// Oldest kept 20: segment 17 holds 21.
		{3, []string{logName(z(17)), logName(z(33)), logName(z(49)), logName(z(65)), snapName(z(20)), snapName(z(40)), snapName(z(60))}},
		{1, []string{logName(z(49)), logName(z(65)), snapName(z(60))}},
		// More than there are: nothing but logs older than snapshot 10's.
		{9, []string{logName(z(1)), logName(z(17)), logName(z(33)), logName(z(49)), logName(z(65)), snapName(z(10)), snapName(z(20)), snapName(z(40)), snapName(z(60))}},
	} {
		m, cfg := purgeFixture(t)
		if err := PurgeFS(m, testDir, tc.retain); err != nil {
			t.Fatal(err)
		}
		want := slices.Clone(tc.want)
		slices.Sort(want)
		if got := names(t, m); got != strings.Join(want, " ") {
			t.Errorf("retain %d:\n got  %s\n want %s", tc.retain, got, strings.Join(want, " "))
		}
		// What remains recovers to the same state.
		s := mustOpen(t, m, cfg)
		snap, err := s.Snapshot()
		if err != nil || snap.Zxid != z(60) {
			t.Fatalf("retain %d: Snapshot %v %v", tc.retain, snap.Zxid, err)
		}
		var n int
		if err := s.Replay(snap.Zxid, func(zab.Entry) error { n++; return nil }); err != nil || n != 20 {
			t.Fatalf("retain %d: replay %d, %v", tc.retain, n, err)
		}
		s.Close()
	}
	m, _ := purgeFixture(t)
	if err := PurgeFS(m, testDir, 0); err == nil {
		t.Fatal("retain 0 accepted")
	}
}

func TestPurgeSkipsCorruptSnapshots(t *testing.T) {
	m, _ := purgeFixture(t)
	corruptSnapshot(t, m, zab.MakeZxid(1, 40))
	// Valid, newest first: 60, 20. Keep those; 40 (corrupt, but newer
	// than 20) stays, 10 goes.
	if err := PurgeFS(m, testDir, 2); err != nil {
		t.Fatal(err)
	}
	got := names(t, m)
	if strings.Contains(got, snapName(zab.MakeZxid(1, 10))) || !strings.Contains(got, snapName(zab.MakeZxid(1, 20))) ||
		!strings.Contains(got, logName(zab.MakeZxid(1, 17))) || strings.Contains(got, logName(zab.MakeZxid(1, 1))+" ") {
		t.Fatalf("left %s", got)
	}
}

func TestStorePurgeKeepsIndexConsistent(t *testing.T) {
	m, cfg := purgeFixture(t)
	s := mustOpen(t, m, cfg)
	defer s.Close()
	if err := s.Purge(1); err != nil {
		t.Fatal(err)
	}
	if z, _ := s.FirstZxid(); z != zab.MakeZxid(1, 49) {
		t.Fatalf("FirstZxid = %v", z)
	}
	if err := sameEntries(allEntries(t, s), entries(49, 80, 8)); err != nil {
		t.Fatal(err)
	}
	appendSync(t, s, entries(81, 90, 8))
	if got := allEntries(t, s); len(got) != 42 {
		t.Fatalf("%d entries", len(got))
	}
}

// A snapshot rolls the log, as ZooKeeper does, so a purge can drop every
// segment the snapshot covers.
func TestSnapshotRollsLogForPurge(t *testing.T) {
	m := NewMemFS(1)
	s := mustOpen(t, m, smallConfig(testDir))
	defer s.Close()
	appendSync(t, s, entries(1, 10, 8))
	if err := s.SaveSnapshot(zab.Snapshot{Zxid: zab.MakeZxid(1, 10), Data: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	appendSync(t, s, entries(11, 12, 8))
	if got := names(t, m); !strings.Contains(got, logName(zab.MakeZxid(1, 11))) {
		t.Fatalf("no segment starts after the snapshot: %s", got)
	}
	if err := s.Purge(1); err != nil {
		t.Fatal(err)
	}
	if z, _ := s.FirstZxid(); z != zab.MakeZxid(1, 11) {
		t.Fatalf("FirstZxid = %v", z)
	}
	if got := names(t, m); got != logName(zab.MakeZxid(1, 11))+" "+snapName(zab.MakeZxid(1, 10)) {
		t.Fatalf("left %s", got)
	}
}
