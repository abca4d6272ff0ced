package zktest

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"sync"
	"testing"
)

// freePortLow is the lowest port FreePort hands out.
const freePortLow = 20000

// handedOut holds every port FreePort returned in this process: it never
// returns one twice, as a test may ask for several before it binds any.
var handedOut struct {
	sync.Mutex
	ports map[int]bool
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago, for
// a process or listener the test starts next.
//
// It draws ports below the kernel's ephemeral range
// (net.ipv4.ip_local_port_range), at random: a port from that range, free
// when checked, can be taken by any outgoing connection of any test running
// meanwhile before the server binds it (seen as "address already in use"),
// while a port below it is only ever taken by another listener. It never
// returns the same port twice in one process.
func FreePort(t testing.TB) int {
	t.Helper()
	high := ephemeralLow() - 1
	handedOut.Lock()
	defer handedOut.Unlock()
	if handedOut.ports == nil {
		handedOut.ports = map[int]bool{}
	}
	for range 1000 {
		p := freePortLow + rand.IntN(high-freePortLow+1)
		if handedOut.ports[p] {
			continue
		}
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			continue
		}
		l.Close()
		handedOut.ports[p] = true
		return p
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("zktest: no free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// ephemeralLow is the first port of the kernel's ephemeral range (32768
// when it cannot be read).
func ephemeralLow() int {
	low := 32768
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		var lo, hi int
		if n, _ := fmt.Sscan(string(b), &lo, &hi); n == 2 && lo > freePortLow+1000 {
			low = lo
		}
	}
	return low
}
