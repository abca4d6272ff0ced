package znode

import (
	"fmt"
	"sort"
	"sync"

	"github.com/zkmesh/zkmesh/jute"
)

// PrepConfig holds the server settings that change how requests are
// prepared.
type PrepConfig struct {
	// ExtendedTypesEnabled allows TTL nodes (zookeeper.extendedTypesEnabled).
	ExtendedTypesEnabled bool
	// SkipACL disables every ACL check (zookeeper.skipACL).
	SkipACL bool
	// ReconfigEnabled is reconfigEnabled. Without it reconfig is
	// RECONFIGDISABLED; with it, UNIMPLEMENTED on a standalone server (as
	// ZooKeeper answers) and, in an ensemble, what Reconfig decides.
	ReconfigEnabled bool
	// Standalone is set on a server with no ensemble.
	Standalone bool
	// Reconfig prepares a reconfig on an ensemble's leader: it checks req
	// against the membership, calls authorize (which checks WRITE on
	// /zookeeper/config, ZooKeeper's last check) once req is valid, and
	// only then records the change as in progress and returns the new
	// /zookeeper/config contents, which the txn at zxid sets. An error
	// from it or from authorize fails the request; jute.Codes pass through
	// to the client. Nil means UNIMPLEMENTED.
	Reconfig func(req *jute.ReconfigRequest, zxid int64, authorize func() error) ([]byte, error)
}

// Request is a client write request to prepare.
type Request struct {
	SessionID int64
	Cxid      int32
	Type      jute.OpCode
	// Body is the decoded request record: *jute.CreateRequest,
	// *jute.CreateTTLRequest, *jute.DeleteRequest (also for
	// OpDeleteContainer), *jute.SetDataRequest, *jute.SetACLRequest,
	// *jute.CheckVersionRequest, *jute.MultiRequest, *jute.CreateSessionTxn
	// (OpCreateSession) or nil (OpCloseSession).
	Body jute.Record
	// Auth is the caller's authenticated ids.
	Auth []jute.Id
	// Internal marks a request the server makes itself, not a client (an
	// observer admitted through gossip): a reconfig is prepared even
	// without reconfigEnabled. Every other check, ACLs included, applies.
	Internal bool
}

// Prep turns write requests into txns, as ZooKeeper's PrepRequestProcessor
// does: it checks paths, ACLs and versions against the tree as it will be
// once every txn already prepared has been applied (the outstanding
// changes), so that many writes can be in flight at once.
//
// Prepare must be called from one goroutine, in zxid order. Applied may be
// called from another goroutine.
type Prep struct {
	tree *Tree
	cfg  PrepConfig

	mu sync.Mutex
	// changes holds, per path, the newest outstanding change.
	// Invariant: every change in changes is also in order.
	changes map[string]*change
	order   []*change
}

// change is the state a path will have once txn zxid is applied.
type change struct {
	zxid   int64
	path   string
	exists bool
	rec    record
}

// NewPrep returns a Prep over tree.
func NewPrep(tree *Tree, cfg PrepConfig) *Prep {
	return &Prep{tree: tree, cfg: cfg, changes: make(map[string]*change)}
}

// Applied tells Prep that every txn up to and including zxid is now in the
// tree, so outstanding changes up to it can be forgotten.
func (p *Prep) Applied(zxid int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	i := 0
	for i < len(p.order) && p.order[i].zxid <= zxid {
		c := p.order[i]
		if p.changes[c.path] == c {
			delete(p.changes, c.path)
		}
		p.order[i] = nil
		i++
	}
	p.order = p.order[i:]
}

// Outstanding returns how many changes are waiting to be applied.
func (p *Prep) Outstanding() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.order)
}

func (p *Prep) get(path string) (record, bool) {
	p.mu.Lock()
	c := p.changes[path]
	p.mu.Unlock()
	if c != nil {
		return c.rec, c.exists
	}
	return p.tree.lookup(path)
}

func (p *Prep) put(zxid int64, path string, exists bool, rec record) {
	c := &change{zxid: zxid, path: path, exists: exists, rec: rec}
	p.mu.Lock()
	p.changes[path] = c
	p.order = append(p.order, c)
	p.mu.Unlock()
}

