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

const (
	// peerWriteBufferBytes is the write buffer of an outbound connection.
	peerWriteBufferBytes = 64 << 10
	// peerBatchMessages bounds the messages written between two flushes.
	peerBatchMessages = 256
	// peerScratchKeepBytes: a frame buffer grown past this is not kept
	// for the next message (a snapshot would pin its size).
	peerScratchKeepBytes = 1 << 20
)

// dialLoop owns the outbound connection to one peer. It waits for a
// message, dials and shakes hands, writes queued messages until the
// connection fails, and starts over. A failed dial or a refused handshake
// drops what is queued and starts a backoff during which Send drops too.
func (t *peerTransport) dialLoop(ctx context.Context, l *peerLink) {
	log := t.log.With().Uint64("peer_id", uint64(l.id)).Str("peer_addr", l.addr).Logger()
	backoff := t.cfg.MinBackoff
	lastFailure := ""
	for {
		var first *zab.Message
		select {
		case <-ctx.Done():
			return
		case <-l.stop:
			return
		case first = <-l.queue:
		}
		l.state.Store(peerDialing)
		c, err := t.dial(ctx, l)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			l.state.Store(peerBackoff)
			l.dropped.Add(1 + drainPeerQueue(l.queue))
			ev := log.Warn()
			if key := peerFailureKey(err); key == lastFailure {
				ev = log.Debug() // the same failure again: said already
			} else {
				lastFailure = key
			}
			if errors.Is(err, errPeerRefused) {
				ev.Err(err).Dur("retry_in", backoff).Msgf("peer %d at %s refused our connection: %v", l.id, l.addr, err)
			} else {
				ev.Err(err).Dur("retry_in", backoff).Msgf("cannot connect to peer %d at %s", l.id, l.addr)
			}
			ok := peerSleep(ctx, backoff)
			backoff = min(2*backoff, t.cfg.MaxBackoff)
			l.state.Store(peerIdle)
			if !ok {
				return
			}
			continue
		}
		backoff, lastFailure = t.cfg.MinBackoff, ""
		l.state.Store(peerConnected)
		log.Info().Msg("peer connected (outbound)")
		err = t.pump(ctx, l, c, first)
		l.state.Store(peerIdle)
		if ctx.Err() != nil {
			return
		}
		log.Info().Err(err).Msg("peer connection lost (outbound)")
	}
}

// peerFailureKey is what makes two dial failures the same for logging:
// the error without the local address, which changes on every attempt.
func peerFailureKey(err error) string {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Op + " " + op.Err.Error()
	}
	return err.Error()
}

// drainPeerQueue empties q without blocking and returns how many it took.
func drainPeerQueue(q chan *zab.Message) uint64 {
	var n uint64
	for {
		select {
		case <-q:
			n++
		default:
			return n
		}
	}
}

// dial connects to l and runs the dialer's side of the handshake.
func (t *peerTransport) dial(ctx context.Context, l *peerLink) (net.Conn, error) {
	d := net.Dialer{Timeout: t.cfg.DialTimeout}
	c, err := d.DialContext(ctx, "tcp", l.addr)
	if err != nil {
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	c.SetDeadline(time.Now().Add(t.cfg.HandshakeTimeout))
	r, err := t.handshake(c)
	if err == nil && r.Status == peerReplyRefuse {
		err = fmt.Errorf("%w: %s", errPeerRefused, r.Reason)
	}
	if err == nil && r.ID != l.id {
		err = fmt.Errorf("%w: address %s answered as server id %d, expected %d", errPeerWrongID, l.addr, r.ID, l.id)
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	c.SetDeadline(time.Time{})
	return c, nil
}

// handshake sends the hello and reads the reply.
func (t *peerTransport) handshake(c net.Conn) (peerReply, error) {
	if _, err := c.Write(appendPeerHello(nil, t.hello)); err != nil {
		return peerReply{}, err
	}
	p, err := readPeerFrame(c, peerReplyMaxBytes)
	if err != nil {
		return peerReply{}, fmt.Errorf("reading the handshake reply: %w", err)
	}
	return decodePeerReply(p)
}

// pump writes first and then every queued message to c, in batches, until
// a write fails, the peer closes c, or ctx ends. It closes c.
func (t *peerTransport) pump(ctx context.Context, l *peerLink, c net.Conn, first *zab.Message) error {
	// The acceptor never writes after its reply: a read returns only when
	// the connection is gone, which is how a peer's restart is noticed
	// before the next write.
	dead := make(chan struct{})
	go func() {
		io.Copy(io.Discard, c)
		close(dead)
	}()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	go func() {
		select {
		case <-l.stop:
			c.Close() // removed by a reconfiguration
		case <-dead:
		}
	}()
	defer func() {
		stop()
		c.Close()
		<-dead
	}()

	bw := bufio.NewWriterSize(c, peerWriteBufferBytes)
	var scratch []byte
	m := first
	for {
		c.SetWriteDeadline(time.Now().Add(t.cfg.WriteTimeout))
		var pending uint64
		for batch := 0; ; batch++ {
			var err error
			scratch, err = t.codec.AppendFrame(scratch[:0], *m)
			if err != nil {
				l.dropped.Add(1)
				t.log.Error().Err(err).Uint64("peer_id", uint64(l.id)).Stringer("msg", m).Msg("dropping a peer message that cannot be encoded")
			} else if _, err := bw.Write(scratch); err != nil {
				l.dropped.Add(pending + 1)
				return err
			} else {
				pending++
			}
			if cap(scratch) > peerScratchKeepBytes {
				scratch = nil
			}
			if batch+1 >= peerBatchMessages {
				break
			}
			select {
			case m = <-l.queue:
				continue
			default:
			}
			break
		}
		if err := bw.Flush(); err != nil {
			l.dropped.Add(pending)
			return err
		}
		l.sent.Add(pending)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-dead:
			return errPeerConnClosed
		case m = <-l.queue:
		}
	}
}
