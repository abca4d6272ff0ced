package znode

import (
	"fmt"
	"sort"

	"github.com/zkmesh/zkmesh/jute"
)

// Result is the outcome of applying one txn (ZooKeeper's ProcessTxnResult).
type Result struct {
	// Type is the txn type: the request's opcode, or OpError.
	Type jute.OpCode
	Err  jute.Code
	Path string
	Stat jute.Stat
	// Data is the new /zookeeper/config contents of a reconfig txn, which
	// its reply carries; nil for other txns.
	Data []byte
	// Multi holds one result per op of a multi txn.
	Multi []Result
}

// Apply applies one committed txn and fires the watches it triggers.
//
// Apply must be called from one goroutine at a time, in zxid order. It never
// fails as a whole: a txn that cannot apply (which a correct Prep never
// produces, but log replay over a fuzzy snapshot can) yields a Result with
// Err set and leaves the tree as it was.
func (t *Tree) Apply(hdr *jute.TxnHeader, body jute.Record) Result {
	t.mu.Lock()
	defer t.mu.Unlock()
	if hdr.Zxid > t.lastZxid {
		t.lastZxid = hdr.Zxid
	}
	return t.apply(hdr, hdr.Type, body)
}

func (t *Tree) apply(hdr *jute.TxnHeader, typ jute.OpCode, body jute.Record) Result {
	r := Result{Type: typ}
	var err error
	switch b := body.(type) {
	case *jute.CreateTxn:
		owner := int64(0)
		if b.Ephemeral {
			owner = hdr.ClientID
		}
		r.Path = b.Path
		r.Stat, err = t.createNode(b.Path, b.Data, b.ACL, owner, b.ParentCVersion, hdr.Zxid, hdr.Time)
	case *jute.CreateContainerTxn:
		r.Path = b.Path
		r.Stat, err = t.createNode(b.Path, b.Data, b.ACL, containerOwner, b.ParentCVersion, hdr.Zxid, hdr.Time)
	case *jute.CreateTTLTxn:
		r.Path = b.Path
		r.Stat, err = t.createNode(b.Path, b.Data, b.ACL, ttlOwner(b.TTL), b.ParentCVersion, hdr.Zxid, hdr.Time)
	case *jute.DeleteTxn:
		r.Path = b.Path
		err = t.deleteNode(b.Path, hdr.Zxid)
	case *jute.SetDataTxn:
		r.Path = b.Path
		r.Stat, err = t.setData(b.Path, b.Data, b.Version, hdr.Zxid, hdr.Time)
		if typ == jute.OpReconfig {
			r.Data = b.Data
		}
	case *jute.SetACLTxn:
		r.Path = b.Path
		r.Stat, err = t.setACL(b.Path, b.ACL, b.Version)
	case *jute.CheckVersionTxn:
		r.Path = b.Path
		if n := t.nodes[b.Path]; n != nil {
			r.Stat = n.clientStat()
		}
	case *jute.CreateSessionTxn:
		t.sessions[hdr.ClientID] = b.TimeOut
	case *jute.CloseSessionTxn:
		t.killSession(hdr.ClientID, b.Paths2Delete, hdr.Zxid)
	case *jute.ErrorTxn:
		r.Type = jute.OpError
		r.Err = b.Err
	case *jute.MultiTxn:
		r.Multi = t.applyMulti(hdr, b)
	case nil:
		if typ == jute.OpCloseSession {
			t.killSession(hdr.ClientID, nil, hdr.Zxid)
		}
	default:
		panic(fmt.Sprintf("znode: Apply of unknown txn body %T (type %v, zxid %#x)", body, typ, hdr.Zxid))
	}
	if err != nil {
		r.Err = Code(err)
	}
	return r
}

func (t *Tree) applyMulti(hdr *jute.TxnHeader, m *jute.MultiTxn) []Result {
	failed := false
	for _, op := range m.Txns {
		if op.Type == jute.OpError {
			failed = true
			break
		}
	}
	out := make([]Result, 0, len(m.Txns))
	postFailed := false
	for _, op := range m.Txns {
		if failed {
			if op.Type == jute.OpError {
				postFailed = true
				code := jute.CodeRuntimeInconsistency
				if e, ok := op.Body.(*jute.ErrorTxn); ok {
					code = e.Err
				}
				out = append(out, Result{Type: jute.OpError, Err: code})
				continue
			}
			code := jute.CodeOK
			if postFailed {
				code = jute.CodeRuntimeInconsistency
			}
			out = append(out, Result{Type: jute.OpError, Err: code})
			continue
		}
		out = append(out, t.apply(hdr, op.Type, op.Body))
	}
	return out
}

