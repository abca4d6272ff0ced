package sidecar

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zkmesh/zkmesh/jute"
	"github.com/zkmesh/zkmesh/znode"
)

// maxQueuedOutBytes bounds what may wait to be written to one slow client
// before the connection is closed.
const maxQueuedOutBytes = 64 << 20

// conn is one client connection. It is the znode.Watcher of its watches.
//
// One goroutine (serve) reads requests; one (writeLoop) writes replies.
// Replies are produced in request order: a read that arrives while writes of
// the same connection are in flight waits behind them in pending.
type conn struct {
	s  *Server
	nc net.Conn
	ip string
	// ro is set by the handshake of a read-only session (read-only mode);
	// only the reader goroutine reads it after.
	ro bool

	// Lock order: Server.applyMu, then mu, then the tree's lock, then outMu.

	outMu sync.Mutex
	// out holds encoded frames not yet written. Guarded by outMu.
	out      []byte
	outReady chan struct{}
	closed   bool // guarded by outMu
	closing  bool // flush out, then close; guarded by outMu

	sid       atomic.Int64
	timeoutNs atomic.Int64
	auth      atomic.Pointer[[]jute.Id]

	mu sync.Mutex
	// pending holds requests not yet answered, oldest first; its head is
	// always a write in flight. Guarded by mu. Only the reader goroutine
	// adds to it, so when it is empty no completion can run concurrently.
	pending []*pendingOp

	stats connStats
	done  chan struct{}
}

type pendingOp struct {
	xid   int32
	op    jute.OpCode
	start time.Time
	// read, for a read waiting behind writes, answers it.
	read func() []byte
	// reply is set once a write completes.
	reply []byte
	ready bool
	after func() // run after the reply is queued (closeSession)
}

func newConn(s *Server, nc net.Conn, ip string) *conn {
	c := &conn{
		s:        s,
		nc:       nc,
		ip:       ip,
		outReady: make(chan struct{}, 1),
		done:     make(chan struct{}),
		stats:    connStats{established: time.Now()},
	}
	c.auth.Store(&[]jute.Id{{Scheme: znode.SchemeIP, ID: ip}})
	return c
}

// Event implements znode.Watcher. It runs under the tree's write lock and
// only queues bytes.
func (c *conn) Event(ev znode.Event) {
	hdr := jute.ReplyHeader{Xid: jute.XidNotification, Zxid: -1, Err: jute.CodeOK}
	we := jute.WatcherEvent{Type: ev.Type, State: jute.StateSyncConnected, Path: ev.Path}
	c.send(jute.AppendFrame(nil, &hdr, &we))
}

// AuthIDs implements znode.Watcher.
func (c *conn) AuthIDs() []jute.Id { return *c.auth.Load() }

// SessionID implements znode.Watcher.
func (c *conn) SessionID() int64 { return c.session() }

func (c *conn) session() int64 { return c.sid.Load() }

var _ znode.Watcher = (*conn)(nil)

// send queues one encoded frame.
func (c *conn) send(frame []byte) {
	c.outMu.Lock()
	defer c.outMu.Unlock()
	if c.closed {
		return
	}
	if len(c.out)+len(frame) > maxQueuedOutBytes {
		c.s.log.Warn().Str("remote", c.nc.RemoteAddr().String()).Msg("client is not reading its replies; closing connection")
		c.closed = true
		c.nc.Close()
		return
	}
	c.out = append(c.out, frame...)
	c.stats.sent++
	select {
	case c.outReady <- struct{}{}:
	default:
	}
}

func (c *conn) writeLoop() {
	var buf []byte
	for {
		select {
		case <-c.outReady:
		case <-c.done:
			return
		}
		c.outMu.Lock()
		buf, c.out = c.out, buf[:0]
		closing := c.closing
		c.outMu.Unlock()
		if closing {
			c.mu.Lock()
			closing = len(c.pending) == 0
			c.mu.Unlock()
		}
		if len(buf) > 0 {
			c.nc.SetWriteDeadline(time.Now().Add(30 * time.Second))
			if _, err := c.nc.Write(buf); err != nil {
				c.close("write failed: " + err.Error())
				return
			}
		}
		if closing {
			c.close("closed after final reply")
			return
		}
	}
}

