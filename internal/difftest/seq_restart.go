package difftest

import (
	"github.com/zkmesh/zkmesh/internal/zktest"
	"github.com/zkmesh/zkmesh/jute"
)

// seqRestart: the server is killed (SIGKILL) and started again on the same
// dataDir. Committed znodes survive; so do live sessions, whose clients
// resume them, re-arm their watches and still own their ephemerals until
// they close.
func seqRestart(e *Env) {
	// Long sessions: a JVM can take seconds to serve again after loading
	// its sessions, and they must not expire meanwhile.
	e.Dial("w", zktest.RawOptions{TimeoutMs: 30000})
	e.Dial("c1", zktest.RawOptions{TimeoutMs: 30000})
	e.Create("w", "/restart", "", jute.ModePersistent)
	e.Create("w", "/restart/p", "before", jute.ModePersistent)
	e.Create("w", "/restart/s-", "", jute.ModePersistentSequential)
	c := e.raw["c1"]
	e.Create("c1", "/restart/e", "mine", jute.ModeEphemeral)
	e.Get("c1", "/restart/p", true)
	e.Set("w", "/restart/p", "v1", -1)
	e.Events("c1", 1)
	e.Get("c1", "/restart/p", true)
	last := e.LastZxid("c1")
	w := e.raw["w"]

	if err := e.srv.Kill(); err != nil {
		e.Fatalf("kill: %v", err)
	}
	<-c.Closed()
	<-w.Closed()
	e.srv.Restart()

	r := e.Dial("c1r", zktest.RawOptions{SessionID: c.SessionID, Passwd: c.Passwd, LastZxidSeen: last})
	if r == nil {
		e.Note("c1r", plain("resumed", "no"))
		return
	}
	e.rec.sessions[c.SessionID] = "c1"
	// w resumes and closes at once: left alone, its session would expire
	// at a time the sequence does not control.
	if wr := e.Dial("wr", zktest.RawOptions{SessionID: w.SessionID, Passwd: w.Passwd}); wr != nil {
		e.rec.sessions[w.SessionID] = "w"
		e.Close("wr")
	}
	res, err := r.SetWatches(last, []string{"/restart/p"}, nil, nil)
	e.Record("c1r", "setWatches", "", res, err)
	e.Get("c2", "/restart/p", false)
	e.Children2("c2", "/restart", false)
	e.Get("c2", "/restart/e", false)
	e.Create("c2", "/restart/s-", "", jute.ModePersistentSequential)
	e.Set("c2", "/restart/p", "after", 1)
	e.Events("c1r", 1)
	e.Ephemerals("c1r", "/restart")
	e.Exists("c2", "/restart/e", true)
	e.Close("c1r")
	e.Events("c2", 1)
	e.Exists("c2", "/restart/e", false)
	e.Close("c2")
}
