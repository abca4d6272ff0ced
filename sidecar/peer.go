package sidecar

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/zkmesh/zkmesh/zab"
)

// Peer transport errors.
var (
	// errPeerConfig: a peerConfig field is wrong; the message names it.
	errPeerConfig = errors.New("sidecar: bad peer transport config")
	// errPeerRunTwice: Run was called more than once.
	errPeerRunTwice = errors.New("sidecar: peer transport already run")
	// errPeerConnClosed: the peer closed an outbound connection.
	errPeerConnClosed = errors.New("sidecar: peer closed the connection")
)

// peerConfig configures a peerTransport. Build it from defaultPeerConfig.
type peerConfig struct {
	// Self is this member's id. Invariant: non-zero.
	Self zab.ServerID
	// ListenAddr is the host:port this member accepts peer connections on
	// (the peer port of its server.N line). Ignored when Listener is set.
	ListenAddr string
	// Listener, if non-nil, is used instead of listening on ListenAddr. The
	// transport owns it from newPeerTransport on and closes it.
	Listener net.Listener
	// Peers maps the id of every other member to the host:port it accepts
	// peer connections on. It may also list Self, which is never dialed.
	// setPeers replaces it while the transport runs.
	Peers map[zab.ServerID]string
	// Voters, if not empty, is the member list whose hash peers compare in
	// the handshake; empty means Self plus the ids of Peers. An ensemble
	// passes its voters, which only a reconfiguration of voters changes:
	// observers come and go by reconfiguration while members that have
	// not applied it yet must still talk to each other.
	Voters []zab.ServerID
	// MaxFrameBytes is the largest message frame sent or accepted; a SNAP
	// sync carries the whole tree in one frame. Default 256 MiB.
	MaxFrameBytes uint32
	// SendQueueLen is the number of messages queued for one peer; Send
	// drops beyond it. Default 1024.
	SendQueueLen int
	// RecvQueueLen is the capacity of the Recv channel. When it is full,
	// inbound connections stop reading (TCP pushes back). Default 1024.
	RecvQueueLen int
	// DialTimeout bounds one TCP connect. Default 3s.
	DialTimeout time.Duration
	// HandshakeTimeout bounds the hello and its reply, on both sides.
	// Default 5s.
	HandshakeTimeout time.Duration
	// WriteTimeout bounds the writing of one batch of frames; a peer that
	// does not read for that long loses its connection. It must let the
	// largest snapshot through. Default 60s.
	WriteTimeout time.Duration
	// MinBackoff is the wait after the first failed dial or refused
	// handshake; it doubles with every further failure up to MaxBackoff,
	// and Send drops what is sent to the peer while it runs. Defaults
	// 50ms and 3s. Invariant: 0 < MinBackoff <= MaxBackoff.
	MinBackoff time.Duration
	MaxBackoff time.Duration
}

// defaultPeerConfig returns a peerConfig with every limit and timeout set;
// the caller fills Self, ListenAddr (or Listener) and Peers.
func defaultPeerConfig() peerConfig {
	return peerConfig{
		MaxFrameBytes:    peerDefaultMaxFrameBytes,
		SendQueueLen:     1024,
		RecvQueueLen:     1024,
		DialTimeout:      3 * time.Second,
		HandshakeTimeout: 5 * time.Second,
		WriteTimeout:     60 * time.Second,
		MinBackoff:       50 * time.Millisecond,
		MaxBackoff:       3 * time.Second,
	}
}

// validatePeers reports an id 0 or a peer address that is not host:port
// (self's is not checked), wrapping errPeerConfig.
func validatePeers(self zab.ServerID, peers map[zab.ServerID]string) error {
	for id, addr := range peers {
		if id == 0 {
			return fmt.Errorf("%w: Peers: contains id 0", errPeerConfig)
		}
		if id == self {
			continue
		}
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return fmt.Errorf("%w: Peers: server %d: address %q: want host:port", errPeerConfig, id, addr)
		}
	}
	return nil
}