// closeAfterFlush closes the connection once every queued reply is written.
func (c *conn) closeAfterFlush(why string) {
	c.outMu.Lock()
	c.closing = true
	c.outMu.Unlock()
	select {
	case c.outReady <- struct{}{}:
	default:
	}
}

// close closes the connection now and drops its watches.
func (c *conn) close(why string) {
	c.outMu.Lock()
	if c.doneClosed() {
		c.outMu.Unlock()
		return
	}
	c.closed = true
	close(c.done)
	c.outMu.Unlock()
	c.nc.Close()
	c.s.tree.RemoveWatcher(c)
	c.s.forget(c)
	c.s.log.Debug().Str("remote", c.nc.RemoteAddr().String()).Str("session", fmt.Sprintf("0x%x", c.session())).Str("why", why).Msg("connection closed")
}

func (c *conn) doneClosed() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// serve runs the connection: the handshake (or a four-letter word), then
// requests until the client goes or sends something malformed.
func (c *conn) serve() {
	defer c.close("reader finished")
	go c.writeLoop()
	r := bufio.NewReaderSize(c.nc, 64<<10)
	c.nc.SetReadDeadline(time.Now().Add(c.s.tickDuration() * time.Duration(max(c.s.cfg.InitLimitTicks, 10))))
	head, err := r.Peek(4)
	if err != nil {
		return
	}
	if word := string(head); isFourLetterWord(word) {
		r.Discard(4)
		c.s.fourLetter(word, c)
		c.closeAfterFlush("four-letter word")
		<-c.done
		return
	}
	if !c.s.serving() && !c.s.readOnly.Load() {
		// As ZooKeeper does, a member without a leader drops clients so
		// that they move to another member.
		return
	}
	maxBuf := c.s.cfg.JuteMaxBufferBytes
	frame, err := jute.ReadFrame(r, maxBuf, nil)
	if err != nil {
		c.s.log.Debug().Err(err).Msg("bad connect frame")
		return
	}
	if !c.handshake(frame) {
		return
	}
	var buf []byte
	for {
		if to := c.readTimeout(); to > 0 {
			c.nc.SetReadDeadline(time.Now().Add(to))
		}
		buf, err = jute.ReadFrame(r, maxBuf, buf)
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				c.s.log.Debug().Err(err).Str("remote", c.nc.RemoteAddr().String()).Msg("closing connection")
			}
			return
		}
		c.stats.received++
		c.s.stats.received.Add(1)
		if !c.request(buf) {
			return
		}
	}
}

func (c *conn) readTimeout() time.Duration { return time.Duration(c.timeoutNs.Load()) }

// handshake answers the ConnectRequest. It reports whether to go on.
func (c *conn) handshake(frame []byte) bool {
	var req jute.ConnectRequest
	d := jute.NewDecoder(frame)
	req.Decode(d)
	if d.Err() != nil {
		c.s.log.Debug().Err(d.Err()).Msg("malformed ConnectRequest")
		return false
	}
	if !c.s.serving() {
		return c.readOnlyHandshake(&req)
	}
	last := c.s.tree.LastZxid()
	if req.LastZxidSeen > last {
		c.s.log.Info().Str("clientZxid", fmt.Sprintf("0x%x", req.LastZxidSeen)).Str("ourZxid", fmt.Sprintf("0x%x", last)).
			Msg("refusing session: client has seen a newer zxid than this server; it must try another server")
		return false
	}
	toMs := c.s.negotiatedTimeoutMs(req.TimeOut)
	timeout := time.Duration(toMs) * time.Millisecond

	if req.SessionID != 0 {
		sid := req.SessionID
		// As ZooKeeper does, any attempt to resume a session first drops
		// the connection that holds it, whether or not the password is
		// right.
		if old := c.s.ownerOf(sid); old != nil && old != c {
			old.close("client reconnecting")
		}
		if !c.s.sessions.alive(sid) || !bytes.Equal(req.Passwd, sessionPassword(sid)) {
			c.s.log.Info().Str("session", fmt.Sprintf("0x%x", sid)).Msg("refusing reconnect: session expired or bad password")
			resp := jute.ConnectResponse{Passwd: make([]byte, 16), OmitReadOnly: !req.HasReadOnly}
			c.send(jute.AppendFrame(nil, &resp))
			c.closeAfterFlush("invalid session")
			<-c.done
			return false
		}
		c.s.sessions.touch(sid, time.Now())
		c.establish(sid, timeout)
		if old := c.s.own(sid, c); old != nil {
			old.close("client reconnected elsewhere")
		}
		resp := jute.ConnectResponse{TimeOut: int32(toMs), SessionID: sid, Passwd: sessionPassword(sid), OmitReadOnly: !req.HasReadOnly}
		c.send(jute.AppendFrame(nil, &resp))
		return true
	}

	sid := c.s.sessions.newID()
	created := make(chan error, 1)
	w := &write{
		req: znode.Request{SessionID: sid, Cxid: cxidCreateSession, Type: jute.OpCreateSession, Body: &jute.CreateSessionTxn{TimeOut: int32(toMs)}},
		done: func(_ znode.Result, _ int64, err error) {
			if err == nil {
				c.establish(sid, timeout)
				c.s.own(sid, c)
				resp := jute.ConnectResponse{TimeOut: int32(toMs), SessionID: sid, Passwd: sessionPassword(sid), OmitReadOnly: !req.HasReadOnly}
				c.send(jute.AppendFrame(nil, &resp))
			}
			created <- err
		},
	}
	if !c.s.submit(w) {
		return false
	}
	select {
	case err := <-created:
		return err == nil
	case <-c.done:
		return false
	}
}

