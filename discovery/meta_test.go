package discovery

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func sampleMeta() Meta {
	return Meta{
		ServerID:     7,
		Role:         RoleVoter,
		PeerAddr:     "10.0.0.7:2888",
		ElectionAddr: "10.0.0.7:3888",
		ClientAddr:   "127.0.0.1:2181",
		XDSAddr:      "127.0.0.1:18000",
		Zone:         "eu-west-1a",
		Region:       "eu-west-1",
		Version:      "zkmesh 0.1.0",
		LastZxid:     0x0000000500000123,
		DataEmpty:    true,
	}
}

func TestMetaRoundTrip(t *testing.T) {
	cases := []Meta{
		sampleMeta(),
		{Role: RoleObserver},
		{Role: RoleCandidate, ServerID: 1<<64 - 1, LastZxid: -1, Leaving: true},
	}
	for _, m := range cases {
		b, err := EncodeMeta(m)
		if err != nil {
			t.Fatalf("encode %+v: %v", m, err)
		}
		got, err := DecodeMeta(b)
		if err != nil {
			t.Fatalf("decode %x: %v", b, err)
		}
		if got != m {
			t.Fatalf("round trip: got %+v want %+v", got, m)
		}
	}
}

func TestMetaCompact(t *testing.T) {
	b, err := EncodeMeta(sampleMeta())
	if err != nil {
		t.Fatal(err)
	}
	// 1 version + 1 id + 1 role + 7 lengths + strings + 6 zxid + 1 flags.
	strs := len("10.0.0.7:2888") + len("10.0.0.7:3888") + len("127.0.0.1:2181") + len("127.0.0.1:18000") +
		len("eu-west-1a") + len("eu-west-1") + len("zkmesh 0.1.0")
	if want := 1 + 1 + 1 + 7 + strs + 6 + 1; len(b) != want {
		t.Fatalf("encoded %d bytes, want %d", len(b), want)
	}
}

func TestMetaTooLarge(t *testing.T) {
	m := sampleMeta()
	m.Version = strings.Repeat("v", MaxMetaSize)
	if _, err := EncodeMeta(m); !errors.Is(err, ErrMetaTooLarge) {
		t.Fatalf("got %v, want ErrMetaTooLarge", err)
	}
	m.Version = strings.Repeat("v", MaxMetaSize-120)
	b, err := EncodeMeta(m)
	if err != nil {
		t.Fatalf("meta of %d bytes: %v", len(b), err)
	}
}

func TestMetaEncodeRejects(t *testing.T) {
	if _, err := EncodeMeta(Meta{}); !errors.Is(err, ErrBadMeta) {
		t.Fatalf("zero role: got %v", err)
	}
	if _, err := EncodeMeta(Meta{Role: RoleVoter, Zone: "\xff"}); !errors.Is(err, ErrBadMeta) {
		t.Fatalf("non-UTF-8 zone: got %v", err)
	}
}

func TestDecodeMetaRejects(t *testing.T) {
	good, err := EncodeMeta(sampleMeta())
	if err != nil {
		t.Fatal(err)
	}
	bad := map[string][]byte{
		"empty":         {},
		"version 0":     append([]byte{0}, good[1:]...),
		"truncated":     good[:len(good)-1],
		"trailing v1":   append(append([]byte(nil), good...), 0),
		"unknown flag":  append(append([]byte(nil), good[:len(good)-1]...), 0x80),
		"role 0":        {1, 7, 0},
		"role 9":        {1, 7, 9},
		"id overflow":   {1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
		"string length": {1, 7, 1, 0x7f, 'a'},
		"too large":     bytes.Repeat([]byte{1}, MaxMetaSize+1),
	}
	for name, b := range bad {
		if _, err := DecodeMeta(b); !errors.Is(err, ErrBadMeta) {
			t.Errorf("%s: got %v, want ErrBadMeta", name, err)
		}
	}
	// A later version may append fields and unknown flags.
	later := append([]byte{2}, good[1:]...)
	later[len(later)-1] |= 0x40
	later = append(later, 0xde, 0xad)
	got, err := DecodeMeta(later)
	if err != nil || got != sampleMeta() {
		t.Fatalf("version 2 with extra fields: got %+v, %v", got, err)
	}
}

func TestRoleParse(t *testing.T) {
	for r := RoleVoter; r <= RoleCandidate; r++ {
		got, err := ParseRole(r.String())
		if err != nil || got != r {
			t.Fatalf("ParseRole(%q) = %v, %v", r.String(), got, err)
		}
	}
	if _, err := ParseRole("leader"); err == nil {
		t.Fatal("ParseRole(leader) succeeded")
	}
}

// FuzzDecodeMeta: DecodeMeta never panics, and whatever it accepts encodes
// again (unless above the limit) to bytes that decode to the same Meta.
func FuzzDecodeMeta(f *testing.F) {
	for _, m := range []Meta{sampleMeta(), {Role: RoleObserver}, {Role: RoleCandidate, LastZxid: -1, Leaving: true}} {
		b, err := EncodeMeta(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(append([]byte{2}, b[1:]...))
	}
	f.Add([]byte{})
	f.Add([]byte{1, 0x80, 0x80})
	f.Add([]byte{1, 7, 1, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeMeta(b)
		if err != nil {
			return
		}
		enc, err := EncodeMeta(m)
		if err != nil {
			t.Fatalf("accepted %x but cannot encode %+v: %v", b, m, err)
		}
		again, err := DecodeMeta(enc)
		if err != nil || again != m {
			t.Fatalf("re-encode of %+v decodes to %+v, %v", m, again, err)
		}
	})
}
