package storage

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zkmesh/zkmesh/zab"
)

func TestInspect(t *testing.T) {
	m := NewMemFS(1)
	cfg := smallConfig(testDir)
	s := mustOpen(t, m, cfg)
	appendSync(t, s, entries(1, 20, 8))
	s.SetHardState(zab.HardState{AcceptedEpoch: 2, CurrentEpoch: 1})
	s.SaveSnapshot(zab.Snapshot{Zxid: zab.MakeZxid(1, 10), Data: []byte("img")})
	s.Close()
	// Damage record 3 of the newest segment (zxid 1:19).
	seg := filepath.Join(testDir, logName(zab.MakeZxid(1, 17)))
	off := recordOffset(2, 8)
	writeRaw(t, m, seg, off+recordHeaderSize, []byte{0xFF})

	var out strings.Builder
	format := func(d []byte) string { return fmt.Sprintf("body=%x", d[:2]) }
	if err := InspectFS(m, testDir, &out, format); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, want := range []string{
		"acceptedEpoch: 2",
		"currentEpoch: 1",
		"snapshot.10000000a: zxid=0x10000000a size=3 minLogGen=0 crc=ok",
		"log.100000001: size=",
		fmt.Sprintf("offset=%d zxid=0x100000001 size=8 crc=ok body=", logHeaderSize),
		fmt.Sprintf("offset=%d zxid=0x100000013 size=8 crc=BAD", off),
		"Open refuses this log",
		"zxid=0x100000014 size=8 crc=ok",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
}
