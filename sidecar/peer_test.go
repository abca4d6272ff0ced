package sidecar

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/zkmesh/zkmesh/zab"
)

// peerWait bounds every wait for an event in these tests.
const peerWait = 20 * time.Second

// peerLogSink is a log destination tests can wait on.
type peerLogSink struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{}
}

func newPeerLogSink() *peerLogSink { return &peerLogSink{changed: make(chan struct{})} }

func (s *peerLogSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf.Write(p)
	close(s.changed)
	s.changed = make(chan struct{})
	return len(p), nil
}

func (s *peerLogSink) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// count returns how many log lines contain every fragment.
func (s *peerLogSink) count(fragments ...string) int {
	n := 0
	for _, line := range strings.Split(s.String(), "\n") {
		ok := true
		for _, f := range fragments {
			ok = ok && strings.Contains(line, f)
		}
		if ok && line != "" {
			n++
		}
	}
	return n
}

// waitLines waits until at least n log lines contain every fragment.
func (s *peerLogSink) waitLines(t *testing.T, n int, fragments ...string) {
	t.Helper()
	s.waitLinesPoking(t, n, nil, fragments...)
}

// waitLinesPoking is waitLines calling poke (if not nil) every 10ms
// meanwhile, to make something happen again.
func (s *peerLogSink) waitLinesPoking(t *testing.T, n int, poke func(), fragments ...string) {
	t.Helper()
	deadline := time.After(peerWait)
	var tick <-chan time.Time
	if poke != nil {
		tk := time.NewTicker(10 * time.Millisecond)
		defer tk.Stop()
		tick = tk.C
	}
	for {
		s.mu.Lock()
		ch := s.changed
		s.mu.Unlock()
		if s.count(fragments...) >= n {
			return
		}
		select {
		case <-ch:
		case <-tick:
			poke()
		case <-deadline:
			t.Fatalf("no log line with %q after %s; log:\n%s", fragments, peerWait, s)
		}
	}
}

// testPeerMember is one running transport.
type testPeerMember struct {
	tr     *peerTransport
	log    *peerLogSink
	cancel context.CancelFunc
	done   chan struct{} // closed when Run has returned, with its error in err
	err    error
}

// stop ends Run and waits for it.
func (p *testPeerMember) stop(t *testing.T) {
	t.Helper()
	p.cancel()
	select {
	case <-p.done:
		if p.err != nil {
			t.Errorf("Run: %v", p.err)
		}
	case <-time.After(peerWait):
		t.Fatal("Run did not return")
	}
}

