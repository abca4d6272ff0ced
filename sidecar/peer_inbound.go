package sidecar

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/zkmesh/zkmesh/zab"
)

// peerReadBufferBytes is the read buffer of an inbound connection.
const peerReadBufferBytes = 64 << 10

// serveInbound runs one accepted connection: handshake, then read
// messages into Recv until the connection fails or ctx ends. A connection
// that fails the handshake or sends a bad frame is closed; nothing else is
// affected.
func (t *peerTransport) serveInbound(ctx context.Context, c net.Conn) {
	if !t.track(c) {
		c.Close()
		return
	}
	defer t.untrack(c)
	defer c.Close()
	remote := c.RemoteAddr().String()
	log := t.log.With().Str("peer_addr", remote).Logger()

	br := bufio.NewReaderSize(c, peerReadBufferBytes)
	c.SetDeadline(time.Now().Add(t.cfg.HandshakeTimeout))
	p, err := readPeerFrame(br, peerHelloMaxBytes)
	var h peerHello
	if err == nil {
		h, err = decodePeerHello(p)
	}
	if err != nil {
		if ctx.Err() == nil {
			t.refused.Add(1)
			log.Warn().Err(err).Msg("closing peer connection: no valid hello")
		}
		return
	}
	log = log.With().Uint64("peer_id", uint64(h.ID)).Logger()
	l, reason := t.checkHello(h, remote)
	if reason != "" {
		t.refused.Add(1)
		ev := log.Warn()
		if !t.firstRefusal(h.ID, reason) {
			ev = log.Debug() // said already: the dialer retries with backoff
		}
		ev.Str("reason", reason).Msgf("refused peer connection from %s: %s", remote, reason)
		c.Write(appendPeerReply(nil, peerReply{Version: peerHandshakeVersion, Status: peerReplyRefuse, ID: t.cfg.Self, Reason: reason}))
		return
	}
	if _, err := c.Write(appendPeerReply(nil, peerReply{Version: peerHandshakeVersion, Status: peerReplyAccept, ID: t.cfg.Self})); err != nil {
		log.Info().Err(err).Msg("peer connection lost in the handshake")
		return
	}
	c.SetDeadline(time.Time{})
	l.inbound.Add(1)
	defer l.inbound.Add(-1)
	log.Info().Msg("peer connected (inbound)")

	for {
		p, err := readPeerFrame(br, t.codec.MaxFrameBytes)
		var m zab.Message
		if err == nil {
			m, err = t.codec.Decode(p)
		}
		if err != nil {
			switch {
			case ctx.Err() != nil:
			case errors.Is(err, errPeerFrameTooLarge) || errors.Is(err, errPeerBadFrame):
				t.badFrames.Add(1)
				log.Warn().Err(err).Msg("closing peer connection: bad frame")
			case errors.Is(err, io.EOF):
				log.Info().Msg("peer closed its connection (inbound)")
			default:
				log.Info().Err(err).Msg("peer connection lost (inbound)")
			}
			return
		}
		if m.From != h.ID || m.To != t.cfg.Self {
			l.rejected.Add(1)
			log.Debug().Stringer("msg", m).Msg("dropping peer message with wrong From or To")
			continue
		}
		// Counted before the hand-over, so that whoever takes m from Recv
		// sees it counted.
		l.received.Add(1)
		select {
		case t.recv <- m:
		case <-ctx.Done():
			l.received.Add(^uint64(0))
			return
		}
	}
}

// checkHello decides on a hello received from remote: the peer's link, or
// a reason to refuse that a person can act on.
func (t *peerTransport) checkHello(h peerHello, remote string) (*peerLink, string) {
	if h.Version != peerHandshakeVersion {
		return nil, fmt.Sprintf("protocol version %d is not supported (this member speaks %d)", h.Version, peerHandshakeVersion)
	}
	if h.ID == t.cfg.Self {
		if h.Nonce == t.hello.Nonce {
			return nil, fmt.Sprintf("server id %d dialed itself: an address configured for a peer (%s) is its own", h.ID, t.ln.Addr())
		}
		host, _, err := net.SplitHostPort(remote)
		if err != nil {
			host = remote
		}
		return nil, fmt.Sprintf("server id %d is this member's own id: conflicting id claimed by another member on host %s", h.ID, host)
	}
	l := t.peers()[h.ID]
	if l == nil {
		return nil, fmt.Sprintf("server id %d is not in this member's server list", h.ID)
	}
	// h.Members (the dialer's voters) is not compared: voters change by
	// reconfiguration, and members that have not applied the change yet
	// must still reach each other to learn it.
	return l, ""
}

// peerRefusalRelog is how long the same refusal (same id, same reason)
// is logged at debug level only, after a warning.
const peerRefusalRelog = time.Minute

// firstRefusal reports whether a refusal of id for reason should be
// logged as a warning: the first time, and again once peerRefusalRelog has
// passed.
func (t *peerTransport) firstRefusal(id zab.ServerID, reason string) bool {
	key := fmt.Sprintf("%d %s", id, reason)
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if last, ok := t.refusals[key]; ok && now.Sub(last) < peerRefusalRelog {
		return false
	}
	if len(t.refusals) >= 1024 {
		clear(t.refusals)
	}
	t.refusals[key] = now
	return true
}

// track registers an accepted connection for shutdown; false once the
// transport is closing.
func (t *peerTransport) track(c net.Conn) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return false
	}
	t.inbound[c] = struct{}{}
	return true
}

func (t *peerTransport) untrack(c net.Conn) {
	t.mu.Lock()
	delete(t.inbound, c)
	t.mu.Unlock()
}
