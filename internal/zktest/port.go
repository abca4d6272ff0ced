package zktest

import (
	"net"
	"testing"
)

// FreePort returns a TCP port on 127.0.0.1 that was free when asked. The
// port is released before returning, so another process may take it; the
// caller binds it soon after.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("zktest: no free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