func (p *Prep) checkACL(acl []jute.ACL, perm jute.Perm, ids []jute.Id) error {
	if p.cfg.SkipACL || CheckACL(acl, perm, ids) {
		return nil
	}
	return ErrNoAuth
}

// versioned looks path up for a versioned change, in ZooKeeper's order: it
// must exist, grant perm to auth, and be at the expected version (-1: any)
// of its data version, or of its ACL version when aversion is set. It
// returns the node's record and the version the change gives it.
func (p *Prep) versioned(path string, perm jute.Perm, auth []jute.Id, expected int32, aversion bool) (record, int32, error) {
	rec, ok := p.get(path)
	if !ok {
		return record{}, 0, ErrNoNode
	}
	if err := p.checkACL(rec.acl, perm, auth); err != nil {
		return record{}, 0, err
	}
	current := rec.stat.Version
	if aversion {
		current = rec.stat.Aversion
	}
	v, err := checkVersion(current, expected)
	if err != nil {
		return record{}, 0, err
	}
	return rec, v, nil
}

func checkVersion(current, expected int32) (int32, error) {
	if expected != -1 && expected != current {
		return 0, ErrBadVersion
	}
	return current + 1, nil
}

// Prepare turns req into the txn to log under zxid, at time timeMs. A request
// that fails yields an OpError header and an ErrorTxn with the code, which is
// logged like any txn (ZooKeeper spends a zxid on it too).
func (p *Prep) Prepare(zxid, timeMs int64, req *Request) (jute.TxnHeader, jute.Record) {
	hdr := jute.TxnHeader{ClientID: req.SessionID, Cxid: req.Cxid, Zxid: zxid, Time: timeMs, Type: req.Type}
	var body jute.Record
	var err error
	if req.Type == jute.OpMulti {
		body = p.prepareMulti(zxid, timeMs, req)
	} else if req.Type == jute.OpReconfig {
		body, err = p.prepareReconfig(zxid, timeMs, req.Auth, req.Body, req.Internal)
	} else {
		body, err = p.prepareOne(zxid, timeMs, req.Type, req.SessionID, req.Auth, req.Body)
	}
	if err != nil {
		hdr.Type = jute.OpError
		return hdr, &jute.ErrorTxn{Err: Code(err)}
	}
	return hdr, body
}

func (p *Prep) prepareMulti(zxid, timeMs int64, req *Request) jute.Record {
	m, ok := req.Body.(*jute.MultiRequest)
	if !ok {
		panic(fmt.Sprintf("znode: multi request body is %T", req.Body))
	}
	// Save the outstanding changes of every path the multi may touch, to
	// roll back to if one op fails.
	saved := make(map[string]*change)
	p.mu.Lock()
	for _, op := range m.Ops {
		if path := opPath(op.Req); path != "" {
			parent, _ := splitPath(path)
			for _, q := range []string{path, parent} {
				if c, ok := p.changes[q]; ok {
					saved[q] = c
				}
			}
		}
	}
	p.mu.Unlock()

	out := &jute.MultiTxn{Txns: make([]jute.TxnOp, 0, len(m.Ops))}
	var failed error
	for _, op := range m.Ops {
		if failed != nil {
			out.Txns = append(out.Txns, jute.TxnOp{Type: jute.OpError, Body: &jute.ErrorTxn{Err: jute.CodeRuntimeInconsistency}})
			continue
		}
		typ, opReq := multiOp(op.Type, op.Req)
		body, err := p.prepareOne(zxid, timeMs, typ, req.SessionID, req.Auth, opReq)
		if err != nil {
			failed = err
			out.Txns = append(out.Txns, jute.TxnOp{Type: jute.OpError, Body: &jute.ErrorTxn{Err: Code(err)}})
			p.rollback(zxid, saved)
			continue
		}
		out.Txns = append(out.Txns, jute.TxnOp{Type: typ, Body: body})
	}
	return out
}

