package storage

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func memWrite(t *testing.T, m *MemFS, name string, data []byte, sync bool) File {
	t.Helper()
	f, err := m.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(data, 0); err != nil {
		t.Fatal(err)
	}
	if sync {
		if err := f.Sync(); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func TestMemFSCrashKeepsOnlyDurable(t *testing.T) {
	m := NewMemFS(3)
	m.MkdirAll("/d")
	// Synced data, synced name: survives.
	f := memWrite(t, m, "/d/a", []byte("durable"), true)
	m.SyncDir("/d")
	// A rename not made durable: reverts.
	memWrite(t, m, "/d/c.tmp", []byte("c"), true)
	m.SyncDir("/d")
	m.Rename("/d/c.tmp", "/d/c")
	// Synced data, name never made durable: gone.
	memWrite(t, m, "/d/b", []byte("nameless"), true)
	// An unsynced append after synced data: dropped or torn (a tear only
	// ever happens to the file written last, which is /d/a below).
	f.WriteAt([]byte(" and more"), 7)
	m.Crash()
	names, _ := m.ReadDir("/d")
	if len(names) != 2 || names[0] != "a" || names[1] != "c.tmp" {
		t.Fatalf("names after crash %v", names)
	}
	got := rawFile(t, m, "/d/a")
	if !bytes.HasPrefix(got, []byte("durable")) || !bytes.HasPrefix([]byte("durable and more"), got[:min(len(got), 7)]) || len(got) > len("durable and more") {
		t.Fatalf("a holds %q", got)
	}
	if _, err := f.ReadAt(make([]byte, 1), 0); !errors.Is(err, ErrStaleHandle) {
		t.Fatalf("old handle: %v", err)
	}
}

func TestMemFSTearIsSeededPrefix(t *testing.T) {
	outcomes := map[string]bool{}
	for seed := uint64(0); seed < 64; seed++ {
		m := NewMemFS(seed)
		m.MkdirAll("/d")
		f := memWrite(t, m, "/d/x", []byte("0123"), true)
		m.SyncDir("/d")
		f.WriteAt([]byte("4567"), 4)
		f.WriteAt([]byte("89"), 8)
		m.Crash()
		got := rawFile(t, m, "/d/x")
		if len(got) < 4 || string(got[:4]) != "0123" {
			t.Fatalf("seed %d: synced bytes lost: %q", seed, got)
		}
		outcomes[string(got)] = true
		// Same seed, same outcome.
		m2 := NewMemFS(seed)
		m2.MkdirAll("/d")
		f2 := memWrite(t, m2, "/d/x", []byte("0123"), true)
		m2.SyncDir("/d")
		f2.WriteAt([]byte("4567"), 4)
		f2.WriteAt([]byte("89"), 8)
		m2.Crash()
		if got2 := rawFile(t, m2, "/d/x"); !bytes.Equal(got, got2) {
			t.Fatalf("seed %d: %q then %q", seed, got, got2)
		}
	}
	if !outcomes["0123"] || len(outcomes) < 4 {
		t.Fatalf("too few distinct crash outcomes: %v", outcomes)
	}
}

func TestMemFSCrashAfterAndInjectedErrors(t *testing.T) {
	m := NewMemFS(1)
	m.MkdirAll("/d")
	f := memWrite(t, m, "/d/a", []byte("x"), false)
	m.CrashAfter(1)
	if _, err := f.WriteAt([]byte("y"), 1); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); !errors.Is(err, ErrPowerLoss) {
		t.Fatalf("past the crash point: %v", err)
	}
	if _, err := m.ReadDir("/d"); !errors.Is(err, ErrPowerLoss) {
		t.Fatalf("reads while down: %v", err)
	}
	m.Crash()
	if _, err := m.Open("/d/a"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("unsynced file: %v", err)
	}
	errFull := errors.New("disk full")
	m.FailWrites(errFull)
	g, _ := m.Create(filepath.Join("/d", "b"))
	if _, err := g.WriteAt([]byte("z"), 0); !errors.Is(err, errFull) {
		t.Fatalf("injected write error: %v", err)
	}
}
