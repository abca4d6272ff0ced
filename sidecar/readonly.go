package sidecar

import (
	"bytes"
	"fmt"
	"time"

	"github.com/zkmesh/zkmesh/jute"
)

// Read-only mode, as ZooKeeper's readonlymode.enabled.
//
// A member that has been without a leader for readOnlyDelay (so it is in a
// minority, or the ensemble has no quorum) serves clients that accept
// read-only mode (ConnectRequest readOnly) from its local replica: reads,
// watches and pings work; writes and sync get NOTREADONLY; clients that
// do not accept read-only mode are refused as before. Its replica may be
// stale: every read answer reflects only what this member had applied. New
// sessions are local to the member and never replicated; a session created
// by the ensemble may resume here with its password. Once the member is
// back with a leader it leaves read-only mode and drops those connections,
// so that clients reconnect for a read-write session. isro answers "ro"
// meanwhile, srvr and stat print the mode.

// readOnlyDelay is how long a member goes without a leader before it
// serves read-only clients: max(2 s, tickTime), as ZooKeeper waits.
func (s *Server) readOnlyDelay() time.Duration { return max(2*time.Second, s.tickDuration()) }

// checkReadOnly turns read-only mode on once this member has been without a
// leader for readOnlyDelay; the run goroutine calls it every tick.
func (e *ensemble) checkReadOnly(now time.Time) {
	if !e.s.cfg.ReadOnlyModeEnabled() || e.serving.Load() || e.s.readOnly.Load() {
		return
	}
	if e.notServingSince.IsZero() {
		e.notServingSince = now
		return
	}
	if now.Sub(e.notServingSince) >= e.s.readOnlyDelay() {
		e.s.readOnly.Store(true)
		e.s.log.Warn().Int64("zxid", e.s.tree.LastZxid()).Msg("no leader: read-only mode, serving read-only clients from the local replica")
	}
}

// leaveReadOnly ends read-only mode when this member serves again: its
// read-only connections are dropped so that their clients come back for
// read-write sessions.
func (e *ensemble) leaveReadOnly() {
	e.notServingSince = time.Time{}
	if e.s.readOnly.Swap(false) {
		e.s.log.Info().Msg("leader found: leaving read-only mode")
		e.s.closeAllConns("leaving read-only mode")
	}
}

// negotiatedTimeoutMs is the session timeout a client asking for askedMs
// gets: within minSessionTimeout and maxSessionTimeout.
func (s *Server) negotiatedTimeoutMs(askedMs int32) int {
	minMs, maxMs := s.cfg.SessionTimeoutBoundsMs()
	return min(max(int(askedMs), minMs), maxMs)
}

// readOnlyHandshake answers a ConnectRequest while the member is in
// read-only mode. It reports whether to go on.
func (c *conn) readOnlyHandshake(req *jute.ConnectRequest) bool {
	if !req.ReadOnly {
		c.s.log.Debug().Str("remote", c.nc.RemoteAddr().String()).Msg("read-only mode: refusing a client that does not accept read-only sessions")
		return false
	}
	toMs := c.s.negotiatedTimeoutMs(req.TimeOut)
	sid := req.SessionID
	if sid != 0 {
		if !c.s.sessions.alive(sid) || !bytes.Equal(req.Passwd, sessionPassword(sid)) {
			c.s.log.Info().Str("session", fmt.Sprintf("0x%x", sid)).Msg("read-only mode: refusing reconnect: session unknown here or bad password")
			resp := jute.ConnectResponse{Passwd: make([]byte, 16), ReadOnly: true, OmitReadOnly: !req.HasReadOnly}
			c.send(jute.AppendFrame(nil, &resp))
			c.closeAfterFlush("invalid session")
			<-c.done
			return false
		}
		if old := c.s.ownerOf(sid); old != nil && old != c {
			old.close("client reconnecting")
		}
	} else {
		sid = c.s.sessions.newID() // local to this member, never replicated
	}
	c.ro = true
	c.establish(sid, time.Duration(toMs)*time.Millisecond)
	c.s.own(sid, c)
	resp := jute.ConnectResponse{TimeOut: int32(toMs), SessionID: sid, Passwd: sessionPassword(sid), ReadOnly: true, OmitReadOnly: !req.HasReadOnly}
	c.send(jute.AppendFrame(nil, &resp))
	return true
}

// readOnlyRequest answers one request of a read-only session.
func (c *conn) readOnlyRequest(hdr jute.RequestHeader, d *jute.Decoder) bool {
	op := hdr.Type
	switch {
	case op == jute.OpAuth:
		return c.authenticate(hdr, d)
	case op == jute.OpCloseSession:
		c.send(jute.AppendFrame(nil, &jute.ReplyHeader{Xid: hdr.Xid, Zxid: c.s.tree.LastZxid(), Err: jute.CodeOK}))
		c.closeAfterFlush("closeSession")
		return true
	case isWrite(op) || op == jute.OpSync:
		c.send(jute.AppendFrame(nil, &jute.ReplyHeader{Xid: hdr.Xid, Zxid: c.s.tree.LastZxid(), Err: jute.CodeNotReadOnly}))
		return true
	}
	answer, ok := c.s.prepareRead(c, hdr, d)
	if !ok {
		return false
	}
	c.s.applyMu.RLock()
	c.send(answer())
	c.s.applyMu.RUnlock()
	return true
}