// rollback forgets the changes of the failed multi at zxid (the newest ones,
// at the end of order) and brings back the saved changes that are still
// outstanding, as rollbackPendingChanges does. A saved change that Applied
// has forgotten since the multi began is in the tree now and must not come
// back: nothing would ever forget it again.
func (p *Prep) rollback(zxid int64, saved map[string]*change) {
	p.mu.Lock()
	defer p.mu.Unlock()
	i := len(p.order)
	for i > 0 && p.order[i-1].zxid == zxid {
		i--
		c := p.order[i]
		if p.changes[c.path] == c {
			delete(p.changes, c.path)
		}
		p.order[i] = nil
	}
	p.order = p.order[:i]
	if len(p.order) == 0 {
		return
	}
	first := p.order[0].zxid
	for path, c := range saved {
		if c.zxid >= first {
			p.changes[path] = c
		}
	}
}

// multiOp rebuilds a create inside a multi from its flags, as ZooKeeper's
// MultiOperationRecord does through Op.create: container flags give a
// createContainer whatever opcode the client sent; a createTTL request with
// TTL flags stays createTTL; anything else is a plain create (so create2 is
// logged and answered as create, and a createTTL request without TTL flags
// loses its ttl). Invalid flags count as persistent here and are refused
// when the create is prepared. A CreateRequest with TTL flags is left as
// sent (ZooKeeper fails on it with an internal error).
func multiOp(typ jute.OpCode, body jute.Record) (jute.OpCode, jute.Record) {
	modeOf := func(f jute.CreateMode) jute.CreateMode {
		if !f.Valid() {
			return jute.ModePersistent
		}
		return f
	}
	switch b := body.(type) {
	case *jute.CreateRequest:
		if typ != jute.OpCreate && typ != jute.OpCreate2 && typ != jute.OpCreateContainer {
			return typ, body
		}
		switch mode := modeOf(b.Flags); {
		case mode.Container():
			return jute.OpCreateContainer, b
		case mode.TTL():
			return typ, b
		}
		return jute.OpCreate, b
	case *jute.CreateTTLRequest:
		if typ != jute.OpCreateTTL {
			return typ, body
		}
		mode := modeOf(b.Flags)
		if mode.TTL() {
			return typ, b
		}
		plain := &jute.CreateRequest{Path: b.Path, Data: b.Data, ACL: b.ACL, Flags: b.Flags}
		if mode.Container() {
			return jute.OpCreateContainer, plain
		}
		return jute.OpCreate, plain
	}
	return typ, body
}

func opPath(r jute.Record) string {
	switch b := r.(type) {
	case *jute.CreateRequest:
		return b.Path
	case *jute.CreateTTLRequest:
		return b.Path
	case *jute.DeleteRequest:
		return b.Path
	case *jute.SetDataRequest:
		return b.Path
	case *jute.CheckVersionRequest:
		return b.Path
	}
	return ""
}

func (p *Prep) prepareOne(zxid, timeMs int64, typ jute.OpCode, session int64, auth []jute.Id, body jute.Record) (jute.Record, error) {
	switch typ {
	case jute.OpCreate, jute.OpCreate2, jute.OpCreateContainer, jute.OpCreateTTL:
		return p.prepareCreate(zxid, timeMs, typ, session, auth, body)
	case jute.OpDelete, jute.OpDeleteContainer:
		b, ok := body.(*jute.DeleteRequest)
		if !ok {
			return nil, ErrMarshalling
		}
		return p.prepareDelete(zxid, typ, auth, b)
	case jute.OpSetData:
		b, ok := body.(*jute.SetDataRequest)
		if !ok {
			return nil, ErrMarshalling
		}
		if err := ValidatePath(b.Path); err != nil {
			return nil, err
		}
		rec, v, err := p.versioned(b.Path, jute.PermWrite, auth, b.Version, false)
		if err != nil {
			return nil, err
		}
		rec.stat.Version, rec.stat.Mtime, rec.stat.Mzxid = v, timeMs, zxid
		p.put(zxid, b.Path, true, rec)
		return &jute.SetDataTxn{Path: b.Path, Data: b.Data, Version: v}, nil
	case jute.OpSetACL:
		b, ok := body.(*jute.SetACLRequest)
		if !ok {
			return nil, ErrMarshalling
		}
		if err := ValidatePath(b.Path); err != nil {
			return nil, err
		}
		acl, err := FixupACL(b.ACL, auth)
		if err != nil {
			return nil, err
		}
		rec, v, err := p.versioned(b.Path, jute.PermAdmin, auth, b.Version, true)
		if err != nil {
			return nil, err
		}
		rec.stat.Aversion, rec.acl = v, acl
		p.put(zxid, b.Path, true, rec)
		return &jute.SetACLTxn{Path: b.Path, ACL: acl, Version: v}, nil
	case jute.OpCheck:
		b, ok := body.(*jute.CheckVersionRequest)
		if !ok {
			return nil, ErrMarshalling
		}
		if err := ValidatePath(b.Path); err != nil {
			return nil, err
		}
		_, v, err := p.versioned(b.Path, jute.PermRead, auth, b.Version, false)
		if err != nil {
			return nil, err
		}
		return &jute.CheckVersionTxn{Path: b.Path, Version: v}, nil
	case jute.OpCreateSession:
		b, ok := body.(*jute.CreateSessionTxn)
		if !ok {
			return nil, ErrMarshalling
		}
		return b, nil
	case jute.OpCloseSession:
		return p.prepareCloseSession(zxid, session), nil
	case jute.OpReconfig:
		return p.prepareReconfig(zxid, timeMs, auth, body, false)
	}
	return nil, ErrUnimplemented
}

