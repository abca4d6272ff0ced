package storage

import (
	"errors"
	"syscall"
	"testing"

	"github.com/zkmesh/zkmesh/zab"
)

func TestFsyncErrorFailsStoreForGood(t *testing.T) {
	m := NewMemFS(1)
	s := mustOpen(t, m, smallConfig(testDir))
	defer s.Close()
	appendSync(t, s, entries(1, 3, 8))
	m.FailSyncs(syscall.EIO)
	if err := s.Append(entries(4, 4, 8)); err != nil {
		t.Fatalf("buffered Append: %v", err)
	}
	err := s.Sync()
	if !errors.Is(err, ErrStoreFailed) || !errors.Is(err, syscall.EIO) {
		t.Fatalf("Sync = %v", err)
	}
	// Even once the disk "recovers", the store never reports success.
	m.FailSyncs(nil)
	for _, op := range []func() error{
		func() error { return s.Sync() },
		func() error { return s.Append(entries(5, 5, 8)) },
		func() error { return s.Truncate(0) },
		func() error { return s.SetHardState(zab.HardState{AcceptedEpoch: 1}) },
		func() error { return s.SaveSnapshot(zab.Snapshot{Zxid: 3}) },
	} {
		if err := op(); !errors.Is(err, ErrStoreFailed) || !errors.Is(err, syscall.EIO) {
			t.Fatalf("after failure: %v", err)
		}
	}
	if !errors.Is(s.Failed(), syscall.EIO) {
		t.Fatalf("Failed() = %v", s.Failed())
	}
	// What was durable is still readable, the failed entry is not.
	if z, _ := s.LastZxid(); z != zab.MakeZxid(1, 3) {
		t.Fatalf("LastZxid = %v", z)
	}
}

func TestDiskFullFailsStore(t *testing.T) {
	m := NewMemFS(1)
	cfg := smallConfig(testDir)
	s := mustOpen(t, m, cfg)
	appendSync(t, s, entries(1, 3, 8))
	m.FailWrites(syscall.ENOSPC)
	// Enough bytes to need a write (buffer full) or a new segment.
	err := s.Append(entries(4, 40, 100))
	if err == nil {
		err = s.Sync()
	}
	if !errors.Is(err, ErrStoreFailed) || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("err = %v", err)
	}
	m.FailWrites(nil)
	if err := s.Sync(); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Sync after failure = %v", err)
	}
	s.Close()
	// A restart recovers what was durable.
	m.Crash()
	s = mustOpen(t, m, cfg)
	defer s.Close()
	if err := sameEntries(allEntries(t, s), entries(1, 3, 8)); err != nil {
		t.Fatal(err)
	}
}

func TestEpochWriteErrorFailsStore(t *testing.T) {
	m := NewMemFS(1)
	s := mustOpen(t, m, smallConfig(testDir))
	defer s.Close()
	m.FailSyncs(syscall.EIO)
	if err := s.SetHardState(zab.HardState{AcceptedEpoch: 2}); !errors.Is(err, ErrStoreFailed) {
		t.Fatalf("err = %v", err)
	}
	if hs, _ := s.HardState(); hs.AcceptedEpoch != 0 {
		t.Fatalf("hard state %+v reported after a failed write", hs)
	}
}
