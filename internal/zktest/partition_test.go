package zktest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/zkmesh/zkmesh/jute"
)

// echoServer accepts connections on loopback and echoes every line back.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = io.Copy(c, c)
			}()
		}
	}()
	return ln.Addr().String()
}

// roundTrip writes a line on c and reads it back within 5 s.
func roundTrip(c net.Conn, r *bufio.Reader, line string) error {
	if err := c.SetDeadline(time.Now().Add(5 * time.Second)); err != nil {
		return err
	}
	if _, err := io.WriteString(c, line+"\n"); err != nil {
		return err
	}
	got, err := r.ReadString('\n')
	if err != nil {
		return err
	}
	if got != line+"\n" {
		return fmt.Errorf("echo %q, want %q", got, line)
	}
	return nil
}

func TestProxyPauseBreaksAndRefusesUntilResume(t *testing.T) {
	p := NewProxy(t, echoServer(t))
	c, err := net.Dial("tcp", p.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	if err := roundTrip(c, r, "before"); err != nil {
		t.Fatalf("through the proxy: %v", err)
	}
	if n := p.Conns(); n != 1 {
		t.Fatalf("Conns() = %d, want 1", n)
	}
	p.Pause()
	if !p.Paused() || p.Conns() != 0 {
		t.Fatalf("after Pause: Paused %v, Conns %d", p.Paused(), p.Conns())
	}
	if err := roundTrip(c, r, "during"); err == nil {
		t.Fatal("an established connection still forwards after Pause")
	}
	// A new connection is accepted by the listener but closed before any
	// byte is forwarded.
	c2, err := net.Dial("tcp", p.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if err := roundTrip(c2, bufio.NewReader(c2), "paused"); err == nil {
		t.Fatal("a new connection forwards while paused")
	}
	p.Resume()
	c3, err := net.Dial("tcp", p.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c3.Close()
	if err := roundTrip(c3, bufio.NewReader(c3), "after"); err != nil {
		t.Fatalf("after Resume: %v", err)
	}
}

func TestProxyHoldDelaysUntilRelease(t *testing.T) {
	p := NewProxy(t, echoServer(t))
	c, err := net.Dial("tcp", p.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	if err := roundTrip(c, r, "before"); err != nil {
		t.Fatalf("through the proxy: %v", err)
	}
	p.Hold()
	if !p.Held() {
		t.Fatal("Held() is false after Hold")
	}
	c2, err := net.Dial("tcp", p.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	r2 := bufio.NewReader(c2)
	for _, w := range []struct {
		c    net.Conn
		line string
	}{{c, "one"}, {c, "two"}, {c2, "new"}} {
		if _, err := io.WriteString(w.c, w.line+"\n"); err != nil {
			t.Fatal(err)
		}
	}
	// Nothing comes back while held, and nothing is closed either.
	for _, rc := range []struct {
		c net.Conn
		r *bufio.Reader
	}{{c, r}, {c2, r2}} {
		if err := rc.c.SetReadDeadline(time.Now().Add(300 * time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		if got, err := rc.r.ReadString('\n'); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("read while held = %q, %v; want a timeout", got, err)
		}
	}
	if p.Conns() != 2 {
		t.Fatalf("Conns() = %d while held, want 2", p.Conns())
	}
	p.Release()
	for _, want := range []struct {
		c    net.Conn
		r    *bufio.Reader
		line string
	}{{c, r, "one"}, {c, r, "two"}, {c2, r2, "new"}} {
		if err := want.c.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
			t.Fatal(err)
		}
		if got, err := want.r.ReadString('\n'); err != nil || got != want.line+"\n" {
			t.Fatalf("after Release read %q, %v; want %q", got, err, want.line)
		}
	}
	if err := roundTrip(c, r, "after"); err != nil {
		t.Fatalf("after Release: %v", err)
	}
}

func TestZooCfgPartitionableView(t *testing.T) {
	o := DefaultOptions()
	o.Members, o.Observers, o.PartitionableLinks = 3, 1, true
	all := []memberPorts{{client: 2181, quorum: 2888, election: 3888}, {client: 2182, quorum: 2889, election: 3889}, {client: 2183, quorum: 2890, election: 3890}}
	n := newNetwork(t, all)
	cfg := zooCfg(o, 2, "/d", n.view(2, all), true)
	if !strings.Contains(cfg, "server.2=127.0.0.1:2889:3889:participant\n") || !strings.Contains(cfg, "clientPort=2182\n") {
		t.Errorf("member 2's own ports are not its real ones:\n%s", cfg)
	}
	for to, want := range map[int]string{1: "participant", 3: "observer"} {
		lp := n.links[link{2, to}]
		line := fmt.Sprintf("server.%d=127.0.0.1:%d:%d:%s\n", to, proxyPort(lp.peer), proxyPort(lp.election), want)
		if !strings.Contains(cfg, line) {
			t.Errorf("zoo.cfg of member 2 lacks %q:\n%s", line, cfg)
		}
		if lp.peer.target != loopback(all[to-1].quorum) || lp.election.target != loopback(all[to-1].election) {
			t.Errorf("link 2->%d forwards to %s and %s", to, lp.peer.target, lp.election.target)
		}
	}
	if err := (Options{Members: 1, TickTimeMs: 1, InitLimitTicks: 1, SyncLimitTicks: 1, StartTimeout: 1, PartitionableLinks: true}).Validate(); err == nil || !strings.Contains(err.Error(), "PartitionableLinks") {
		t.Errorf("Validate of a standalone server with PartitionableLinks = %v", err)
	}
}

// waitMode polls srvr on s until its answer satisfies ok, or fails after d.
func waitMode(t *testing.T, s *Server, d time.Duration, what string, ok func(srvr string) bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	var last string
	for time.Now().Before(deadline) {
		out, err := s.FourLetter("srvr")
		if err == nil && ok(out) {
			return
		}
		last = fmt.Sprint(out, err)
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("member %d not %s after %v; last srvr: %s", s.ID, what, d, last)
}

func notServing(out string) bool { return strings.Contains(out, "not currently serving") }

func isLeader(out string) bool { return strings.Contains(out, "Mode: leader") }

// TestZkmeshPartitionableLinks starts 3 zkmesh voters whose peer traffic
// passes through proxies, and checks that it really does, that an isolated
// member stops serving while the other two still commit, that a one-way cut
// is enough to keep a follower from following, and that healed links carry
// traffic again.
func TestZkmeshPartitionableLinks(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three zkmesh processes")
	}
	o := DefaultOptions()
	o.Members, o.PartitionableLinks = 3, true
	s := StartZkmesh(t, o)
	n := s.Network()
	if n == nil {
		t.Fatal("Network() is nil with PartitionableLinks")
	}
	for _, m := range s.Members {
		cfg, err := os.ReadFile(m.ConfigPath)
		if err != nil {
			t.Fatal(err)
		}
		for _, other := range s.Members {
			lp := n.links[link{m.ID, other.ID}]
			if other != m && !strings.Contains(string(cfg), fmt.Sprintf("server.%d=127.0.0.1:%d:", other.ID, proxyPort(lp.peer))) {
				t.Fatalf("zoo.cfg of member %d does not route member %d through its proxy:\n%s", m.ID, other.ID, cfg)
			}
		}
	}
	var leader *Server
	for _, m := range s.Members {
		if out, err := m.FourLetter("srvr"); err == nil && isLeader(out) {
			leader = m
		}
	}
	if leader == nil {
		t.Fatal("no member reports Mode: leader")
	}
	var followers []*Server
	for _, m := range s.Members {
		if m != leader {
			followers = append(followers, m)
		}
	}
	// Both directions between the leader and each follower carry a
	// connection: the handshake accepted the proxied addresses.
	for _, f := range followers {
		for _, l := range []link{{leader.ID, f.ID}, {f.ID, leader.ID}} {
			deadline := time.Now().Add(10 * time.Second)
			for n.links[l].peer.Conns() == 0 && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			if n.links[l].peer.Conns() == 0 {
				t.Fatalf("no connection through the proxy %d->%d", l.from, l.to)
			}
		}
	}

	write := func(m *Server, path string) {
		t.Helper()
		c, err := DialRaw(m.Addr, RawOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if r, err := c.Create(MultiOp{Op: jute.OpCreate, Path: path, ACL: jute.OpenACLUnsafe}); err != nil || r.Reply.Err != jute.CodeOK {
			t.Fatalf("create %s on member %d = %+v, %v", path, m.ID, r, err)
		}
	}

	isolated := followers[0]
	n.Isolate(isolated.ID)
	if got, want := n.Cuts(), cutsOf(isolated.ID, 3); got != want {
		t.Fatalf("Cuts() = %q, want %q", got, want)
	}
	waitMode(t, isolated, 15*time.Second, "out of service while isolated", notServing)
	write(followers[1], "/majority")
	n.HealAll()
	if got := n.Cuts(); got != "none" {
		t.Fatalf("Cuts() after HealAll = %q", got)
	}
	if err := isolated.WaitServing(30 * time.Second); err != nil {
		t.Fatalf("member %d after healing: %v", isolated.ID, err)
	}

	// A silent partition: the member's connections stay open but carry
	// nothing, so it notices by its timeouts only.
	n.IsolateSilently(isolated.ID)
	if n.Reachable(isolated.ID, leader.ID) || n.Reachable(leader.ID, isolated.ID) || !strings.Contains(n.Cuts(), "~>") {
		t.Fatalf("after IsolateSilently(%d): Cuts() = %q", isolated.ID, n.Cuts())
	}
	waitMode(t, isolated, 15*time.Second, "out of service while silently isolated", notServing)
	write(followers[1], "/silent")
	n.HealAll()
	if err := isolated.WaitServing(30 * time.Second); err != nil {
		t.Fatalf("member %d after a silent partition: %v", isolated.ID, err)
	}

	// The leader can no longer reach one follower, which still reaches the
	// leader: it stops hearing heartbeats and cannot follow.
	deaf := followers[1]
	n.CutOneWay(leader.ID, deaf.ID)
	if !n.Reachable(deaf.ID, leader.ID) || n.Reachable(leader.ID, deaf.ID) {
		t.Fatalf("one-way cut %d->%d: Cuts() = %q", leader.ID, deaf.ID, n.Cuts())
	}
	waitMode(t, deaf, 15*time.Second, "out of service when the leader cannot reach it", notServing)
	write(followers[0], "/one-way")
	n.HealOneWay(leader.ID, deaf.ID)
	if err := deaf.WaitServing(30 * time.Second); err != nil {
		t.Fatalf("member %d after healing: %v", deaf.ID, err)
	}
	c, err := DialRaw(deaf.Addr, RawOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Sync("/"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/majority", "/silent", "/one-way"} {
		if r, err := c.Exists(p, false); err != nil || r.Reply.Err != jute.CodeOK {
			t.Errorf("exists %s on healed member %d = %+v, %v", p, deaf.ID, r, err)
		}
	}
}

// cutsOf is what Cuts says when member id of n is isolated.
func cutsOf(id, n int) string {
	var cut []string
	for a := 1; a <= n; a++ {
		for b := 1; b <= n; b++ {
			if a != b && (a == id || b == id) {
				cut = append(cut, fmt.Sprintf("%d->%d", a, b))
			}
		}
	}
	return strings.Join(cut, " ")
}