// validate reports the first wrong field, wrapping errPeerConfig.
func (c peerConfig) validate() error {
	bad := func(field, why string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", errPeerConfig, field, fmt.Sprintf(why, args...))
	}
	if c.Self == 0 {
		return bad("Self", "must be non-zero")
	}
	if c.Listener == nil && c.ListenAddr == "" {
		return bad("ListenAddr", "must be set (or Listener)")
	}
	if err := validatePeers(c.Self, c.Peers); err != nil {
		return err
	}
	switch {
	case c.MaxFrameBytes == 0:
		return bad("MaxFrameBytes", "must be > 0")
	case c.SendQueueLen < 1:
		return bad("SendQueueLen", "must be >= 1, got %d", c.SendQueueLen)
	case c.RecvQueueLen < 1:
		return bad("RecvQueueLen", "must be >= 1, got %d", c.RecvQueueLen)
	case c.DialTimeout <= 0:
		return bad("DialTimeout", "must be > 0, got %s", c.DialTimeout)
	case c.HandshakeTimeout <= 0:
		return bad("HandshakeTimeout", "must be > 0, got %s", c.HandshakeTimeout)
	case c.WriteTimeout <= 0:
		return bad("WriteTimeout", "must be > 0, got %s", c.WriteTimeout)
	case c.MinBackoff <= 0:
		return bad("MinBackoff", "must be > 0, got %s", c.MinBackoff)
	case c.MaxBackoff < c.MinBackoff:
		return bad("MaxBackoff", "must be >= MinBackoff (%s), got %s", c.MinBackoff, c.MaxBackoff)
	}
	return nil
}

// peerNetwork is what the zab driver needs from the network: a Send that
// never blocks and may lose messages, and a stream of received messages.
type peerNetwork interface {
	// Send queues m for m.To; it never blocks and may drop m.
	Send(m zab.Message)
	// Recv returns the channel of messages received from peers.
	Recv() <-chan zab.Message
}

var _ peerNetwork = (*peerTransport)(nil)

// peerTransport carries zab.Messages between ensemble members over TCP.
//
// Every member dials each peer it sends to (lazily, on the first message)
// and keeps one outbound connection per peer, on which it only writes;
// connections a member accepts are only read. A connection starts with the
// handshake of peer_handshake.go; messages then travel in the frames of
// peer_codec.go. Send never blocks: each peer has a bounded queue, and a
// message is dropped (and counted) when the queue is full, when the peer
// cannot be reached, or when its connection breaks. zab tolerates the loss:
// its Conn and Seq fields reveal gaps.
//
// Send, Recv, Addr and Stats may be called from any goroutine, before,
// during and after Run.
type peerTransport struct {
	cfg     peerConfig
	log     zerolog.Logger
	codec   peerCodec
	ln      net.Listener
	hello   peerHello
	members []zab.ServerID
	recv    chan zab.Message
	// links holds one entry per peer and never holds Self. The map is
	// never modified once stored: setPeers stores a new one, under mu.
	links atomic.Pointer[map[zab.ServerID]*peerLink]

	started   atomic.Bool
	misrouted atomic.Uint64
	refused   atomic.Uint64
	badFrames atomic.Uint64

	mu sync.Mutex
	// inbound holds the accepted connections still open; closed is set at
	// shutdown, after which accepted connections are closed at once.
	inbound map[net.Conn]struct{}
	closed  bool
	// refusals holds when each refusal (id and reason) was last logged
	// as a warning.
	refusals map[string]time.Time
	// runCtx and runWG are Run's context and wait group while it runs
	// (nil before), for the dial loops of links activated meanwhile.
	runCtx context.Context
	runWG  *sync.WaitGroup
}

// Outbound link states.
const (
	peerIdle      int32 = iota // no connection; the next message starts a dial
	peerDialing                // dialing or in the handshake
	peerConnected              // handshake done, writing
	peerBackoff                // last dial failed; Send drops until it ends
)

// peerLink is the transport's state for one peer. Its queue and its dial
// loop only come to be on the first Send to the peer: in a large ensemble
// an observer only ever talks to the leader.
type peerLink struct {
	id   zab.ServerID
	addr string
	// queue is made by activate, under peerTransport.mu, before active is
	// set. Invariant: never replaced once active.
	queue  chan *zab.Message
	active atomic.Bool
	state  atomic.Int32
	// stop is closed when setPeers removes the link; its dial loop ends.
	stop chan struct{}

	sent, dropped, received, rejected atomic.Uint64
	inbound                           atomic.Int32
}