// prepareReconfig prepares a reconfig through the Reconfig hook; internal
// is Request.Internal.
func (p *Prep) prepareReconfig(zxid, timeMs int64, auth []jute.Id, body jute.Record, internal bool) (jute.Record, error) {
	if !p.cfg.ReconfigEnabled && !internal {
		return nil, ErrReconfigDisabled
	}
	req, ok := body.(*jute.ReconfigRequest)
	if !ok {
		return nil, ErrMarshalling
	}
	if p.cfg.Standalone || p.cfg.Reconfig == nil {
		return nil, ErrUnimplemented
	}
	rec, ok := p.get(ConfigPath)
	if !ok {
		return nil, ErrNoNode
	}
	data, err := p.cfg.Reconfig(req, zxid, func() error { return p.checkACL(rec.acl, jute.PermWrite, auth) })
	if err != nil {
		return nil, err
	}
	rec.stat.Version, rec.stat.Mtime, rec.stat.Mzxid = -1, timeMs, zxid
	p.put(zxid, ConfigPath, true, rec)
	return &jute.SetDataTxn{Path: ConfigPath, Data: data, Version: -1}, nil
}

func (p *Prep) prepareCreate(zxid, timeMs int64, typ jute.OpCode, session int64, auth []jute.Id, body jute.Record) (jute.Record, error) {
	var (
		path  string
		data  []byte
		acl   []jute.ACL
		flags jute.CreateMode
		ttl   int64 = -1
	)
	switch b := body.(type) {
	case *jute.CreateRequest:
		path, data, acl, flags = b.Path, b.Data, b.ACL, b.Flags
	case *jute.CreateTTLRequest:
		path, data, acl, flags, ttl = b.Path, b.Data, b.ACL, b.Flags, b.TTL
	default:
		return nil, ErrMarshalling
	}
	if !flags.Valid() {
		return nil, ErrBadArguments
	}
	if flags.TTL() && !p.cfg.ExtendedTypesEnabled {
		return nil, ErrUnimplemented
	}
	if flags.TTL() {
		if ttl <= 0 || ttl > MaxTTLMs {
			return nil, ErrBadArguments
		}
	} else if ttl >= 0 {
		return nil, ErrBadArguments
	}
	parentPath, err := parentForCreate(path)
	if err != nil {
		return nil, err
	}
	acl, err = FixupACL(acl, auth)
	if err != nil {
		return nil, err
	}
	parent, ok := p.get(parentPath)
	if !ok {
		return nil, ErrNoNode
	}
	if err := p.checkACL(parent.acl, jute.PermCreate, auth); err != nil {
		return nil, err
	}
	if flags.Sequential() {
		path += fmt.Sprintf("%010d", parent.stat.Cversion)
	}
	if err := ValidatePath(path); err != nil {
		return nil, err
	}
	if _, exists := p.get(path); exists {
		return nil, ErrNodeExists
	}
	if kindOf(parent.stat.EphemeralOwner) == kindEphemeral {
		return nil, ErrNoChildrenForEphemerals
	}
	newCversion := parent.stat.Cversion + 1

	var txn jute.Record
	owner := int64(0)
	switch {
	case typ == jute.OpCreateContainer:
		txn = &jute.CreateContainerTxn{Path: path, Data: data, ACL: acl, ParentCVersion: newCversion}
	case typ == jute.OpCreateTTL:
		txn = &jute.CreateTTLTxn{Path: path, Data: data, ACL: acl, ParentCVersion: newCversion, TTL: ttl}
	default:
		txn = &jute.CreateTxn{Path: path, Data: data, ACL: acl, Ephemeral: flags.Ephemeral(), ParentCVersion: newCversion}
	}
	switch {
	case flags.Container():
		owner = containerOwner
	case flags.TTL():
		owner = ttlOwner(ttl)
	case flags.Ephemeral():
		owner = session
	}
	parent.stat.Cversion = newCversion
	parent.stat.Pzxid = zxid
	parent.childCount++
	p.put(zxid, parentPath, true, parent)
	p.put(zxid, path, true, record{
		stat: jute.Stat{Czxid: zxid, Mzxid: zxid, Ctime: timeMs, Mtime: timeMs, EphemeralOwner: owner, Pzxid: zxid},
		acl:  acl,
	})
	return txn, nil
}

