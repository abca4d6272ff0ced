package storage

import (
	"bytes"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zkmesh/zkmesh/zab"
)

func TestSnapshotSaveLoad(t *testing.T) {
	m := NewMemFS(1)
	s := mustOpen(t, m, smallConfig(testDir))
	if _, err := s.Snapshot(); !errors.Is(err, zab.ErrNoSnapshot) {
		t.Fatalf("fresh Snapshot: %v", err)
	}
	appendSync(t, s, entries(1, 10, 8))
	img := bytes.Repeat([]byte("tree"), 100000) // larger than the write buffer
	if err := s.SaveSnapshot(zab.Snapshot{Zxid: zab.MakeZxid(1, 10), Data: img}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	m.Crash()
	s = mustOpen(t, m, smallConfig(testDir))
	defer s.Close()
	snap, err := s.Snapshot()
	if err != nil || snap.Zxid != zab.MakeZxid(1, 10) || !bytes.Equal(snap.Data, img) {
		t.Fatalf("Snapshot = %v, %d bytes, %v", snap.Zxid, len(snap.Data), err)
	}
	// The log is kept.
	if got := allEntries(t, s); len(got) != 10 {
		t.Fatalf("%d entries", len(got))
	}
	r, err := s.OpenSnapshot()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	streamed, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(streamed, img) || r.Zxid() != snap.Zxid {
		t.Fatalf("streamed %d bytes, %v", len(streamed), err)
	}
}

func TestSnapshotStreamingWrite(t *testing.T) {
	m := NewMemFS(1)
	s := mustOpen(t, m, smallConfig(testDir))
	defer s.Close()
	appendSync(t, s, entries(1, 5, 8))
	w, err := s.CreateSnapshot(zab.MakeZxid(1, 5))
	if err != nil {
		t.Fatal(err)
	}
	var want []byte
	for i := 0; i < 1000; i++ {
		chunk := bytes.Repeat([]byte{byte(i)}, 777)
		want = append(want, chunk...)
		if _, err := w.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	// Not visible before Commit.
	if _, err := s.Snapshot(); !errors.Is(err, zab.ErrNoSnapshot) {
		t.Fatalf("before commit: %v", err)
	}
	if err := w.Commit(false); err != nil {
		t.Fatal(err)
	}
	snap, err := s.Snapshot()
	if err != nil || !bytes.Equal(snap.Data, want) {
		t.Fatalf("%d bytes, %v", len(snap.Data), err)
	}
	// An aborted snapshot leaves nothing behind.
	w, _ = s.CreateSnapshot(zab.MakeZxid(1, 6))
	w.Write([]byte("x"))
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	for _, n := range listNames(t, m, testDir) {
		if strings.HasSuffix(n, tmpSuffix) || n == snapName(zab.MakeZxid(1, 6)) {
			t.Fatalf("%s left after Abort", n)
		}
	}
}

func TestSnapshotStreamDetectsCorruption(t *testing.T) {
	m := NewMemFS(1)
	s := mustOpen(t, m, smallConfig(testDir))
	appendSync(t, s, entries(1, 5, 8))
	if err := s.SaveSnapshot(zab.Snapshot{Zxid: zab.MakeZxid(1, 5), Data: bytes.Repeat([]byte("a"), 5000)}); err != nil {
		t.Fatal(err)
	}
	writeRaw(t, m, filepath.Join(testDir, snapName(zab.MakeZxid(1, 5))), snapHeaderSize+4000, []byte("b"))
	r, err := s.OpenSnapshot()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := io.ReadAll(r); !errors.Is(err, ErrCorruptSnapshot) {
		t.Fatalf("stream of a corrupt snapshot: %v", err)
	}
	if _, err := s.Snapshot(); !errors.Is(err, ErrCorruptSnapshot) {
		t.Fatalf("Snapshot of a corrupt snapshot: %v", err)
	}
	s.Close()
}

// twoSnapshots leaves snapshots at 10 and 30 and a log 1..40 whose
// segments start at 1, 17 and 33.
func twoSnapshots(t *testing.T) (*MemFS, Config) {
	t.Helper()
	m := NewMemFS(1)
	cfg := smallConfig(testDir)
	s := mustOpen(t, m, cfg)
	appendSync(t, s, entries(1, 40, 8))
	for _, c := range []uint32{10, 30} {
		if err := s.SaveSnapshot(zab.Snapshot{Zxid: zab.MakeZxid(1, c), Data: []byte{byte(c)}}); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	return m, cfg
}

func corruptSnapshot(t *testing.T, m *MemFS, z zab.Zxid) string {
	t.Helper()
	p := filepath.Join(testDir, snapName(z))
	writeRaw(t, m, p, snapHeaderSize, []byte{0xAB})
	return p
}

func TestSnapshotCorruptNewestFallsBack(t *testing.T) {
	m, cfg := twoSnapshots(t)
	corruptSnapshot(t, m, zab.MakeZxid(1, 30))
	s := mustOpen(t, m, cfg)
	defer s.Close()
	snap, err := s.Snapshot()
	if err != nil || snap.Zxid != zab.MakeZxid(1, 10) {
		t.Fatalf("Snapshot = %v, %v", snap.Zxid, err)
	}
	var got []zab.Entry
	if err := s.Replay(snap.Zxid, func(e zab.Entry) error { got = append(got, e); return nil }); err != nil {
		t.Fatal(err)
	}
	if err := sameEntries(got, entries(11, 40, 8)); err != nil {
		t.Fatal(err)
	}
}

func TestSnapshotCorruptNewestRefusedWithoutLog(t *testing.T) {
	m, cfg := twoSnapshots(t)
	// The log from the older snapshot on is gone: segment 1 held 11..16.
	if err := m.Remove(filepath.Join(testDir, logName(zab.MakeZxid(1, 1)))); err != nil {
		t.Fatal(err)
	}
	p := corruptSnapshot(t, m, zab.MakeZxid(1, 30))
	_, err := Open(m, cfg)
	if !errors.Is(err, ErrLogGap) || !strings.Contains(err.Error(), p) {
		t.Fatalf("err = %v", err)
	}
}

func TestSnapshotCorruptNewestRefusedShortLog(t *testing.T) {
	m := NewMemFS(1)
	cfg := smallConfig(testDir)
	s := mustOpen(t, m, cfg)
	appendSync(t, s, entries(1, 10, 8))
	s.SaveSnapshot(zab.Snapshot{Zxid: zab.MakeZxid(1, 5), Data: []byte("old")})
	// A SNAP from the leader beyond the local log, without dropping it.
	if err := s.ApplySnapshot(zab.Snapshot{Zxid: zab.MakeZxid(1, 50), Data: []byte("new")}, false); err != nil {
		t.Fatal(err)
	}
	s.Close()
	p := corruptSnapshot(t, m, zab.MakeZxid(1, 50))
	if _, err := Open(m, cfg); err == nil || !strings.Contains(err.Error(), p) {
		t.Fatalf("err = %v", err)
	}
}

func TestSnapshotAllCorruptRefused(t *testing.T) {
	m, cfg := twoSnapshots(t)
	corruptSnapshot(t, m, zab.MakeZxid(1, 30))
	p := corruptSnapshot(t, m, zab.MakeZxid(1, 10))
	_, err := Open(m, cfg)
	if !errors.Is(err, ErrCorruptSnapshot) || !strings.Contains(err.Error(), filepath.Base(snapName(zab.MakeZxid(1, 30)))) {
		t.Fatalf("err = %v (older is %s)", err, p)
	}
}

func TestSnapshotTruncatedFileIsCorrupt(t *testing.T) {
	m, cfg := twoSnapshots(t)
	p := filepath.Join(testDir, snapName(zab.MakeZxid(1, 30)))
	f, _ := m.Open(p)
	f.Truncate(snapHeaderSize + 3)
	f.Sync()
	f.Close()
	s := mustOpen(t, m, cfg)
	defer s.Close()
	if snap, _ := s.Snapshot(); snap.Zxid != zab.MakeZxid(1, 10) {
		t.Fatalf("fell back to %v", snap.Zxid)
	}
}

func TestApplySnapshotDropLog(t *testing.T) {
	m := NewMemFS(1)
	cfg := smallConfig(testDir)
	s := mustOpen(t, m, cfg)
	appendSync(t, s, entries(1, 40, 8))
	s.SaveSnapshot(zab.Snapshot{Zxid: zab.MakeZxid(1, 35), Data: []byte("local")})
	// The leader sends a snapshot of another history at 2:5.
	snapZ := zab.MakeZxid(2, 5)
	if err := s.ApplySnapshot(zab.Snapshot{Zxid: snapZ, Data: []byte("leader")}, true); err != nil {
		t.Fatal(err)
	}
	if z, _ := s.LastZxid(); z != snapZ {
		t.Fatalf("LastZxid = %v", z)
	}
	if z, _ := s.FirstZxid(); z != 0 {
		t.Fatalf("FirstZxid = %v", z)
	}
	next := []zab.Entry{entry(zab.MakeZxid(2, 6), 8), entry(zab.MakeZxid(2, 7), 8)}
	appendSync(t, s, next)
	s.Close()
	m.Crash()
	s = mustOpen(t, m, cfg)
	defer s.Close()
	snap, err := s.Snapshot()
	if err != nil || snap.Zxid != snapZ || string(snap.Data) != "leader" {
		t.Fatalf("Snapshot = %v %q %v", snap.Zxid, snap.Data, err)
	}
	if err := sameEntries(allEntries(t, s), next); err != nil {
		t.Fatal(err)
	}
}

// A crash after a SNAP's snapshot is durable but before the old segments
// are removed must not bring the old log back.
func TestApplySnapshotCrashKeepsOldSegmentsOut(t *testing.T) {
	for n := int64(0); n < 40; n++ {
		m := NewMemFS(uint64(n))
		cfg := smallConfig(testDir)
		s := mustOpen(t, m, cfg)
		appendSync(t, s, entries(1, 40, 8))
		m.CrashAfter(n)
		applyErr := s.ApplySnapshot(zab.Snapshot{Zxid: zab.MakeZxid(2, 5), Data: []byte("leader")}, true)
		m.Crash()
		s = mustOpen(t, m, cfg)
		snap, err := s.Snapshot()
		switch {
		case err == nil && snap.Zxid == zab.MakeZxid(2, 5):
			if got := allEntries(t, s); len(got) != 0 {
				t.Fatalf("crash after %d ops: the replaced log came back (%d entries)", n, len(got))
			}
		case errors.Is(err, zab.ErrNoSnapshot):
			if applyErr == nil {
				t.Fatalf("crash after %d ops: acknowledged snapshot lost", n)
			}
			if got := allEntries(t, s); len(got) != 40 {
				t.Fatalf("crash after %d ops: old log has %d entries", n, len(got))
			}
		default:
			t.Fatalf("crash after %d ops: Snapshot = %v, %v", n, snap.Zxid, err)
		}
		s.Close()
	}
}

// A local snapshot being written while a SNAP replaces the log must not
// be installed: its image is of the replaced history.
func TestLocalSnapshotRacingSnapIsRefused(t *testing.T) {
	m := NewMemFS(1)
	cfg := smallConfig(testDir)
	s := mustOpen(t, m, cfg)
	defer s.Close()
	appendSync(t, s, entries(1, 40, 8))
	w, err := s.CreateSnapshot(zab.MakeZxid(1, 40))
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("old history"))
	snapZ := zab.MakeZxid(2, 3)
	if err := s.ApplySnapshot(zab.Snapshot{Zxid: snapZ, Data: []byte("leader")}, true); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(false); !errors.Is(err, ErrSnapshotStale) {
		t.Fatalf("stale local snapshot: %v", err)
	}
	if s.Failed() != nil {
		t.Fatalf("store failed: %v", s.Failed())
	}
	snap, err := s.Snapshot()
	if err != nil || snap.Zxid != snapZ {
		t.Fatalf("Snapshot = %v, %v", snap.Zxid, err)
	}
	for _, n := range listNames(t, m, testDir) {
		if strings.HasPrefix(n, snapName(zab.MakeZxid(1, 40))) {
			t.Fatalf("%s left behind", n)
		}
	}
}
