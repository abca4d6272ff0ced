package bench

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"time"

	"github.com/zkmesh/zkmesh/jute"
)

// Reserved xids of the client protocol.
const (
	xidNotification = -1
	xidPing         = -2
)

// session is one ZooKeeper client session over one TCP connection. It is
// used by one pipeline at a time: pipeline's writer goroutine owns bw and
// xid, its reader goroutine owns br.
type session struct {
	addr      string
	nc        net.Conn
	br        *bufio.Reader
	bw        *bufio.Writer
	id        int64
	timeoutMs int32
	// Invariant: xid > 0; the next request gets xid, then xid is advanced
	// (wrapping to 1 before it would overflow).
	xid int32
	// broken is set when a pipeline failed; the connection is closed.
	broken bool
}

// dial connects to addr and performs the handshake, asking for timeoutMs.
// The whole handshake is bounded by timeout and by ctx.
func dial(ctx context.Context, addr string, timeoutMs int, timeout time.Duration) (*session, error) {
	d := net.Dialer{Timeout: timeout}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("bench: connect %s: %w", addr, err)
	}
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	s, err := handshake(nc, addr, timeoutMs, timeout)
	if err != nil {
		nc.Close()
		return nil, err
	}
	return s, nil
}

// handshake sends the ConnectRequest on nc and reads the ConnectResponse,
// within timeout. It does not close nc on failure.
func handshake(nc net.Conn, addr string, timeoutMs int, timeout time.Duration) (*session, error) {
	s := &session{addr: addr, nc: nc, br: newReader(nc), bw: newWriter(nc), xid: 1}
	_ = nc.SetDeadline(time.Now().Add(timeout))
	req := jute.ConnectRequest{TimeOut: int32(timeoutMs), Passwd: make([]byte, 16), HasReadOnly: true}
	if _, err := s.bw.Write(jute.AppendFrame(nil, &req)); err != nil {
		return nil, fmt.Errorf("bench: handshake with %s: %w", addr, err)
	}
	if err := s.bw.Flush(); err != nil {
		return nil, fmt.Errorf("bench: handshake with %s: %w", addr, err)
	}
	frame, err := jute.ReadFrame(s.br, jute.DefaultMaxBuffer, nil)
	if err != nil {
		return nil, fmt.Errorf("bench: handshake with %s: %w", addr, err)
	}
	var resp jute.ConnectResponse
	if err := jute.Unmarshal(frame, &resp); err != nil {
		return nil, fmt.Errorf("bench: handshake with %s: %w", addr, err)
	}
	if resp.TimeOut <= 0 {
		return nil, fmt.Errorf("%w: %s", ErrSessionRejected, addr)
	}
	_ = nc.SetDeadline(time.Time{})
	s.id, s.timeoutMs = resp.SessionID, resp.TimeOut
	return s, nil
}

func newReader(nc net.Conn) *bufio.Reader { return bufio.NewReaderSize(nc, 64<<10) }
func newWriter(nc net.Conn) *bufio.Writer { return bufio.NewWriterSize(nc, 64<<10) }

// nextXid returns the xid for the next request.
func (s *session) nextXid() int32 {
	x := s.xid
	s.xid++
	if s.xid <= 0 {
		s.xid = 1
	}
	return x
}

// appendRequest encodes one request frame into bw.
func (s *session) appendRequest(buf []byte, xid int32, op jute.OpCode, body jute.Record) []byte {
	hdr := jute.RequestHeader{Xid: xid, Type: op}
	return jute.AppendFrame(buf[:0], &hdr, body)
}

// close ends the session politely (closeSession, waiting up to timeout for
// its reply) and closes the connection. It must not be called while a
// pipeline runs on s.
func (s *session) close(timeout time.Duration) {
	if s.broken {
		return
	}
	defer s.nc.Close()
	_ = s.nc.SetDeadline(time.Now().Add(timeout))
	xid := s.nextXid()
	if _, err := s.bw.Write(s.appendRequest(nil, xid, jute.OpCloseSession, nil)); err != nil {
		return
	}
	if err := s.bw.Flush(); err != nil {
		return
	}
	var buf []byte
	for {
		frame, err := jute.ReadFrame(s.br, jute.DefaultMaxBuffer, buf)
		if err != nil {
			return
		}
		buf = frame
		var hdr jute.ReplyHeader
		d := jute.NewDecoder(frame)
		hdr.Decode(d)
		if d.Err() != nil || hdr.Xid == xid {
			return
		}
	}
}