// peerListen opens a loopback listener on a free port (or on addr).
func peerListen(t *testing.T, addr string) net.Listener {
	t.Helper()
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// startPeer runs a transport for self on ln with the given peers.
func startPeer(t *testing.T, self zab.ServerID, ln net.Listener, peers map[zab.ServerID]string, tweak func(*peerConfig)) *testPeerMember {
	t.Helper()
	cfg := defaultPeerConfig()
	cfg.Self, cfg.Listener, cfg.Peers = self, ln, peers
	cfg.MinBackoff, cfg.MaxBackoff = 5*time.Millisecond, 50*time.Millisecond
	if tweak != nil {
		tweak(&cfg)
	}
	sink := newPeerLogSink()
	log := zerolog.New(sink).Level(zerolog.DebugLevel)
	tr, err := newPeerTransport(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &testPeerMember{tr: tr, log: sink, cancel: cancel, done: make(chan struct{})}
	go func() {
		p.err = tr.Run(ctx)
		close(p.done)
	}()
	t.Cleanup(func() {
		cancel()
		<-p.done
	})
	return p
}

// startPeerCluster runs one transport per id, all knowing each other.
func startPeerCluster(t *testing.T, ids []zab.ServerID, tweak func(*peerConfig)) (map[zab.ServerID]*testPeerMember, map[zab.ServerID]string) {
	t.Helper()
	lns := map[zab.ServerID]net.Listener{}
	addrs := map[zab.ServerID]string{}
	for _, id := range ids {
		lns[id] = peerListen(t, "")
		addrs[id] = lns[id].Addr().String()
	}
	peers := map[zab.ServerID]*testPeerMember{}
	for _, id := range ids {
		peers[id] = startPeer(t, id, lns[id], addrs, tweak)
	}
	return peers, addrs
}

// peerRecvN collects n messages from p or fails.
func peerRecvN(t *testing.T, p *testPeerMember, n int) []zab.Message {
	t.Helper()
	var got []zab.Message
	deadline := time.After(peerWait)
	for len(got) < n {
		select {
		case m := <-p.tr.Recv():
			got = append(got, m)
		case <-deadline:
			t.Fatalf("received %d of %d messages; stats %+v", len(got), n, p.tr.Stats())
		}
	}
	return got
}

// pingUntilHeard sends PINGs from a to b until b receives one, and
// returns it. Earlier PINGs may be lost while a link comes up; that is the
// transport's contract.
func pingUntilHeard(t *testing.T, a, b *testPeerMember, from, to zab.ServerID) zab.Message {
	t.Helper()
	deadline := time.After(peerWait)
	retry := time.NewTicker(10 * time.Millisecond)
	defer retry.Stop()
	for seq := uint64(1); ; seq++ {
		a.tr.Send(zab.Message{Type: zab.MsgPing, From: from, To: to, Seq: seq})
		select {
		case m := <-b.tr.Recv():
			return m
		case <-retry.C:
		case <-deadline:
			t.Fatalf("%d never heard %d; stats %+v", to, from, a.tr.Stats())
		}
	}
}

func TestPeerTransportExchangesEveryMessageType(t *testing.T) {
	ids := []zab.ServerID{1, 2, 3}
	peers, _ := startPeerCluster(t, ids, nil)
	big := zab.Message{Type: zab.MsgSync, Mode: zab.SyncSnap, Conn: 5, Seq: 2, Zxid: zab.MakeZxid(4, 9),
		Snapshot: &zab.Snapshot{Zxid: zab.MakeZxid(4, 9), Data: bytes.Repeat([]byte("whole tree "), 150_000)}}
	want := map[zab.ServerID][]zab.Message{}
	for _, from := range ids {
		for _, to := range ids {
			if from == to {
				continue
			}
			ms := peerSamples(from, to)
			b := big
			b.From, b.To = from, to
			ms = append(ms, b)
			for _, m := range ms {
				peers[from].tr.Send(m)
			}
			want[to] = append(want[to], ms...)
		}
	}
	for _, to := range ids {
		got := peerRecvN(t, peers[to], len(want[to]))
		// Messages from one sender arrive in order; senders interleave.
		for _, from := range ids {
			var g, w []zab.Message
			for _, m := range got {
				if m.From == from {
					g = append(g, m)
				}
			}
			for _, m := range want[to] {
				if m.From == from {
					w = append(w, m)
				}
			}
			if !reflect.DeepEqual(g, w) {
				t.Fatalf("%d received from %d:\n%v\nwant\n%v", to, from, g, w)
			}
		}
	}
	per := uint64(len(peerSamples(1, 2)) + 1)
	for _, id := range ids {
		peers[id].stop(t)
	}
	for _, id := range ids {
		st := peers[id].tr.Stats()
		for pid, ls := range st.Peers {
			if ls.Sent != per || ls.Dropped != 0 || ls.Received != per || ls.Rejected != 0 {
				t.Errorf("%d's stats for %d: %+v, want %d sent and received", id, pid, ls, per)
			}
		}
		if st.Refused != 0 || st.BadFrames != 0 || st.Misrouted != 0 {
			t.Errorf("%d: %+v", id, st)
		}
		if _, open := <-peers[id].tr.Recv(); open {
			t.Errorf("%d: Recv still open after Run returned", id)
		}
	}
}

func TestPeerTransportRedialsRestartedPeer(t *testing.T) {
	peers, addrs := startPeerCluster(t, []zab.ServerID{1, 2}, nil)
	a, b := peers[1], peers[2]
	if m := pingUntilHeard(t, a, b, 1, 2); m.From != 1 {
		t.Fatalf("got %v", m)
	}
	pingUntilHeard(t, b, a, 2, 1)

	b.stop(t)
	// 1 notices the loss without writing (its reader sees the close).
	a.log.waitLines(t, 1, "peer connection lost (outbound)", `"peer_id":2`)
	if a.tr.Stats().Peers[2].Connected {
		t.Fatal("1 still reports 2 connected")
	}
	// While 2 is down, Send keeps returning and drops.
	for i := range 50 {
		a.tr.Send(zab.Message{Type: zab.MsgPing, From: 1, To: 2, Seq: uint64(i)})
	}
	a.log.waitLines(t, 1, "cannot connect to peer 2")

	b2 := startPeer(t, 2, peerListen(t, addrs[2]), addrs, nil)
	pingUntilHeard(t, a, b2, 1, 2)
	pingUntilHeard(t, b2, a, 2, 1)
	if n := a.log.count("peer connected (outbound)", `"peer_id":2`); n != 2 {
		t.Fatalf("1 connected to 2 %d times, want 2", n)
	}
	if st := a.tr.Stats().Peers[2]; !st.Connected || st.Dropped == 0 {
		t.Fatalf("1's stats for 2 after the restart: %+v", st)
	}
}

func TestPeerTransportRefusesStrangersOthersKeepWorking(t *testing.T) {
	lns := map[zab.ServerID]net.Listener{1: peerListen(t, ""), 2: peerListen(t, ""), 3: peerListen(t, "")}
	addrs := map[zab.ServerID]string{}
	for id, ln := range lns {
		addrs[id] = ln.Addr().String()
	}
	one := startPeer(t, 1, lns[1], addrs, nil)
	two := startPeer(t, 2, lns[2], addrs, nil)
	three := startPeer(t, 3, lns[3], addrs, nil)
	pingUntilHeard(t, one, two, 1, 2)

	cases := []struct {
		name     string
		self     zab.ServerID
		peers    map[zab.ServerID]string
		to       zab.ServerID
		acceptor *testPeerMember
		reason   string
	}{
		{"unknown id", 7, map[zab.ServerID]string{1: addrs[1], 2: addrs[2], 3: addrs[3]}, 1, one,
			"server id 7 is not in this member's server list"},
		{"conflicting id", 1, map[zab.ServerID]string{2: addrs[1], 3: addrs[3]}, 2, one,
			"server id 1 is this member's own id: conflicting id"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			refused := c.acceptor.tr.Stats().Refused
			x := startPeer(t, c.self, peerListen(t, ""), c.peers, nil)
			x.tr.Send(zab.Message{Type: zab.MsgPing, From: c.self, To: c.to})
			// The acceptor names the address and the reason...
			c.acceptor.log.waitLines(t, 1, "refused peer connection from 127.0.0.1:", c.reason)
			// ...and so does the dialer, from the reply.
			x.log.waitLines(t, 1, "refused our connection", c.reason)
			// The dialer retries after its backoff; the acceptor says it
			// again at debug level only.
			c.acceptor.log.waitLinesPoking(t, 1, func() { x.tr.Send(zab.Message{Type: zab.MsgPing, From: c.self, To: c.to}) },
				`"level":"debug"`, "refused peer connection from", c.reason)
			if n := c.acceptor.log.count(`"level":"warn"`, c.reason); n != 1 {
				t.Fatalf("%d warnings for one refusal repeated", n)
			}
			if got := c.acceptor.tr.Stats().Refused; got < refused+2 {
				t.Fatalf("Refused %d, was %d", got, refused)
			}
			x.stop(t)
		})
	}

	// An address that answers with another id.
	x := startPeer(t, 3, peerListen(t, ""), map[zab.ServerID]string{1: addrs[1], 2: addrs[1]}, nil)
	x.tr.Send(zab.Message{Type: zab.MsgPing, From: 3, To: 2})
	x.log.waitLines(t, 1, "cannot connect to peer 2", "answered as server id 1, expected 2")
	x.stop(t)

	// The members were never disturbed.
	pingUntilHeard(t, one, two, 1, 2)
	pingUntilHeard(t, two, one, 2, 1)
	pingUntilHeard(t, three, one, 3, 1)
	if st := one.tr.Stats(); st.BadFrames != 0 || st.Peers[2].Rejected != 0 {
		t.Fatalf("1's stats: %+v", st)
	}
}

func TestPeerTransportRefusesConnectionToItself(t *testing.T) {
	ln := peerListen(t, "")
	me := startPeer(t, 1, ln, map[zab.ServerID]string{1: ln.Addr().String(), 2: ln.Addr().String()}, nil)
	me.tr.Send(zab.Message{Type: zab.MsgPing, From: 1, To: 2})
	me.log.waitLines(t, 1, "refused peer connection", "server id 1 dialed itself")
	me.log.waitLines(t, 1, "refused our connection", "server id 1 dialed itself")
}

// rawPeer shakes hands with a transport by hand, to send what a real
// member never would.
func rawPeer(t *testing.T, addr string, id zab.ServerID, members []zab.ServerID) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	h := peerHello{Version: peerHandshakeVersion, ID: id, Nonce: 1, Members: peerMemberHash(members)}
	if _, err := c.Write(appendPeerHello(nil, h)); err != nil {
		t.Fatal(err)
	}
	p, err := readPeerFrame(c, peerReplyMaxBytes)
	if err != nil {
		t.Fatal(err)
	}
	r, err := decodePeerReply(p)
	if err != nil || r.Status != peerReplyAccept {
		t.Fatalf("handshake: %+v, %v", r, err)
	}
	return c
}

