package difftest

import (
	"fmt"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zkmesh/zkmesh/internal/zktest"
	"github.com/zkmesh/zkmesh/jute"
)

type nopLogger struct{}

func (nopLogger) Printf(string, ...interface{}) {}

func zkStat(s *zk.Stat) *jute.Stat {
	if s == nil {
		return nil
	}
	return &jute.Stat{
		Czxid: s.Czxid, Mzxid: s.Mzxid, Ctime: s.Ctime, Mtime: s.Mtime, Version: s.Version,
		Cversion: s.Cversion, Aversion: s.Aversion, EphemeralOwner: s.EphemeralOwner,
		DataLength: s.DataLength, NumChildren: s.NumChildren, Pzxid: s.Pzxid,
	}
}

// recordZK records a go-zookeeper call's outcome.
func (e *Env) recordZK(op, path string, err error, fs ...Field) {
	out := []Field{plain("err", "%v", err)}
	if err == nil {
		out = append(out, fs...)
	}
	e.rec.add("gozk "+op+" "+path, out...)
}

func statOf(p string, s *zk.Stat) []Field {
	if s == nil {
		return nil
	}
	return statFields(p, zkStat(s))
}

// waitState waits for state st on a go-zookeeper session event channel.
func waitState(ch <-chan zk.Event, st zk.State) bool {
	deadline := time.After(eventWait)
	for {
		select {
		case ev := <-ch:
			if ev.State == st {
				return true
			}
		case <-deadline:
			return false
		}
	}
}

