package difftest

import (
	"time"

	"github.com/zkmesh/zkmesh/internal/zktest"
	"github.com/zkmesh/zkmesh/jute"
)

// open is the world-anyone ALL ACL.
var open = jute.OpenACLUnsafe

// Create sends create2 (the reply carries a Stat) with an open ACL.
func (e *Env) Create(c, path, data string, mode jute.CreateMode) zktest.Result {
	return e.CreateOp(c, zktest.MultiOp{Op: jute.OpCreate2, Path: path, Data: []byte(data), ACL: open, Mode: mode})
}

// CreateOp sends req.Op (create, create2, createContainer, createTTL).
func (e *Env) CreateOp(c string, req zktest.MultiOp) zktest.Result {
	r, err := e.C(c).Create(req)
	return e.Record(c, req.Op.String(), req.Path, r, err)
}

// Get sends getData.
func (e *Env) Get(c, path string, watch bool) zktest.Result {
	r, err := e.C(c).GetData(path, watch)
	return e.Record(c, "getData", path, r, err)
}

// Set sends setData.
func (e *Env) Set(c, path, data string, version int32) zktest.Result {
	r, err := e.C(c).SetData(path, []byte(data), version)
	return e.Record(c, "setData", path, r, err)
}

// Del sends delete.
func (e *Env) Del(c, path string, version int32) zktest.Result {
	r, err := e.C(c).Delete(path, version)
	return e.Record(c, "delete", path, r, err)
}

// Exists sends exists.
func (e *Env) Exists(c, path string, watch bool) zktest.Result {
	r, err := e.C(c).Exists(path, watch)
	return e.Record(c, "exists", path, r, err)
}

// Children sends getChildren (opcode 8).
func (e *Env) Children(c, path string, watch bool) zktest.Result {
	r, err := e.C(c).GetChildren(path, watch)
	return e.Record(c, "getChildren", path, r, err)
}

// Children2 sends getChildren2.
func (e *Env) Children2(c, path string, watch bool) zktest.Result {
	r, err := e.C(c).GetChildren2(path, watch)
	return e.Record(c, "getChildren2", path, r, err)
}

// AllChildren sends getAllChildrenNumber.
func (e *Env) AllChildren(c, path string) zktest.Result {
	r, err := e.C(c).GetAllChildrenNumber(path)
	return e.Record(c, "getAllChildrenNumber", path, r, err)
}

// Ephemerals sends getEphemerals.
func (e *Env) Ephemerals(c, prefix string) zktest.Result {
	r, err := e.C(c).GetEphemerals(prefix)
	return e.Record(c, "getEphemerals", prefix, r, err)
}

// GetACL sends getACL.
func (e *Env) GetACL(c, path string) zktest.Result {
	r, err := e.C(c).GetACL(path)
	return e.Record(c, "getACL", path, r, err)
}

// SetACL sends setACL.
func (e *Env) SetACL(c, path string, acl []jute.ACL, version int32) zktest.Result {
	r, err := e.C(c).SetACL(path, acl, version)
	return e.Record(c, "setACL", path, r, err)
}

// Sync sends sync.
func (e *Env) Sync(c, path string) zktest.Result {
	r, err := e.C(c).Sync(path)
	return e.Record(c, "sync", path, r, err)
}

// Check sends a stand-alone check. Apache ZooKeeper 3.8 sends no reply to
// one that succeeds, so the wait is short; the recording then says
// "no reply".
func (e *Env) Check(c, path string, version int32) zktest.Result {
	cl := e.C(c)
	cl.SetReplyTimeout(time.Second)
	defer cl.SetReplyTimeout(10 * time.Second)
	r, err := cl.Check(path, version)
	return e.Record(c, "check", path, r, err)
}

// Ping sends a ping.
func (e *Env) Ping(c string) zktest.Result {
	r, err := e.C(c).Ping()
	return e.Record(c, "ping", "", r, err)
}

// Auth sends an auth packet.
func (e *Env) Auth(c, scheme, auth string) zktest.Result {
	r, err := e.C(c).AddAuth(scheme, []byte(auth))
	return e.Record(c, "auth", scheme, r, err)
}

// WhoAmI sends whoAmI.
func (e *Env) WhoAmI(c string) zktest.Result {
	r, err := e.C(c).WhoAmI()
	return e.Record(c, "whoAmI", "", r, err)
}

// AddWatch sends addWatch.
func (e *Env) AddWatch(c, path string, mode int32) zktest.Result {
	r, err := e.C(c).AddWatch(path, mode)
	return e.Record(c, "addWatch", path, r, err)
}

// CheckWatches sends checkWatches.
func (e *Env) CheckWatches(c, path string, typ jute.WatcherType) zktest.Result {
	r, err := e.C(c).CheckWatches(path, typ)
	return e.Record(c, "checkWatches", path, r, err)
}

// RemoveWatches sends removeWatches.
func (e *Env) RemoveWatches(c, path string, typ jute.WatcherType) zktest.Result {
	r, err := e.C(c).RemoveWatches(path, typ)
	return e.Record(c, "removeWatches", path, r, err)
}

// Multi sends a multi.
func (e *Env) Multi(c string, ops ...zktest.MultiOp) zktest.Result {
	r, err := e.C(c).Multi(jute.OpMulti, ops)
	return e.Record(c, "multi", "", r, err)
}

// MultiRead sends a multiRead.
func (e *Env) MultiRead(c string, ops ...zktest.MultiOp) zktest.Result {
	r, err := e.C(c).Multi(jute.OpMultiRead, ops)
	return e.Record(c, "multiRead", "", r, err)
}

// Close sends closeSession and records its reply.
func (e *Env) Close(c string) {
	cl := e.C(c)
	r, err := cl.Call(jute.OpCloseSession, nil)
	e.Record(c, "closeSession", "", zktest.Result{Reply: r}, err)
	_ = cl.Drop()
	<-cl.Closed()
}

// CloseAll closes every raw client still connected, so that no session of
// this sequence expires during a later one.
func (e *Env) CloseAll() {
	for _, c := range e.raw {
		select {
		case <-c.Closed():
		default:
			_ = c.Close()
		}
	}
}