func (t *Tree) createNode(path string, data []byte, acl []jute.ACL, owner int64, parentCVersion int32, zxid, timeMs int64) (jute.Stat, error) {
	parentPath, name := splitPath(path)
	parent := t.nodes[parentPath]
	if parent == nil {
		return jute.Stat{}, ErrNoNode
	}
	if t.nodes[path] != nil {
		return jute.Stat{}, ErrNodeExists
	}
	if parentCVersion == -1 {
		parentCVersion = parent.stat.Cversion + 1
	}
	if parentCVersion > parent.stat.Cversion {
		parent.stat.Cversion = parentCVersion
		parent.stat.Pzxid = zxid
	}
	n := &node{
		data: data,
		acl:  t.internACL(acl),
		stat: jute.Stat{Czxid: zxid, Mzxid: zxid, Ctime: timeMs, Mtime: timeMs, EphemeralOwner: owner, Pzxid: zxid},
	}
	parent.addChild(name)
	t.nodes[path] = n
	t.dataSize += int64(len(path) + len(data))
	switch kindOf(owner) {
	case kindContainer:
		t.containers[path] = struct{}{}
	case kindTTL:
		t.ttls[path] = struct{}{}
	case kindEphemeral:
		if t.ephemerals[owner] == nil {
			t.ephemerals[owner] = make(map[string]struct{})
		}
		t.ephemerals[owner][path] = struct{}{}
	}
	t.fire(t.dataWatches, path, jute.EventNodeCreated, zxid, n.acl, nil)
	t.fire(t.childWatches, parentPath, jute.EventNodeChildrenChanged, zxid, parent.acl, nil)
	return n.clientStat(), nil
}

func (t *Tree) deleteNode(path string, zxid int64) error {
	parentPath, name := splitPath(path)
	parent := t.nodes[parentPath]
	if parent == nil || path == "/" {
		return ErrNoNode
	}
	// As ZooKeeper does, the parent's pzxid moves even when the child is
	// already gone (replay of the log over a fuzzy snapshot).
	if zxid > parent.stat.Pzxid {
		parent.stat.Pzxid = zxid
	}
	n := t.nodes[path]
	if n == nil {
		return ErrNoNode
	}
	delete(parent.children, name)
	delete(t.nodes, path)
	t.dataSize -= int64(len(path) + len(n.data))
	owner := n.stat.EphemeralOwner
	switch kindOf(owner) {
	case kindContainer:
		delete(t.containers, path)
	case kindTTL:
		delete(t.ttls, path)
	case kindEphemeral:
		delete(t.ephemerals[owner], path)
		if len(t.ephemerals[owner]) == 0 {
			delete(t.ephemerals, owner)
		}
	}
	processed := t.fire(t.dataWatches, path, jute.EventNodeDeleted, zxid, n.acl, nil)
	t.fire(t.childWatches, path, jute.EventNodeDeleted, zxid, n.acl, processed)
	t.fire(t.childWatches, parentPath, jute.EventNodeChildrenChanged, zxid, parent.acl, nil)
	return nil
}

func (t *Tree) setData(path string, data []byte, version int32, zxid, timeMs int64) (jute.Stat, error) {
	n := t.nodes[path]
	if n == nil {
		return jute.Stat{}, ErrNoNode
	}
	t.dataSize += int64(len(data) - len(n.data))
	n.data = data
	n.stat.Mtime = timeMs
	n.stat.Mzxid = zxid
	n.stat.Version = version
	t.fire(t.dataWatches, path, jute.EventNodeDataChanged, zxid, n.acl, nil)
	return n.clientStat(), nil
}

func (t *Tree) setACL(path string, acl []jute.ACL, version int32) (jute.Stat, error) {
	n := t.nodes[path]
	if n == nil {
		return jute.Stat{}, ErrNoNode
	}
	n.acl = t.internACL(acl)
	n.stat.Aversion = version
	return n.clientStat(), nil
}

// killSession deletes the given paths, then whatever ephemerals the session
// still has (all of them when paths is nil), and forgets the session, as
// DataTree.killSession does.
func (t *Tree) killSession(session int64, paths []string, zxid int64) {
	delete(t.sessions, session)
	for _, p := range paths {
		// A path that is already gone was deleted earlier in the log.
		_ = t.deleteNode(p, zxid)
	}
	rest := make([]string, 0, len(t.ephemerals[session]))
	for p := range t.ephemerals[session] {
		rest = append(rest, p)
	}
	sort.Strings(rest)
	for _, p := range rest {
		_ = t.deleteNode(p, zxid)
	}
}

// fire notifies the watchers of path in tab, skipping those in suppress and
// those that the node's ACL does not let read, and returns who was notified.
func (t *Tree) fire(tab *watchTable, path string, typ jute.EventType, zxid int64, acl []jute.ACL, suppress map[Watcher]struct{}) map[Watcher]struct{} {
	if len(tab.byPath) == 0 {
		return nil
	}
	ws := make(map[Watcher]struct{})
	tab.trigger(path, typ, ws)
	for w := range ws {
		if _, skip := suppress[w]; skip {
			continue
		}
		if !CheckACL(acl, jute.PermRead, w.AuthIDs()) {
			continue
		}
		w.Event(Event{Type: typ, Path: path, Zxid: zxid})
	}
	return ws
}
