package difftest

import (
	"time"

	"github.com/zkmesh/zkmesh/internal/zktest"
	"github.com/zkmesh/zkmesh/jute"
)

// seqSetWatches: a client loses its connection (not its session) while
// nodes it watches change, reconnects with its session id and re-arms its
// watches with setWatches, then setWatches2 with a persistent watch.
func seqSetWatches(e *Env) {
	e.Create("w", "/setwatches", "", jute.ModePersistent)
	e.Create("w", "/setwatches/a", "", jute.ModePersistent)
	e.Create("w", "/setwatches/keep", "", jute.ModePersistent)
	c := e.C("c1")
	e.Get("c1", "/setwatches/a", true)
	e.Get("c1", "/setwatches/keep", true)
	e.Exists("c1", "/setwatches/b", true)
	e.Children("c1", "/setwatches", true)
	e.Get("c1", "/setwatches/gone", true)
	last := e.LastZxid("c1")
	_ = c.Drop()
	<-c.Closed()
	e.Set("w", "/setwatches/a", "changed", -1)
	e.Create("w", "/setwatches/b", "", jute.ModePersistent)

	r := e.Dial("c1r", zktest.RawOptions{SessionID: c.SessionID, Passwd: c.Passwd, LastZxidSeen: last})
	e.rec.sessions[c.SessionID] = "c1"
	res, err := r.SetWatches(last, []string{"/setwatches/a", "/setwatches/keep", "/setwatches/gone"},
		[]string{"/setwatches/b", "/setwatches/never"}, []string{"/setwatches"})
	e.Record("c1r", "setWatches", "", res, err)
	e.Events("c1r", 4)
	e.Quiet("c1r")
	e.Set("w", "/setwatches/keep", "now", -1)
	e.Create("w", "/setwatches/never", "", jute.ModePersistent)
	e.Events("c1r", 6)

	last = e.LastZxid("c1r")
	_ = r.Drop()
	<-r.Closed()
	e.Set("w", "/setwatches", "while-away", -1)
	r2 := e.Dial("c1rr", zktest.RawOptions{SessionID: c.SessionID, Passwd: c.Passwd, LastZxidSeen: last})
	res, err = r2.SetWatches2(last, nil, nil, nil, []string{"/setwatches"}, []string{"/setwatches/a"})
	e.Record("c1rr", "setWatches2", "", res, err)
	e.Quiet("c1rr")
	e.Set("w", "/setwatches", "back", -1)
	e.Create("w", "/setwatches/a/deep", "", jute.ModePersistent)
	e.Events("c1rr", 2)
	e.Quiet("c1rr")
	e.Close("c1rr")
	e.Close("w")
}

// seqSession: session timeout negotiation, expiry (ephemerals deleted,
// other sessions' watches fire, the expired session cannot resume),
// closeSession, resuming with a wrong password, getEphemerals per session.
func seqSession(e *Env) {
	e.Create("w", "/session", "", jute.ModePersistent)
	e.Create("w", "/session/other", "", jute.ModePersistent)
	for i, ms := range []int32{1, 100, 1000, 3000, 100000} {
		c := e.Dial("t"+string(rune('0'+i)), zktest.RawOptions{TimeoutMs: ms})
		e.Close("t" + string(rune('0'+i)))
		_ = c
	}

	x := e.Dial("x", zktest.RawOptions{TimeoutMs: 1000})
	e.Create("x", "/session/e1", "", jute.ModeEphemeral)
	e.Create("x", "/session/other/s-", "", jute.ModeEphemeralSequential)
	e.Ephemerals("x", "/session")
	e.Exists("w", "/session/e1", true)
	e.Children("w", "/session", true)
	e.Get("w", "/session/e1", false)
	// x sends nothing more: its session expires after about a second.
	x.StopPing()
	e.Events("w", 2)
	select {
	case <-x.Closed():
		e.Note("x closed", plain("byServer", "yes"))
	case <-time.After(eventWait):
		e.Note("x closed", plain("byServer", "no"))
	}
	e.Dial("x2", zktest.RawOptions{SessionID: x.SessionID, Passwd: x.Passwd})
	e.Exists("w", "/session/e1", false)
	e.Children("w", "/session/other", false)

	y := e.C("y")
	e.Create("y", "/session/e3", "", jute.ModeEphemeral)
	e.Exists("w", "/session/e3", true)
	e.Ephemerals("y", "/")
	e.Ephemerals("w", "/")
	e.Close("y")
	e.Events("w", 3)
	_, err := y.Exists("/session", false)
	e.Note("y after close", plain("err", "%v", err != nil))
	e.Dial("y2", zktest.RawOptions{SessionID: y.SessionID, Passwd: y.Passwd})

	// Resuming a live session with a wrong password is refused, and the
	// server drops the connection the session had.
	z := e.C("z")
	e.Dial("zbad", zktest.RawOptions{SessionID: z.SessionID, Passwd: make([]byte, 16)})
	select {
	case <-z.Closed():
		e.Note("z closed", plain("byServer", "yes"))
	case <-time.After(eventWait):
		e.Note("z closed", plain("byServer", "no"))
	}
	e.Dial("zr", zktest.RawOptions{SessionID: z.SessionID, Passwd: z.Passwd})
	e.rec.sessions[z.SessionID] = "z"
	e.Ping("zr")
	e.Close("zr")
	e.Quiet("w")
	e.Close("w")
}

// seqContainerTTL: a container is deleted once its last child goes, TTL
// nodes are deleted once their TTL has passed without a change, both
// firing the exists watches on them. The servers check every 100 ms.
func seqContainerTTL(e *Env) {
	e.Create("w", "/ttl", "", jute.ModePersistent)
	e.CreateOp("w", zktest.MultiOp{Op: jute.OpCreateContainer, Path: "/ttl/c", ACL: open, Mode: jute.ModeContainer})
	e.Create("w", "/ttl/c/kid", "", jute.ModePersistent)
	e.Exists("c1", "/ttl/c", true)
	e.Del("w", "/ttl/c/kid", -1)
	e.Events("c1", 1)
	e.Exists("w", "/ttl/c", false)

	// The watches are armed before the TTL nodes exist, so a slow client
	// cannot miss a deletion that comes before its watch.
	e.AddWatch("c1", "/ttl/t", jute.AddWatchModePersistent)
	e.CreateOp("w", zktest.MultiOp{Op: jute.OpCreateTTL, Path: "/ttl/t", ACL: open, Mode: jute.ModePersistentWithTTL, TTLMs: 300})
	e.Events("c1", 3)
	e.Exists("w", "/ttl/t", false)

	e.Create("w", "/ttl/sq", "", jute.ModePersistent)
	e.AddWatch("c1", "/ttl/sq", jute.AddWatchModePersistentRecursive)
	e.CreateOp("w", zktest.MultiOp{Op: jute.OpCreateTTL, Path: "/ttl/sq/s-", ACL: open, Mode: jute.ModePersistentSequentialWithTTL, TTLMs: 300})
	e.Events("c1", 5)
	e.Children("w", "/ttl/sq", false)
	e.Close("c1")
	e.Close("w")
}