// peerLinkStats are one peer's counters.
type peerLinkStats struct {
	// Addr is the configured address of the peer.
	Addr string
	// Connected: the outbound connection is established.
	Connected bool
	// Inbound is the number of open connections accepted from the peer.
	Inbound int
	// Sent counts messages written (flushed) to the peer; Dropped counts
	// messages given to Send for it that were not.
	Sent, Dropped uint64
	// Received counts messages from the peer handed to Recv; Rejected
	// counts messages on its connections whose From is not the id of the
	// handshake or whose To is not this member.
	Received, Rejected uint64
}

// peerStats is a snapshot of the transport's counters.
type peerStats struct {
	// Peers has one entry per configured peer.
	Peers map[zab.ServerID]peerLinkStats
	// Misrouted counts messages given to Send whose To is not a peer.
	Misrouted uint64
	// Refused counts inbound connections refused in the handshake.
	Refused uint64
	// BadFrames counts inbound connections closed for an oversized or
	// malformed frame after the handshake.
	BadFrames uint64
}

// newPeerTransport checks cfg and opens the listener (so that Addr works
// at once); Run does the rest. If Run is never called the caller leaks the
// listener: call Run with a cancelled context to release it.
func newPeerTransport(cfg peerConfig, log zerolog.Logger) (*peerTransport, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	ln := cfg.Listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", cfg.ListenAddr); err != nil {
			return nil, fmt.Errorf("sidecar: peer port: %w", err)
		}
	}
	t := &peerTransport{
		cfg:     cfg,
		log:     log.With().Str("component", "peer").Uint64("self", uint64(cfg.Self)).Logger(),
		codec:   newPeerCodec(cfg.MaxFrameBytes),
		ln:      ln,
		recv:    make(chan zab.Message, cfg.RecvQueueLen),
		inbound: map[net.Conn]struct{}{},

		refusals: map[string]time.Time{},
	}
	t.members = slices.Clone(cfg.Voters)
	if len(t.members) == 0 {
		t.members = append(slices.Collect(maps.Keys(cfg.Peers)), cfg.Self)
	}
	slices.Sort(t.members)
	t.members = slices.Compact(t.members)
	t.hello = peerHello{Version: peerHandshakeVersion, ID: cfg.Self, Nonce: rand.Uint64(), Members: peerMemberHash(t.members)}
	links := map[zab.ServerID]*peerLink{}
	for id, addr := range cfg.Peers {
		if id != cfg.Self {
			links[id] = newPeerLink(id, addr)
		}
	}
	t.links.Store(&links)
	return t, nil
}

func newPeerLink(id zab.ServerID, addr string) *peerLink {
	return &peerLink{id: id, addr: addr, stop: make(chan struct{})}
}

// peers returns the current links (never to be modified).
func (t *peerTransport) peers() map[zab.ServerID]*peerLink { return *t.links.Load() }

// setPeers makes peers (id to host:port, Self ignored) the members this
// transport talks to, as a reconfiguration decided: a new id gets a link,
// a removed id's link stops (messages queued for it are dropped and its
// connections are left to fail), an id whose address changed gets a new
// link. The member hash of the handshake does not change. Any goroutine.
func (t *peerTransport) setPeers(peers map[zab.ServerID]string) error {
	if err := validatePeers(t.cfg.Self, peers); err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	old := t.peers()
	next := make(map[zab.ServerID]*peerLink, len(peers))
	for id, addr := range peers {
		if id == t.cfg.Self {
			continue
		}
		if l := old[id]; l != nil && l.addr == addr {
			next[id] = l
			continue
		}
		next[id] = newPeerLink(id, addr)
		t.log.Info().Uint64("peer_id", uint64(id)).Str("peer_addr", addr).Msg("peer added")
	}
	for id, l := range old {
		if next[id] != l {
			close(l.stop)
			t.log.Info().Uint64("peer_id", uint64(id)).Str("peer_addr", l.addr).Msg("peer removed")
		}
	}
	t.links.Store(&next)
	return nil
}

// Addr returns the address the transport accepts peer connections on.
func (t *peerTransport) Addr() net.Addr { return t.ln.Addr() }

// Recv returns the channel of messages received from peers, each with From
// equal to the id its connection's handshake proved and To equal to Self.
// It is closed once Run has returned.
func (t *peerTransport) Recv() <-chan zab.Message { return t.recv }

