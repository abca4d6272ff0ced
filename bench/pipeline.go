package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/zkmesh/zkmesh/jute"
)

// request is one operation to send: its opcode and body record.
type request struct {
	op   jute.OpCode
	body jute.Record
}

// pending is a request written and not yet answered.
type pending struct {
	xid  int32
	op   jute.OpCode
	sent time.Time
}

// reply is the outcome of one request, as reported to pipeline.done.
type reply struct {
	op   jute.OpCode
	code jute.Code
	// sent is when the request was encoded (its slot taken), done when its
	// reply was decoded or when it was given up.
	sent, done time.Time
}

// pipeline describes one phase on one session.
type pipeline struct {
	// depth is the most requests in flight at once.
	depth int
	// until, when not zero, stops sending at that time.
	until time.Time
	// idle bounds the wait for a reply: when no reply arrives for idle
	// while requests are in flight, the phase ends with ErrDrainTimeout.
	idle time.Duration
	// next fills in the next request and reports whether there is one. It
	// is called from the writer goroutine, after a slot is free.
	next func(*request) bool
	// done is told the outcome of every request sent, exactly once, from
	// the goroutine that called run.
	done func(reply)
}

// run sends requests on s, keeping up to p.depth in flight, until p.next
// says there are no more, p.until passes, or ctx ends; then it waits for the
// replies still in flight. ZooKeeper answers a session's requests in order,
// so the oldest request in flight is matched with each reply, and a reply
// with any other xid is ErrReplyOutOfOrder. Watch notifications and pings
// are skipped.
//
// Requests never answered (connection failure, idle timeout, ctx) are
// reported to p.done with CodeConnectionLoss or CodeOperationTimeout. After
// an error the session is broken: its connection is closed.
func (s *session) run(ctx context.Context, p pipeline) error {
	slots := make(chan struct{}, p.depth)
	queue := make(chan pending, p.depth)
	writerDone := make(chan struct{})
	readerDead := make(chan struct{})
	var writeErr error

	stopRead := context.AfterFunc(ctx, func() { _ = s.nc.SetReadDeadline(time.Now()) })
	defer stopRead()

	go func() {
		defer close(writerDone)
		defer func() {
			if writeErr != nil {
				// The reader may be waiting for a reply to a request that
				// never left: end its wait now.
				_ = s.nc.Close()
			}
		}()
		var timer <-chan time.Time
		if !p.until.IsZero() {
			t := time.NewTimer(time.Until(p.until))
			defer t.Stop()
			timer = t.C
		}
		var buf []byte
		var req request
		for {
			select {
			case slots <- struct{}{}:
			default:
				// Every slot is taken: send what is buffered, then wait.
				if err := s.bw.Flush(); err != nil {
					writeErr = err
					return
				}
				select {
				case slots <- struct{}{}:
				case <-timer:
					return
				case <-ctx.Done():
					return
				case <-readerDead:
					return
				}
			}
			now := time.Now()
			if (!p.until.IsZero() && !now.Before(p.until)) || ctx.Err() != nil || !p.next(&req) {
				<-slots
				if err := s.bw.Flush(); err != nil {
					writeErr = err
				}
				return
			}
			pd := pending{xid: s.nextXid(), op: req.op, sent: now}
			queue <- pd // never blocks: at most depth slots are taken
			buf = s.appendRequest(buf, pd.xid, req.op, req.body)
			if _, err := s.bw.Write(buf); err != nil {
				writeErr = err
				return
			}
		}
	}()

	var (
		frame    []byte
		err      error
		deadline time.Time
	)
	for {
		var pd pending
		select {
		case pd = <-queue:
		case <-writerDone:
			select {
			case pd = <-queue:
			default:
				if writeErr != nil {
					err = fmt.Errorf("bench: write to %s: %w", s.addr, writeErr)
					s.fail(&pd, false, p.done, queue, readerDead, writerDone)
					return err
				}
				return nil
			}
		}
		var code jute.Code
		for {
			now := time.Now()
			if deadline.Sub(now) < p.idle/2 {
				deadline = now.Add(p.idle)
				_ = s.nc.SetReadDeadline(deadline)
				if ctx.Err() != nil {
					_ = s.nc.SetReadDeadline(now)
				}
			}
			frame, err = jute.ReadFrame(s.br, jute.DefaultMaxBuffer, frame)
			if err != nil {
				break
			}
			var hdr jute.ReplyHeader
			d := jute.NewDecoder(frame)
			hdr.Decode(d)
			if d.Err() != nil {
				err = fmt.Errorf("bench: reply header from %s: %w", s.addr, d.Err())
				break
			}
			if hdr.Xid == xidNotification || hdr.Xid == xidPing {
				continue
			}
			if hdr.Xid != pd.xid {
				err = fmt.Errorf("%w: got %d, want %d (%s)", ErrReplyOutOfOrder, hdr.Xid, pd.xid, pd.op)
				break
			}
			code = hdr.Err
			if code == jute.CodeOK {
				if derr := decodeReply(pd.op, frame[d.Offset():]); derr != nil {
					code = jute.CodeMarshallingError
				}
			}
			break
		}
		if err != nil {
			timeout := false
			var ne net.Error
			switch {
			case ctx.Err() != nil:
				err = ctx.Err()
			case errors.As(err, &ne) && ne.Timeout():
				timeout = true
				err = fmt.Errorf("%w: %s, no reply for %v", ErrDrainTimeout, s.addr, p.idle)
			default:
				err = fmt.Errorf("bench: read from %s: %w", s.addr, err)
			}
			s.fail(&pd, timeout, p.done, queue, readerDead, writerDone)
			if writeErr != nil && !timeout && ctx.Err() == nil { // writerDone is closed: no race
				err = fmt.Errorf("bench: write to %s: %w", s.addr, writeErr)
			}
			return err
		}
		p.done(reply{op: pd.op, code: code, sent: pd.sent, done: time.Now()})
		<-slots
	}
}

// fail reports cur (when non-nil and sent) and every request still queued
// as unanswered, stops the writer and closes the connection.
func (s *session) fail(cur *pending, timeout bool, done func(reply), queue chan pending, readerDead, writerDone chan struct{}) {
	code := jute.CodeConnectionLoss
	if timeout {
		code = jute.CodeOperationTimeout
	}
	close(readerDead)
	s.nc.Close() // unblocks a writer stuck in Write
	<-writerDone
	now := time.Now()
	if cur != nil && cur.xid != 0 {
		done(reply{op: cur.op, code: code, sent: cur.sent, done: now})
	}
	for {
		select {
		case pd := <-queue:
			done(reply{op: pd.op, code: code, sent: pd.sent, done: now})
		default:
			s.broken = true
			return
		}
	}
}

// decodeReply decodes the body of a successful reply to op, so that a
// malformed reply is noticed. Bodies of opcodes bench does not send are not
// checked.
func decodeReply(op jute.OpCode, body []byte) error {
	rec, ok := jute.NewResponseRecord(op)
	if !ok {
		return nil
	}
	if rec == nil {
		if len(body) != 0 {
			return jute.ErrTrailingBytes
		}
		return nil
	}
	return jute.Unmarshal(body, rec)
}
