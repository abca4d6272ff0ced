package storage

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zkmesh/zkmesh/zab"
)

// The real disk: the same log, snapshot, torn-tail and lock behaviour as
// on MemFS.
func TestOSFSStore(t *testing.T) {
	dir := t.TempDir()
	cfg := smallConfig(dir)
	s := mustOpen(t, OSFS{}, cfg)
	if _, err := Open(OSFS{}, cfg); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open of a held directory: %v", err)
	}
	appendSync(t, s, entries(1, 40, 50))
	if err := s.SetHardState(zab.HardState{AcceptedEpoch: 1, CurrentEpoch: 1}); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveSnapshot(zab.Snapshot{Zxid: zab.MakeZxid(1, 20), Data: []byte("image")}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Tear the newest segment by hand: half a record after the last one.
	var newest string
	names, _ := os.ReadDir(dir)
	for _, n := range names {
		if strings.HasPrefix(n.Name(), logPrefix) {
			newest = filepath.Join(dir, n.Name())
		}
	}
	f, err := os.OpenFile(newest, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := f.Stat()
	rec := appendRecord(nil, entry(zab.MakeZxid(1, 41), 50))
	if _, err := f.WriteAt(rec[:30], st.Size()); err != nil {
		t.Fatal(err)
	}
	f.Close()

	s = mustOpen(t, OSFS{}, cfg)
	defer s.Close()
	if r := s.Recovery(); r.TornTailPath != newest {
		t.Fatalf("recovery %+v", r)
	}
	if err := sameEntries(allEntries(t, s), entries(1, 40, 50)); err != nil {
		t.Fatal(err)
	}
	snap, err := s.Snapshot()
	if err != nil || !bytes.Equal(snap.Data, []byte("image")) {
		t.Fatalf("snapshot %q, %v", snap.Data, err)
	}
	if hs, _ := s.HardState(); hs.CurrentEpoch != 1 {
		t.Fatalf("hard state %+v", hs)
	}
	var out strings.Builder
	if err := Inspect(dir, &out, nil); err != nil || !strings.Contains(out.String(), "zxid=0x100000028 size=50 crc=ok 50 bytes") {
		t.Fatalf("Inspect: %v\n%s", err, out.String())
	}
	if err := s.Purge(1); err != nil {
		t.Fatal(err)
	}
	if z, _ := s.FirstZxid(); z > zab.MakeZxid(1, 21) {
		t.Fatalf("purge removed too much: first %v", z)
	}
}

func TestMemFSLock(t *testing.T) {
	m := NewMemFS(1)
	s := mustOpen(t, m, smallConfig(testDir))
	if _, err := Open(m, smallConfig(testDir)); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open: %v", err)
	}
	s.Close()
	s = mustOpen(t, m, smallConfig(testDir))
	s.Close()
}

func TestOpenNewestSnapshot(t *testing.T) {
	dir := t.TempDir()
	if _, err := OpenNewestSnapshot(dir); !errors.Is(err, zab.ErrNoSnapshot) {
		t.Fatalf("empty dir: %v", err)
	}
	s := mustOpen(t, OSFS{}, smallConfig(dir))
	appendSync(t, s, entries(1, 30, 8))
	for _, c := range []uint32{5, 20, 10} {
		if err := s.SaveSnapshot(zab.Snapshot{Zxid: zab.MakeZxid(1, c), Data: []byte{byte(c)}}); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	r, err := OpenNewestSnapshot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Zxid() != zab.MakeZxid(1, 20) {
		t.Fatalf("opened %v, want the newest", r.Zxid())
	}
}

func TestSeparateSnapDir(t *testing.T) {
	logDir, snapDir := t.TempDir(), t.TempDir()
	cfg := smallConfig(logDir)
	cfg.SnapDir = snapDir
	s := mustOpen(t, OSFS{}, cfg)
	appendSync(t, s, entries(1, 40, 8))
	s.SetHardState(zab.HardState{AcceptedEpoch: 1, CurrentEpoch: 1})
	for _, c := range []uint32{10, 30} {
		if err := s.SaveSnapshot(zab.Snapshot{Zxid: zab.MakeZxid(1, c), Data: []byte{byte(c)}}); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	kinds := func(dir string) (logs, snaps, epochs int) {
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			switch {
			case strings.HasPrefix(e.Name(), logPrefix):
				logs++
			case strings.HasPrefix(e.Name(), snapPrefix):
				snaps++
			case strings.HasSuffix(e.Name(), "Epoch"):
				epochs++
			}
		}
		return
	}
	if l, sn, e := kinds(logDir); l != 3 || sn != 0 || e != 0 {
		t.Fatalf("log dir: %d logs, %d snapshots, %d epoch files", l, sn, e)
	}
	if l, sn, e := kinds(snapDir); l != 0 || sn != 2 || e != 2 {
		t.Fatalf("snap dir: %d logs, %d snapshots, %d epoch files", l, sn, e)
	}
	var out strings.Builder
	if err := InspectDirs(OSFS{}, logDir, snapDir, &out, nil); err != nil || !strings.Contains(out.String(), "currentEpoch: 1") ||
		!strings.Contains(out.String(), "snapshot.10000001e") || !strings.Contains(out.String(), "log.100000021") {
		t.Fatalf("InspectDirs: %v\n%s", err, out.String())
	}
	if err := PurgeDirs(OSFS{}, logDir, snapDir, 1); err != nil {
		t.Fatal(err)
	}
	if l, sn, _ := kinds(logDir); l != 2 {
		t.Fatalf("after purge: %d logs", l)
	} else if _, sn2, _ := kinds(snapDir); sn != 0 || sn2 != 1 {
		t.Fatalf("after purge: %d snapshots", sn2)
	}
	s = mustOpen(t, OSFS{}, cfg)
	defer s.Close()
	snap, err := s.Snapshot()
	if err != nil || snap.Zxid != zab.MakeZxid(1, 30) {
		t.Fatalf("Snapshot %v %v", snap.Zxid, err)
	}
	if hs, _ := s.HardState(); hs.CurrentEpoch != 1 {
		t.Fatalf("hard state %+v", hs)
	}
}

func TestDirSpellingsAgree(t *testing.T) {
	dir := t.TempDir()
	cfg := smallConfig(dir + "/")
	cfg.SnapDir = dir + "/./"
	s := mustOpen(t, OSFS{}, cfg)
	appendSync(t, s, entries(1, 3, 8))
	s.SaveSnapshot(zab.Snapshot{Zxid: zab.MakeZxid(1, 3), Data: []byte("x")})
	s.Close()
	s = mustOpen(t, OSFS{}, smallConfig(dir))
	defer s.Close()
	if z, err := s.SnapshotZxid(); err != nil || z != zab.MakeZxid(1, 3) {
		t.Fatalf("SnapshotZxid %v %v", z, err)
	}
}
