package storage

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/zkmesh/zkmesh/zab"
)

// FuzzOpenSegment recovers a directory whose only segment holds arbitrary
// bytes. Open must either refuse with ErrCorruptLog or recover a log that
// reads back, survives a second Open unchanged, and accepts appends.
func FuzzOpenSegment(f *testing.F) {
	var log []byte
	log = append(log, encodeLogHeader(0)...)
	for i := uint32(1); i <= 4; i++ {
		log = appendRecord(log, entry(zab.MakeZxid(1, i), int(i)*5))
	}
	f.Add(log)
	f.Add(append(append([]byte(nil), log...), make([]byte, 100)...))
	torn := append([]byte(nil), log...)
	f.Add(torn[:len(torn)-4])
	mid := append([]byte(nil), log...)
	mid[logHeaderSize+20] ^= 1
	f.Add(mid)
	f.Add(encodeLogHeader(3))
	f.Add([]byte("garbage"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m := NewMemFS(1)
		cfg := smallConfig(testDir)
		if err := m.MkdirAll(testDir); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(testDir, logName(zab.MakeZxid(1, 1)))
		fl, _ := m.Create(path)
		fl.WriteAt(b, 0)
		fl.Sync()
		fl.Close()
		m.SyncDir(testDir)
		s, err := Open(m, cfg)
		if err != nil {
			if !errors.Is(err, ErrCorruptLog) {
				t.Fatalf("Open refused with %v, not ErrCorruptLog", err)
			}
			return
		}
		got := allEntries(t, s)
		s.Close()
		s = mustOpen(t, m, cfg)
		defer s.Close()
		if err := sameEntries(allEntries(t, s), got); err != nil {
			t.Fatalf("second Open differs: %v", err)
		}
		next := zab.MakeZxid(9, 1)
		if last, _ := s.LastZxid(); last >= next {
			next = last + 1
		}
		appendSync(t, s, []zab.Entry{entry(next, 3)})
		if all := allEntries(t, s); len(all) != len(got)+1 {
			t.Fatalf("append after recovery: %d entries, had %d", len(all), len(got))
		}
	})
}

// FuzzSnapshotFile verifies arbitrary bytes as a snapshot file: it must
// either be refused or read back exactly the length its trailer states.
func FuzzSnapshotFile(f *testing.F) {
	m := NewMemFS(1)
	s := mustOpen(f, m, smallConfig(testDir))
	s.SaveSnapshot(zab.Snapshot{Zxid: 7, Data: []byte("some image bytes")})
	s.Close()
	f.Add(rawFile(f, m, filepath.Join(testDir, snapName(7))))
	f.Add([]byte("ZKMSNAP1"))
	f.Add(make([]byte, snapHeaderSize+snapTrailerSize))
	f.Fuzz(func(t *testing.T, b []byte) {
		m := NewMemFS(1)
		m.MkdirAll(testDir)
		path := filepath.Join(testDir, snapName(7))
		fl, _ := m.Create(path)
		fl.WriteAt(b, 0)
		fl.Close()
		meta, err := verifySnapshot(m, path, 7)
		if err != nil {
			return
		}
		snap, err := readSnapshot(m, meta)
		if err != nil {
			t.Fatalf("verified, then read failed: %v", err)
		}
		if int64(len(snap.Data)) != meta.dataLen || int64(len(b)) != meta.dataLen+snapHeaderSize+snapTrailerSize {
			t.Fatalf("data %d bytes, meta %d, file %d", len(snap.Data), meta.dataLen, len(b))
		}
	})
}

// FuzzEpochFile parses arbitrary epoch file contents.
func FuzzEpochFile(f *testing.F) {
	f.Add([]byte("5\n"))
	f.Add([]byte("4294967295"))
	f.Add([]byte("4294967296\n"))
	f.Add([]byte("-1"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m := NewMemFS(1)
		m.MkdirAll(testDir)
		path := filepath.Join(testDir, acceptedEpochName)
		fl, _ := m.Create(path)
		fl.WriteAt(b, 0)
		fl.Close()
		v, err := readEpoch(m, path)
		if err != nil {
			if !errors.Is(err, ErrCorruptEpoch) {
				t.Fatalf("err = %v", err)
			}
			return
		}
		if err := writeHardState(m, testDir, zab.HardState{}, zab.HardState{AcceptedEpoch: v + 0}); err != nil {
			t.Fatal(err)
		}
		if w, err := readEpoch(m, path); (v != 0 && w != v) || err != nil {
			t.Fatalf("round trip %d -> %d, %v", v, w, err)
		}
	})
}