func (c *conn) establish(sid int64, timeout time.Duration) {
	c.sid.Store(sid)
	c.timeoutNs.Store(int64(timeout))
}

// request handles one request frame. It reports false to close the
// connection.
func (c *conn) request(frame []byte) bool {
	d := jute.NewDecoder(frame)
	var hdr jute.RequestHeader
	hdr.Decode(d)
	if d.Err() != nil {
		return false
	}
	sid := c.session()
	now := time.Now()
	if c.ro {
		return c.readOnlyRequest(hdr, d)
	}
	if !c.s.sessions.touch(sid, now) {
		// The session expired or is closing: as ZooKeeper does, answer
		// nothing more on this connection.
		return false
	}
	if c.s.ens != nil {
		c.s.ens.touch(sid)
	}
	op := hdr.Type
	if op == jute.OpAuth {
		return c.authenticate(hdr, d)
	}
	if op == jute.OpSync && c.s.ens != nil {
		return c.submitSync(hdr, d, now)
	}
	if isWrite(op) {
		return c.submitWrite(hdr, d, now)
	}
	answer, ok := c.s.prepareRead(c, hdr, d)
	if !ok {
		return false
	}
	c.mu.Lock()
	if len(c.pending) > 0 {
		c.pending = append(c.pending, &pendingOp{xid: hdr.Xid, op: op, start: now, read: answer})
		c.mu.Unlock()
		return true
	}
	c.mu.Unlock()
	c.s.applyMu.RLock()
	frame = answer()
	c.send(frame)
	c.s.applyMu.RUnlock()
	c.s.stats.latency(time.Since(now))
	return true
}

func (c *conn) authenticate(hdr jute.RequestHeader, d *jute.Decoder) bool {
	var p jute.AuthPacket
	p.Decode(d)
	if d.Err() != nil {
		return false
	}
	var ids []jute.Id
	switch p.Scheme {
	case znode.SchemeDigest:
		id := znode.DigestID(string(p.Auth))
		if sd := c.s.cfg.SuperDigest(); sd != "" && id == sd {
			ids = append(ids, jute.Id{Scheme: znode.SchemeSuper, ID: ""})
		}
		ids = append(ids, jute.Id{Scheme: znode.SchemeDigest, ID: id})
	case znode.SchemeIP:
		ids = append(ids, jute.Id{Scheme: znode.SchemeIP, ID: c.ip})
	default:
		c.s.log.Info().Str("scheme", p.Scheme).Msg("authentication with an unknown scheme; closing connection")
		c.send(jute.AppendFrame(nil, &jute.ReplyHeader{Xid: hdr.Xid, Zxid: 0, Err: jute.CodeAuthFailed}))
		c.closeAfterFlush("auth failed")
		return true
	}
	auth := append([]jute.Id(nil), c.AuthIDs()...)
	for _, id := range ids {
		if !containsID(auth, id) {
			auth = append(auth, id)
		}
	}
	c.auth.Store(&auth)
	c.sendOrdered(hdr.Xid, hdr.Type, func() []byte {
		return jute.AppendFrame(nil, &jute.ReplyHeader{Xid: hdr.Xid, Zxid: 0, Err: jute.CodeOK})
	})
	return true
}

