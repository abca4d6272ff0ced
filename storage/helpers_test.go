package storage

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/zkmesh/zkmesh/zab"
)

const testDir = "/data"

// smallConfig rolls and preallocates often, so that tests cross segment
// boundaries with a few entries.
func smallConfig(dir string) Config {
	c := DefaultConfig()
	c.Dir = dir
	c.SegmentMaxBytes = 1024
	c.SegmentMaxEntries = 16
	c.PreallocBytes = 256
	c.MaxRecordBytes = 4096
	c.WriteBufferBytes = 512
	return c
}

func mustOpen(t testing.TB, fsys FS, cfg Config) *Store {
	t.Helper()
	s, err := Open(fsys, cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

// entry builds a deterministic entry for zxid z.
func entry(z zab.Zxid, size int) zab.Entry {
	d := make([]byte, size)
	for i := range d {
		d[i] = byte(uint64(z)*31 + uint64(i))
	}
	return zab.Entry{Zxid: z, Data: d}
}

func entries(from, to uint32, size int) []zab.Entry {
	var out []zab.Entry
	for c := from; c <= to; c++ {
		out = append(out, entry(zab.MakeZxid(1, c), size))
	}
	return out
}

func appendSync(t testing.TB, s *Store, ents []zab.Entry) {
	t.Helper()
	if err := s.Append(ents); err != nil {
		t.Fatalf("Append: %v", err)
	}
	if err := s.Sync(); err != nil {
		t.Fatalf("Sync: %v", err)
	}
}

// allEntries reads the whole durable log, with Replay and with Entries.
func allEntries(t testing.TB, s *Store) []zab.Entry {
	t.Helper()
	first, _ := s.FirstZxid()
	after, _ := s.LastZxid()
	if first > 0 {
		after = first - 1
	}
	var out []zab.Entry
	if err := s.Replay(after, func(e zab.Entry) error { out = append(out, e); return nil }); err != nil {
		t.Fatalf("Replay: %v", err)
	}
	ents, err := s.Entries(after, 0)
	if err != nil {
		t.Fatalf("Entries: %v", err)
	}
	if err := sameEntries(out, ents); err != nil {
		t.Fatalf("Replay and Entries disagree: %v", err)
	}
	return out
}

func sameEntries(got, want []zab.Entry) error {
	if len(got) != len(want) {
		return fmt.Errorf("got %d entries, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i].Zxid != want[i].Zxid || !bytes.Equal(got[i].Data, want[i].Data) {
			return fmt.Errorf("entry %d: got %v (%d bytes), want %v (%d bytes)", i, got[i].Zxid, len(got[i].Data), want[i].Zxid, len(want[i].Data))
		}
	}
	return nil
}

// rawFile returns the current bytes of path in m.
func rawFile(t testing.TB, m *MemFS, path string) []byte {
	t.Helper()
	f, err := m.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := readAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// writeRaw overwrites path at off with p and makes it durable.
func writeRaw(t testing.TB, fsys FS, path string, off int64, p []byte) {
	t.Helper()
	f, err := fsys.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(p, off); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
}

func listNames(t testing.TB, fsys FS, dir string) []string {
	t.Helper()
	n, err := fsys.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func contextBackground() context.Context { return context.Background() }