// seqGoZK: the same kind of operations through go-zookeeper, the client a
// Go application uses, including its automatic setWatches after the
// connection is lost (through a proxy that the test cuts) and restored.
func seqGoZK(e *Env) {
	p := zktest.NewProxy(e.t, e.srv.Addr)
	conn, evs, err := zk.Connect([]string{p.Addr}, 4*time.Second, zk.WithLogger(nopLogger{}))
	if err != nil {
		e.Fatalf("go-zookeeper connect: %v", err)
	}
	defer conn.Close()
	e.Note("gozk connect", plain("hasSession", "%v", waitState(evs, zk.StateHasSession)))
	e.rec.sessions[conn.SessionID()] = "gozk"
	acl := zk.WorldACL(zk.PermAll)

	path, err := conn.Create("/gozk", []byte("r"), 0, acl)
	e.recordZK("create", "/gozk", err, plain("path", "%s", path))
	path, err = conn.Create("/gozk/a", []byte("a"), 0, acl)
	e.recordZK("create", "/gozk/a", err, plain("path", "%s", path))
	_, err = conn.Create("/gozk/a", nil, 0, acl)
	e.recordZK("create", "/gozk/a", err)
	path, err = conn.Create("/gozk/s-", nil, zk.FlagSequence|zk.FlagEphemeral, acl)
	e.recordZK("create", "/gozk/s-", err, plain("path", "%s", path))
	path, err = conn.CreateContainer("/gozk/c", nil, zk.FlagTTL, acl)
	e.recordZK("createContainer(bad flag)", "/gozk/c", err, plain("path", "%s", path))
	path, err = conn.CreateContainer("/gozk/c", nil, 4, acl)
	e.recordZK("createContainer", "/gozk/c", err, plain("path", "%s", path))
	path, err = conn.CreateTTL("/gozk/t", nil, zk.FlagTTL, acl, time.Minute)
	e.recordZK("createTTL", "/gozk/t", err, plain("path", "%s", path))
	data, st, err := conn.Get("/gozk/a")
	e.recordZK("get", "/gozk/a", err, append([]Field{plain("data", "%q", data)}, statOf("stat", st)...)...)
	st, err = conn.Set("/gozk/a", []byte("a2"), 0)
	e.recordZK("set", "/gozk/a", err, statOf("stat", st)...)
	_, err = conn.Set("/gozk/a", []byte("a3"), 0)
	e.recordZK("set", "/gozk/a", err)
	ok, st, err := conn.Exists("/gozk/a")
	e.recordZK("exists", "/gozk/a", err, append([]Field{plain("ok", "%v", ok)}, statOf("stat", st)...)...)
	ok, _, err = conn.Exists("/gozk/none")
	e.recordZK("exists", "/gozk/none", err, plain("ok", "%v", ok))
	kids, st, err := conn.Children("/gozk")
	e.recordZK("children", "/gozk", err, append([]Field{plain("children", "%s", sortedList(kids))}, statOf("stat", st)...)...)
	acls, st, err := conn.GetACL("/gozk/a")
	e.recordZK("getACL", "/gozk/a", err, append([]Field{plain("acl", "%v", acls)}, statOf("stat", st)...)...)
	st, err = conn.SetACL("/gozk/a", zk.WorldACL(zk.PermRead|zk.PermWrite|zk.PermAdmin), 0)
	e.recordZK("setACL", "/gozk/a", err, statOf("stat", st)...)
	path, err = conn.Sync("/gozk")
	e.recordZK("sync", "/gozk", err, plain("path", "%s", path))
	res, err := conn.Multi(
		&zk.CreateRequest{Path: "/gozk/m", Data: []byte("m"), Acl: acl},
		&zk.SetDataRequest{Path: "/gozk/m", Data: []byte("m2"), Version: 0},
		&zk.CheckVersionRequest{Path: "/gozk/a", Version: 1},
		&zk.DeleteRequest{Path: "/gozk/m", Version: -1},
	)
	e.recordZK("multi", "", err, multiFields(res)...)
	res, err = conn.Multi(
		&zk.CreateRequest{Path: "/gozk/m", Data: []byte("m"), Acl: acl},
		&zk.CheckVersionRequest{Path: "/gozk/a", Version: 9},
	)
	e.recordZK("multi", "", err, multiFields(res)...)
	err = conn.AddAuth("digest", []byte("bob:pw"))
	e.recordZK("addAuth", "digest", err)
	_, err = conn.Create("/gozk/bob", nil, 0, zk.DigestACL(zk.PermAll, "bob", "pw"))
	e.recordZK("create", "/gozk/bob", err)
	e.Get("c2", "/gozk/bob", false)

	// Watches survive a lost connection: go-zookeeper re-arms them with
	// setWatches when it reconnects, and what changed meanwhile fires.
	_, _, dataW, err := conn.GetW("/gozk/a")
	e.recordZK("getW", "/gozk/a", err)
	_, _, kidsW, err := conn.ChildrenW("/gozk")
	e.recordZK("childrenW", "/gozk", err)
	_, _, existW, err := conn.ExistsW("/gozk/later")
	e.recordZK("existsW", "/gozk/later", err)
	p.Pause()
	e.Note("gozk disconnected", plain("seen", "%v", waitState(evs, zk.StateDisconnected)))
	e.Set("c2", "/gozk/a", "while-away", -1)
	e.Create("c2", "/gozk/k", "", jute.ModePersistent)
	p.Resume()
	e.Note("gozk reconnected", plain("hasSession", "%v", waitState(evs, zk.StateHasSession)),
		plain("sameSession", "%v", e.rec.sessions[conn.SessionID()] == "gozk"))
	for _, w := range []struct {
		name string
		ch   <-chan zk.Event
	}{{"data", dataW}, {"children", kidsW}} {
		select {
		case ev := <-w.ch:
			e.Note("gozk "+w.name+" watch", plain("type", "%v", ev.Type), plain("path", "%s", ev.Path), plain("err", "%v", ev.Err))
		case <-time.After(eventWait):
			e.Note("gozk "+w.name+" watch", plain("type", "none"))
		}
	}
	e.Create("c2", "/gozk/later", "", jute.ModePersistent)
	select {
	case ev := <-existW:
		e.Note("gozk exists watch", plain("type", "%v", ev.Type), plain("path", "%s", ev.Path))
	case <-time.After(eventWait):
		e.Note("gozk exists watch", plain("type", "none"))
	}
	err = conn.Delete("/gozk/a", 5)
	e.recordZK("delete", "/gozk/a", err)
	err = conn.Delete("/gozk/a", -1)
	e.recordZK("delete", "/gozk/a", err)
	err = conn.Delete("/gozk", -1)
	e.recordZK("delete", "/gozk", err)
	conn.Close()
	e.Close("c2")
}

func multiFields(res []zk.MultiResponse) []Field {
	var fs []Field
	for i, r := range res {
		p := fmt.Sprintf("op%d.", i)
		fs = append(fs, plain(p+"err", "%v", r.Error), plain(p+"path", "%s", r.String))
		fs = append(fs, statOf(p+"stat", r.Stat)...)
	}
	return fs
}