// sendOrdered answers now, or behind the writes in flight.
func (c *conn) sendOrdered(xid int32, op jute.OpCode, answer func() []byte) {
	c.mu.Lock()
	if len(c.pending) > 0 {
		c.pending = append(c.pending, &pendingOp{xid: xid, op: op, start: time.Now(), read: answer})
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	c.send(answer())
}

func containsID(ids []jute.Id, id jute.Id) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

func (c *conn) submitWrite(hdr jute.RequestHeader, d *jute.Decoder, now time.Time) bool {
	req := znode.Request{SessionID: c.session(), Cxid: hdr.Xid, Type: hdr.Type, Auth: c.AuthIDs()}
	if hdr.Type != jute.OpCloseSession {
		rec, ok := jute.NewRequestRecord(hdr.Type)
		if !ok || rec == nil {
			return false
		}
		rec.Decode(d)
		if d.Err() != nil {
			c.s.log.Debug().Err(d.Err()).Str("op", hdr.Type.String()).Msg("malformed request; closing connection")
			return false
		}
		req.Body = rec
	}
	p := &pendingOp{xid: hdr.Xid, op: hdr.Type, start: now}
	w := &write{req: req}
	select {
	case c.s.outstanding <- struct{}{}:
	case <-c.done:
		return false
	}
	w.done = func(res znode.Result, zxid int64, err error) {
		<-c.s.outstanding
		if errors.Is(err, errNotServing) {
			// The write may still commit under the next leader: the client
			// must see a lost connection (outcome unknown), not an error.
			c.close("leader lost with a write in flight")
			return
		}
		frame := writeReply(hdr, res, zxid, err)
		if hdr.Type == jute.OpCloseSession {
			p.after = func() { c.closeAfterFlush("closeSession") }
		}
		c.complete(p, frame)
	}
	c.mu.Lock()
	c.pending = append(c.pending, p)
	c.mu.Unlock()
	if hdr.Type == jute.OpCloseSession {
		if !c.s.sessions.markClosing(req.SessionID) {
			<-c.s.outstanding
			c.complete(p, jute.AppendFrame(nil, &jute.ReplyHeader{Xid: hdr.Xid, Zxid: c.s.tree.LastZxid(), Err: jute.CodeOK}))
			return true
		}
	}
	if !c.s.submit(w) {
		<-c.s.outstanding
		c.complete(p, jute.AppendFrame(nil, &jute.ReplyHeader{Xid: hdr.Xid, Zxid: c.s.tree.LastZxid(), Err: jute.CodeSystemError}))
	}
	return true
}

// submitSync answers a sync once this member has applied every write the
// leader had proposed when the sync reached it.
func (c *conn) submitSync(hdr jute.RequestHeader, d *jute.Decoder, now time.Time) bool {
	var req jute.SyncRequest
	req.Decode(d)
	if d.Err() != nil {
		return false
	}
	p := &pendingOp{xid: hdr.Xid, op: hdr.Type, start: now}
	c.mu.Lock()
	c.pending = append(c.pending, p)
	c.mu.Unlock()
	c.s.ens.sync(func(err error) {
		rh := jute.ReplyHeader{Xid: hdr.Xid, Zxid: c.s.tree.LastZxid()}
		if err != nil {
			rh.Err = jute.CodeConnectionLoss
			c.complete(p, jute.AppendFrame(nil, &rh))
			return
		}
		c.complete(p, jute.AppendFrame(nil, &rh, &jute.SyncResponse{Path: req.Path}))
	})
	return true
}

// complete records a write's reply and sends every reply now due, in order.
// It runs on the apply goroutine.
func (c *conn) complete(p *pendingOp, frame []byte) {
	c.s.applyMu.RLock()
	c.mu.Lock()
	p.reply, p.ready = frame, true
	var after []func()
	for len(c.pending) > 0 {
		h := c.pending[0]
		switch {
		case h.read != nil:
			c.send(h.read())
		case h.ready:
			c.send(h.reply)
			if h.after != nil {
				after = append(after, h.after)
			}
		default:
			c.mu.Unlock()
			c.s.applyMu.RUnlock()
			return
		}
		c.s.stats.latency(time.Since(h.start))
		c.pending[0] = nil
		c.pending = c.pending[1:]
	}
	c.mu.Unlock()
	c.s.applyMu.RUnlock()
	for _, f := range after {
		f()
	}
}

// isWrite reports whether op changes the tree (and so goes through a txn).
func isWrite(op jute.OpCode) bool {
	switch op {
	case jute.OpCreate, jute.OpCreate2, jute.OpCreateContainer, jute.OpCreateTTL,
		jute.OpDelete, jute.OpSetData, jute.OpSetACL, jute.OpCheck, jute.OpMulti,
		jute.OpReconfig, jute.OpCloseSession:
		return true
	}
	return false
}

// writeReply encodes the reply to a write from the result of its txn.
func writeReply(hdr jute.RequestHeader, res znode.Result, zxid int64, err error) []byte {
	rh := jute.ReplyHeader{Xid: hdr.Xid, Zxid: zxid}
	if err != nil {
		rh.Err = jute.CodeSystemError
		return jute.AppendFrame(nil, &rh)
	}
	if res.Type == jute.OpError {
		rh.Err = res.Err
		return jute.AppendFrame(nil, &rh)
	}
	if res.Err != jute.CodeOK && hdr.Type != jute.OpMulti {
		rh.Err = res.Err
		return jute.AppendFrame(nil, &rh)
	}
	var body jute.Record
	switch hdr.Type {
	case jute.OpCreate:
		body = &jute.CreateResponse{Path: res.Path}
	case jute.OpCreate2, jute.OpCreateContainer, jute.OpCreateTTL:
		body = &jute.Create2Response{Path: res.Path, Stat: res.Stat}
	case jute.OpSetData, jute.OpSetACL, jute.OpCheck:
		if hdr.Type == jute.OpSetACL {
			body = &jute.SetACLResponse{Stat: res.Stat}
		} else {
			body = &jute.SetDataResponse{Stat: res.Stat}
		}
	case jute.OpMulti:
		body = multiResponse(res.Multi)
	case jute.OpReconfig:
		body = &jute.GetDataResponse{Data: res.Data, Stat: res.Stat}
	}
	if body == nil {
		return jute.AppendFrame(nil, &rh)
	}
	return jute.AppendFrame(nil, &rh, body)
}

func multiResponse(results []znode.Result) *jute.MultiResponse {
	out := &jute.MultiResponse{Results: make([]jute.MultiResult, 0, len(results))}
	for _, r := range results {
		mr := jute.MultiResult{Type: r.Type, Err: r.Err}
		switch r.Type {
		case jute.OpCreate:
			mr.Resp = &jute.CreateResponse{Path: r.Path}
		case jute.OpCreate2, jute.OpCreateTTL, jute.OpCreateContainer:
			mr.Type = jute.OpCreate2
			mr.Resp = &jute.Create2Response{Path: r.Path, Stat: r.Stat}
		case jute.OpSetData:
			mr.Resp = &jute.SetDataResponse{Stat: r.Stat}
		case jute.OpDelete, jute.OpDeleteContainer:
			mr.Type = jute.OpDelete
		case jute.OpError:
			mr.Resp = &jute.ErrorResponse{Err: r.Err}
		}
		out.Results = append(out.Results, mr)
	}
	return out
}

// isFourLetterWord reports whether the first four bytes of a connection are
// a four-letter word rather than a frame length.
func isFourLetterWord(w string) bool {
	switch w {
	case "ruok", "srvr", "stat", "mntr", "conf", "cons", "crst", "srst", "envi",
		"dirs", "wchs", "wchc", "wchp", "dump", "isro", "gtmk", "stmk":
		// A frame length with these bytes would exceed any jute.maxbuffer.
		return binary.BigEndian.Uint32([]byte(w)) > 0x1000000
	}
	return false
}