// Send queues m for m.To and returns at once. m is dropped and counted if
// m.To is not a configured peer, if the peer's queue is full, or if the
// last attempt to reach the peer failed and its backoff is running. The
// transport keeps m (and the slices it references) until it is written:
// the caller must not modify them after Send.
func (t *peerTransport) Send(m zab.Message) {
	l := t.peers()[m.To]
	if l == nil {
		t.misrouted.Add(1)
		return
	}
	if !l.active.Load() {
		t.activate(l)
	}
	if l.state.Load() == peerBackoff {
		l.dropped.Add(1)
		return
	}
	select {
	case l.queue <- &m:
	default:
		l.dropped.Add(1)
	}
}

// activate makes l's queue and, if Run is running, starts its dial loop.
func (t *peerTransport) activate(l *peerLink) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if l.active.Load() {
		return
	}
	select {
	case <-l.stop:
		return // removed: Send finds no queue and drops
	default:
	}
	l.queue = make(chan *zab.Message, t.cfg.SendQueueLen)
	l.active.Store(true)
	if t.runCtx != nil && !t.closed {
		ctx := t.runCtx
		t.runWG.Go(func() { t.dialLoop(ctx, l) })
	}
}

// Stats returns a snapshot of the counters.
func (t *peerTransport) Stats() peerStats {
	s := peerStats{
		Peers:     make(map[zab.ServerID]peerLinkStats, len(t.peers())),
		Misrouted: t.misrouted.Load(),
		Refused:   t.refused.Load(),
		BadFrames: t.badFrames.Load(),
	}
	for id, l := range t.peers() {
		s.Peers[id] = peerLinkStats{
			Addr:      l.addr,
			Connected: l.state.Load() == peerConnected,
			Inbound:   int(l.inbound.Load()),
			Sent:      l.sent.Load(),
			Dropped:   l.dropped.Load(),
			Received:  l.received.Load(),
			Rejected:  l.rejected.Load(),
		}
	}
	return s
}

// Run accepts peer connections and dials peers as messages for them
// arrive, until ctx ends; it then closes the listener and every
// connection, waits for its goroutines, closes the Recv channel and
// returns nil. It returns an error at once if called twice, and an error
// after the same cleanup if the listener fails.
func (t *peerTransport) Run(ctx context.Context) error {
	if !t.started.CompareAndSwap(false, true) {
		return errPeerRunTwice
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	t.mu.Lock()
	t.runCtx, t.runWG = ctx, &wg
	for _, l := range t.peers() {
		if l.active.Load() {
			wg.Go(func() { t.dialLoop(ctx, l) })
		}
	}
	t.mu.Unlock()
	acceptDone := make(chan error, 1)
	wg.Go(func() { acceptDone <- t.acceptLoop(ctx, &wg) })
	t.log.Info().Str("addr", t.ln.Addr().String()).Int("peers", len(t.peers())).Msg("peer transport listening")

	var err error
	select {
	case <-ctx.Done():
	case err = <-acceptDone:
		cancel()
	}
	t.ln.Close()
	t.mu.Lock()
	t.closed = true
	for c := range t.inbound {
		c.Close()
	}
	t.mu.Unlock()
	wg.Wait()
	close(t.recv)
	t.log.Info().Msg("peer transport stopped")
	return err
}

// acceptLoop accepts connections until the listener is closed; it returns
// nil once ctx has ended, the listener's error otherwise.
func (t *peerTransport) acceptLoop(ctx context.Context, wg *sync.WaitGroup) error {
	var delay time.Duration
	for {
		c, err := t.ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, net.ErrClosed) {
				return fmt.Errorf("sidecar: peer listener: %w", err)
			}
			// Out of file descriptors and the like: wait and retry.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			t.log.Warn().Err(err).Dur("retry_in", delay).Msg("peer accept failed")
			if !peerSleep(ctx, delay) {
				return nil
			}
			continue
		}
		delay = 0
		wg.Go(func() { t.serveInbound(ctx, c) })
	}
}

// peerSleep waits d or until ctx ends; it reports whether d elapsed.
func peerSleep(ctx context.Context, d time.Duration) bool {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-tm.C:
		return true
	}
}
