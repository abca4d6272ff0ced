package discovery

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func writeKey(t *testing.T, content []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "gossip.key")
	if err := os.WriteFile(p, content, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadKey(t *testing.T) {
	for _, n := range []int{16, 24, 32} {
		raw := bytes.Repeat([]byte{0xa5}, n) // not base64 text
		raw[0] = byte(n)
		got, err := LoadKey(writeKey(t, raw))
		if err != nil || !bytes.Equal(got, raw) {
			t.Fatalf("raw %d bytes: got %x, %v", n, got, err)
		}
		text := base64.StdEncoding.EncodeToString(raw) + "\n"
		got, err = LoadKey(writeKey(t, []byte(text)))
		if err != nil || !bytes.Equal(got, raw) {
			t.Fatalf("base64 of %d bytes: got %x, %v", n, got, err)
		}
	}
	for name, content := range map[string][]byte{
		"empty":         {},
		"15 raw":        bytes.Repeat([]byte{0xa5}, 15),
		"base64 of 20":  []byte(base64.StdEncoding.EncodeToString(make([]byte, 20))),
		"not base64 33": bytes.Repeat([]byte{'!'}, 33),
	} {
		_, err := LoadKey(writeKey(t, content))
		if !errors.Is(err, ErrBadKey) {
			t.Errorf("%s: got %v, want ErrBadKey", name, err)
		}
	}
	if _, err := LoadKey(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, ErrBadKey) {
		t.Errorf("missing file: got %v", err)
	}
}