func (p *Prep) prepareDelete(zxid int64, typ jute.OpCode, auth []jute.Id, b *jute.DeleteRequest) (jute.Record, error) {
	// getParentPathAndValidate: the root and the system nodes can never be
	// deleted.
	if !containsSlash(b.Path) || containsNUL(b.Path) || isSpecialPath(b.Path) {
		return nil, ErrBadArguments
	}
	parentPath, _ := splitPath(b.Path)
	if typ == jute.OpDeleteContainer {
		rec, ok := p.get(b.Path)
		if !ok {
			return nil, ErrNoNode
		}
		if rec.childCount > 0 {
			return nil, ErrNotEmpty
		}
		if k := kindOf(rec.stat.EphemeralOwner); k != kindContainer && k != kindTTL {
			return nil, ErrBadVersion
		}
	}
	parent, ok := p.get(parentPath)
	if !ok {
		return nil, ErrNoNode
	}
	if typ == jute.OpDelete {
		if err := p.checkACL(parent.acl, jute.PermDelete, auth); err != nil {
			return nil, err
		}
	}
	rec, ok := p.get(b.Path)
	if !ok {
		return nil, ErrNoNode
	}
	if typ == jute.OpDelete {
		if _, err := checkVersion(rec.stat.Version, b.Version); err != nil {
			return nil, err
		}
	}
	if rec.childCount > 0 {
		return nil, ErrNotEmpty
	}
	parent.childCount--
	parent.stat.Pzxid = zxid
	p.put(zxid, parentPath, true, parent)
	p.put(zxid, b.Path, false, record{})
	return &jute.DeleteTxn{Path: b.Path}, nil
}

func (p *Prep) prepareCloseSession(zxid, session int64) jute.Record {
	// The tree's ephemerals and the outstanding changes are read under p.mu,
	// so that Applied cannot forget a change between the two reads: the tree
	// may then be newer than the changes, never the other way round, and
	// every change seen still overrides the tree.
	p.mu.Lock()
	paths := make(map[string]struct{})
	for _, e := range p.tree.sessionEphemerals(session) {
		paths[e] = struct{}{}
	}
	for _, c := range p.order {
		if p.changes[c.path] != c {
			continue
		}
		if !c.exists {
			delete(paths, c.path)
		} else if c.rec.stat.EphemeralOwner == session {
			paths[c.path] = struct{}{}
		}
	}
	p.mu.Unlock()
	list := make([]string, 0, len(paths))
	for q := range paths {
		list = append(list, q)
	}
	sort.Strings(list)
	for _, q := range list {
		parentPath, _ := splitPath(q)
		if parent, ok := p.get(parentPath); ok {
			parent.childCount--
			parent.stat.Pzxid = zxid
			p.put(zxid, parentPath, true, parent)
		}
		p.put(zxid, q, false, record{})
	}
	return &jute.CloseSessionTxn{Paths2Delete: list}
}

// Reset forgets every outstanding change. A new leader calls it: what an
// earlier leadership prepared and did not commit will never be applied.
func (p *Prep) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	clear(p.changes)
	p.order = nil
}
