package discovery

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"os"
)

// LoadKey reads a gossip key from path. The file holds the key as 16, 24 or
// 32 raw bytes, or as their standard base64 (surrounding whitespace
// ignored). Content that is valid base64 of a valid key length is taken as
// base64 even when its raw length is also valid. Any other content fails
// with ErrBadKey and the length found.
func LoadKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadKey, err)
	}
	return parseKey(path, b)
}

func parseKey(path string, b []byte) ([]byte, error) {
	text := bytes.TrimSpace(b)
	if k, err := base64.StdEncoding.DecodeString(string(text)); err == nil && validKeyLen(len(k)) {
		return k, nil
	}
	if validKeyLen(len(b)) {
		return b, nil
	}
	return nil, fmt.Errorf("%w: %s: want 16, 24 or 32 raw bytes or their base64, found %d bytes",
		ErrBadKey, path, len(b))
}

func validKeyLen(n int) bool { return n == 16 || n == 24 || n == 32 }