// peerWaitClosed waits until the other end closes c.
func peerWaitClosed(t *testing.T, c net.Conn) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(peerWait))
	if n, err := io.Copy(io.Discard, c); err != nil {
		t.Fatalf("connection not closed: %d bytes, %v", n, err)
	}
}

func TestPeerTransportBadFramesCloseOnlyThatConnection(t *testing.T) {
	members := []zab.ServerID{1, 2, 3}
	lns := map[zab.ServerID]net.Listener{1: peerListen(t, ""), 2: peerListen(t, "")}
	addrs := map[zab.ServerID]string{1: lns[1].Addr().String(), 2: lns[2].Addr().String(), 3: "127.0.0.1:1"}
	small := func(c *peerConfig) { c.MaxFrameBytes = 64 << 10 }
	one := startPeer(t, 1, lns[1], addrs, small)
	two := startPeer(t, 2, lns[2], addrs, small)
	pingUntilHeard(t, two, one, 2, 1)

	// Oversized frame after a good handshake.
	c := rawPeer(t, addrs[1], 3, members)
	binary.Write(c, binary.BigEndian, uint32(64<<10+1))
	peerWaitClosed(t, c)
	one.log.waitLines(t, 1, "closing peer connection: bad frame", "peer frame too large")

	// Garbage instead of a hello.
	g, err := net.Dial("tcp", addrs[1])
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	fmt.Fprintf(g, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	peerWaitClosed(t, g)
	one.log.waitLines(t, 1, "closing peer connection: no valid hello")

	// A message whose From is not the handshake's id is dropped, the
	// connection stays; garbage in a frame closes it.
	c = rawPeer(t, addrs[1], 3, members)
	c.Write(peerFrame(t, zab.Message{Type: zab.MsgPing, From: 2, To: 1}))
	c.Write(peerFrame(t, zab.Message{Type: zab.MsgPing, From: 3, To: 2}))
	c.Write(peerFrame(t, zab.Message{Type: zab.MsgPing, From: 3, To: 1, Seq: 42}))
	var m zab.Message
	for m.From != 3 { // PINGs from 2 still on their way are skipped
		select {
		case m = <-one.tr.Recv():
		case <-time.After(peerWait):
			t.Fatal("nothing received from 3")
		}
	}
	if m.Seq != 42 {
		t.Fatalf("received %v", m)
	}
	if st := one.tr.Stats().Peers[3]; st.Rejected != 2 || st.Received != 1 {
		t.Fatalf("stats for 3: %+v", st)
	}
	c.Write(rawPeerFrame(1, 0x83, 1, 0xc1, 2, 3, 3, 1))
	peerWaitClosed(t, c)
	one.log.waitLines(t, 1, "closing peer connection: bad frame", "malformed peer frame")

	if st := one.tr.Stats(); st.BadFrames != 2 || st.Refused != 1 {
		t.Fatalf("1's stats: %+v", st)
	}
	// 2's connection to 1 was never touched.
	pingUntilHeard(t, two, one, 2, 1)
	pingUntilHeard(t, one, two, 1, 2)
	if n := one.log.count("peer connected (inbound)", `"peer_id":2`); n != 1 {
		t.Fatalf("2 connected to 1 %d times", n)
	}
}

func TestPeerTransportSendNeverBlocks(t *testing.T) {
	// 2's address refuses connections; 3's accepts them and never answers.
	down := peerListen(t, "")
	downAddr := down.Addr().String()
	down.Close()
	mute := peerListen(t, "")
	defer mute.Close()
	go func() {
		for {
			c, err := mute.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	me := startPeer(t, 1, peerListen(t, ""), map[zab.ServerID]string{2: downAddr, 3: mute.Addr().String()}, func(c *peerConfig) {
		c.SendQueueLen = 16
		c.HandshakeTimeout = time.Minute
	})
	const n = 100_000
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range n {
			me.tr.Send(zab.Message{Type: zab.MsgPing, From: 1, To: 2, Seq: uint64(i)})
			me.tr.Send(zab.Message{Type: zab.MsgPing, From: 1, To: 3, Seq: uint64(i)})
			me.tr.Send(zab.Message{Type: zab.MsgPing, From: 1, To: 4, Seq: uint64(i)})
		}
	}()
	select {
	case <-done:
	case <-time.After(peerWait):
		t.Fatalf("Send blocked; stats %+v", me.tr.Stats())
	}
	st := me.tr.Stats()
	// At most a queue's worth plus the message being dialed for is held.
	for _, id := range []zab.ServerID{2, 3} {
		if ls := st.Peers[id]; ls.Dropped < n-16-1 || ls.Sent != 0 || ls.Connected {
			t.Errorf("stats for %d: %+v", id, ls)
		}
	}
	if st.Misrouted != n {
		t.Errorf("Misrouted %d, want %d", st.Misrouted, n)
	}
	me.stop(t) // and Run returns although a handshake is pending
}

func TestPeerConfigValidate(t *testing.T) {
	good := defaultPeerConfig()
	good.Self, good.ListenAddr, good.Peers = 1, "127.0.0.1:0", map[zab.ServerID]string{1: "a:1", 2: "b:2"}
	if err := good.validate(); err != nil {
		t.Fatal(err)
	}
	cases := map[string]func(*peerConfig){
		"Self":          func(c *peerConfig) { c.Self = 0 },
		"ListenAddr":    func(c *peerConfig) { c.ListenAddr = "" },
		"Peers":         func(c *peerConfig) { c.Peers = map[zab.ServerID]string{2: "no-port"} },
		"MaxFrameBytes": func(c *peerConfig) { c.MaxFrameBytes = 0 },
		"SendQueueLen":  func(c *peerConfig) { c.SendQueueLen = 0 },
		"RecvQueueLen":  func(c *peerConfig) { c.RecvQueueLen = -1 },
		"DialTimeout":   func(c *peerConfig) { c.DialTimeout = 0 },
		"MinBackoff":    func(c *peerConfig) { c.MinBackoff = 0 },
		"MaxBackoff":    func(c *peerConfig) { c.MaxBackoff = time.Millisecond },
	}
	for field, mutate := range cases {
		c := good
		mutate(&c)
		err := c.validate()
		if !errors.Is(err, errPeerConfig) || !strings.Contains(err.Error(), field+":") {
			t.Errorf("%s: %v", field, err)
		}
		if _, err := newPeerTransport(c, zerolog.Nop()); !errors.Is(err, errPeerConfig) {
			t.Errorf("newPeerTransport with bad %s: %v", field, err)
		}
	}
}

func TestPeerTransportRunTwice(t *testing.T) {
	p := startPeer(t, 1, peerListen(t, ""), nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := p.tr.Run(ctx) // first or second: the other returns errPeerRunTwice
	if !errors.Is(err, errPeerRunTwice) {
		p.cancel()
		<-p.done
		err = p.err
	}
	if !errors.Is(err, errPeerRunTwice) {
		t.Fatalf("second Run: %v", err)
	}
}

// BenchmarkPeerTransport1KiB measures PROPOSALs of 1 KiB entries from one
// member to another over loopback TCP, keeping at most a queue's worth in
// flight so that none is dropped.
func BenchmarkPeerTransport1KiB(b *testing.B) {
	lns := map[zab.ServerID]net.Listener{}
	addrs := map[zab.ServerID]string{}
	for _, id := range []zab.ServerID{1, 2} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		lns[id], addrs[id] = ln, ln.Addr().String()
	}
	var trs [3]*peerTransport
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, id := range []zab.ServerID{1, 2} {
		cfg := defaultPeerConfig()
		cfg.Self, cfg.Listener, cfg.Peers = id, lns[id], addrs
		tr, err := newPeerTransport(cfg, zerolog.Nop())
		if err != nil {
			b.Fatal(err)
		}
		trs[id] = tr
		wg.Go(func() { tr.Run(ctx) })
	}
	defer func() {
		cancel()
		wg.Wait()
	}()
	const window = 512
	data := bytes.Repeat([]byte{0x5a}, 1024)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	recv := trs[2].Recv()
	received := 0
	sent := 0
	for b.Loop() {
		for sent-received >= window {
			<-recv
			received++
		}
		sent++
		trs[1].Send(zab.Message{Type: zab.MsgProposal, From: 1, To: 2, Seq: uint64(sent), Zxid: zab.Zxid(sent),
			Entries: []zab.Entry{{Zxid: zab.Zxid(sent + 1), Data: data}}})
	}
	for received < sent {
		<-recv
		received++
	}
	b.StopTimer()
	if d := trs[1].Stats().Peers[2].Dropped; d != 0 {
		b.Fatalf("%d dropped", d)
	}
}

func TestPeerTransportRefusesOtherProtocolVersion(t *testing.T) {
	p := startPeer(t, 1, peerListen(t, ""), map[zab.ServerID]string{2: "127.0.0.1:1"}, nil)
	c, err := net.Dial("tcp", p.tr.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// A version-2 hello, longer than version 1's.
	c.Write(rawPeerFrame(append([]byte("zkmp"), append([]byte{2}, make([]byte, 80)...)...)...))
	f, err := readPeerFrame(c, peerReplyMaxBytes)
	if err != nil {
		t.Fatal(err)
	}
	r, err := decodePeerReply(f)
	if err != nil || r.Status != peerReplyRefuse || r.ID != 1 || r.Reason != "protocol version 2 is not supported (this member speaks 1)" {
		t.Fatalf("reply %+v, %v", r, err)
	}
	peerWaitClosed(t, c)
	p.log.waitLines(t, 1, "refused peer connection", "protocol version 2")
}

// Only the peers a member sends to get a queue and a dial loop: an
// observer of a large ensemble talks to the leader alone.
func TestPeerTransportActivatesLinksOnFirstSend(t *testing.T) {
	peers := map[zab.ServerID]string{}
	for id := zab.ServerID(2); id <= 500; id++ {
		peers[id] = fmt.Sprintf("127.0.0.1:%d", id)
	}
	p := startPeer(t, 1, peerListen(t, ""), peers, nil)
	p.tr.Send(zab.Message{Type: zab.MsgPing, From: 1, To: 7})
	for id, l := range p.tr.peers() {
		if got := l.active.Load(); got != (id == 7) || (l.queue != nil) != (id == 7) {
			t.Fatalf("link %d active %v", id, got)
		}
	}
	p.log.waitLines(t, 1, "cannot connect to peer 7")
	if n := p.log.count("cannot connect"); n != 1 {
		t.Fatalf("%d dial failures logged, want only 7's", n)
	}
}

// A peer that completes the handshake and then stops reading loses its
// connection after WriteTimeout; Send keeps returning meanwhile.
func TestPeerTransportDropsPeerThatStopsReading(t *testing.T) {
	stuck := peerListen(t, "")
	defer stuck.Close()
	accepted := make(chan net.Conn, 4)
	go func() {
		for {
			c, err := stuck.Accept()
			if err != nil {
				return
			}
			if _, err := readPeerFrame(c, peerHelloMaxBytes); err == nil {
				c.Write(appendPeerReply(nil, peerReply{Version: peerHandshakeVersion, Status: peerReplyAccept, ID: 2}))
			}
			accepted <- c // and never read again
		}
	}()
	me := startPeer(t, 1, peerListen(t, ""), map[zab.ServerID]string{2: stuck.Addr().String()}, func(c *peerConfig) {
		c.WriteTimeout = 200 * time.Millisecond
		c.SendQueueLen = 8
	})
	big := bytes.Repeat([]byte{1}, 256<<10)
	me.log.waitLinesPoking(t, 1, func() {
		for range 8 {
			me.tr.Send(zab.Message{Type: zab.MsgApp, From: 1, To: 2, Data: big})
		}
	}, "peer connection lost (outbound)", "i/o timeout")
	defer func() {
		for {
			select {
			case c := <-accepted:
				c.Close()
			default:
				return
			}
		}
	}()
	if st := me.tr.Stats().Peers[2]; st.Dropped == 0 {
		t.Fatalf("stats for the stuck peer: %+v", st)
	}
}

func TestPeerFailureKeyIgnoresLocalAddress(t *testing.T) {
	mk := func(port int) error {
		return fmt.Errorf("reading the handshake reply: %w", &net.OpError{Op: "read", Net: "tcp",
			Source: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port},
			Addr:   &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 2888}, Err: errors.New("i/o timeout")})
	}
	if a, b := peerFailureKey(mk(40000)), peerFailureKey(mk(40001)); a != b {
		t.Fatalf("%q != %q", a, b)
	}
	if peerFailureKey(mk(1)) == peerFailureKey(errors.New("other")) {
		t.Fatal("different failures share a key")
	}
}
