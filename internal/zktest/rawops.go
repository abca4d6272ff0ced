package zktest

import (
	"github.com/zkmesh/zkmesh/jute"
)

// Result is a decoded reply. Reply carries the header (xid, zxid, error
// code); the other fields are filled for the operation that was called and
// only when Reply.Err is CodeOK.
type Result struct {
	Reply      RawReply
	Path       string
	Data       []byte
	Stat       *jute.Stat
	Children   []string
	ACL        []jute.ACL
	Number     int32
	Multi      []MultiResult
	ClientInfo []ClientInfo
}

// ClientInfo is one entry of a whoAmI reply.
type ClientInfo struct {
	AuthScheme string
	User       string
}

// MultiOp is one operation of a multi or multiRead request.
type MultiOp struct {
	Op      jute.OpCode // create, create2, createContainer, createTTL, delete, setData, check; getData, getChildren for multiRead
	Path    string
	Data    []byte
	ACL     []jute.ACL
	Mode    jute.CreateMode
	TTLMs   int64
	Version int32
}

// MultiResult is one operation's result in a multi or multiRead reply.
type MultiResult struct {
	Type     jute.OpCode
	Err      jute.Code
	Path     string
	Stat     *jute.Stat
	Data     []byte
	Children []string
}

// call runs op and, when the reply is OK, decodes its body with dec.
func (c *RawClient) call(op jute.OpCode, body func(*jute.Encoder), dec func(*jute.Decoder, *Result)) (Result, error) {
	r, err := c.Call(op, body)
	res := Result{Reply: r}
	if err != nil || r.Err != jute.CodeOK || dec == nil {
		return res, err
	}
	d := jute.NewDecoder(r.Body)
	dec(d, &res)
	return res, d.Err()
}

func decStat(d *jute.Decoder) *jute.Stat {
	var s jute.Stat
	s.Decode(d)
	return &s
}

func encCreate(e *jute.Encoder, op MultiOp) {
	e.String(op.Path)
	e.Buffer(op.Data)
	jute.EncodeACLs(e, op.ACL)
	e.Int(int32(op.Mode))
	if op.Op == jute.OpCreateTTL {
		e.Long(op.TTLMs)
	}
}

// Create sends op (create, create2, createContainer or createTTL) with the
// fields of req. The reply has Path, and Stat for all but plain create.
func (c *RawClient) Create(req MultiOp) (Result, error) {
	return c.call(req.Op, func(e *jute.Encoder) { encCreate(e, req) }, func(d *jute.Decoder, r *Result) {
		r.Path = d.String()
		if req.Op != jute.OpCreate {
			r.Stat = decStat(d)
		}
	})
}

// Delete sends delete(path, version).
func (c *RawClient) Delete(path string, version int32) (Result, error) {
	return c.call(jute.OpDelete, func(e *jute.Encoder) { e.String(path); e.Int(version) }, nil)
}

// Exists sends exists(path, watch).
func (c *RawClient) Exists(path string, watch bool) (Result, error) {
	return c.call(jute.OpExists, func(e *jute.Encoder) { e.String(path); e.Bool(watch) },
		func(d *jute.Decoder, r *Result) { r.Stat = decStat(d) })
}

// GetData sends getData(path, watch).
func (c *RawClient) GetData(path string, watch bool) (Result, error) {
	return c.call(jute.OpGetData, func(e *jute.Encoder) { e.String(path); e.Bool(watch) },
		func(d *jute.Decoder, r *Result) { r.Data = d.Buffer(); r.Stat = decStat(d) })
}

// SetData sends setData(path, data, version).
func (c *RawClient) SetData(path string, data []byte, version int32) (Result, error) {
	return c.call(jute.OpSetData, func(e *jute.Encoder) { e.String(path); e.Buffer(data); e.Int(version) },
		func(d *jute.Decoder, r *Result) { r.Stat = decStat(d) })
}

// GetACL sends getACL(path).
func (c *RawClient) GetACL(path string) (Result, error) {
	return c.call(jute.OpGetACL, func(e *jute.Encoder) { e.String(path) },
		func(d *jute.Decoder, r *Result) { r.ACL = jute.DecodeACLs(d); r.Stat = decStat(d) })
}

// SetACL sends setACL(path, acl, aversion).
func (c *RawClient) SetACL(path string, acl []jute.ACL, version int32) (Result, error) {
	return c.call(jute.OpSetACL, func(e *jute.Encoder) { e.String(path); jute.EncodeACLs(e, acl); e.Int(version) },
		func(d *jute.Decoder, r *Result) { r.Stat = decStat(d) })
}

// GetChildren sends getChildren(path, watch) (opcode 8, no Stat).
func (c *RawClient) GetChildren(path string, watch bool) (Result, error) {
	return c.call(jute.OpGetChildren, func(e *jute.Encoder) { e.String(path); e.Bool(watch) },
		func(d *jute.Decoder, r *Result) { r.Children = d.Strings() })
}

// GetChildren2 sends getChildren2(path, watch) (opcode 12, with Stat).
func (c *RawClient) GetChildren2(path string, watch bool) (Result, error) {
	return c.call(jute.OpGetChildren2, func(e *jute.Encoder) { e.String(path); e.Bool(watch) },
		func(d *jute.Decoder, r *Result) { r.Children = d.Strings(); r.Stat = decStat(d) })
}

// GetAllChildrenNumber sends getAllChildrenNumber(path).
func (c *RawClient) GetAllChildrenNumber(path string) (Result, error) {
	return c.call(jute.OpGetAllChildrenNumber, func(e *jute.Encoder) { e.String(path) },
		func(d *jute.Decoder, r *Result) { r.Number = d.Int() })
}

// GetEphemerals sends getEphemerals(prefixPath).
func (c *RawClient) GetEphemerals(prefix string) (Result, error) {
	return c.call(jute.OpGetEphemerals, func(e *jute.Encoder) { e.String(prefix) },
		func(d *jute.Decoder, r *Result) { r.Children = d.Strings() })
}

// Sync sends sync(path).
func (c *RawClient) Sync(path string) (Result, error) {
	return c.call(jute.OpSync, func(e *jute.Encoder) { e.String(path) },
		func(d *jute.Decoder, r *Result) { r.Path = d.String() })
}

// Check sends a stand-alone check(path, version).
func (c *RawClient) Check(path string, version int32) (Result, error) {
	return c.call(jute.OpCheck, func(e *jute.Encoder) { e.String(path); e.Int(version) }, nil)
}

// Ping sends a ping (xid -2) and waits for its reply.
func (c *RawClient) Ping() (Result, error) {
	r, err := c.CallXid(jute.XidPing, jute.OpPing, nil)
	return Result{Reply: r}, err
}

// AddAuth sends an auth packet (xid -4). On failure the server answers
// AuthFailed and closes the connection.
func (c *RawClient) AddAuth(scheme string, auth []byte) (Result, error) {
	r, err := c.CallXid(jute.XidAuth, jute.OpAuth, func(e *jute.Encoder) {
		e.Int(0)
		e.String(scheme)
		e.Buffer(auth)
	})
	return Result{Reply: r}, err
}

// AddWatch sends addWatch(path, mode) (jute.AddWatchModePersistent or
// jute.AddWatchModePersistentRecursive).
func (c *RawClient) AddWatch(path string, mode int32) (Result, error) {
	return c.call(jute.OpAddWatch, func(e *jute.Encoder) { e.String(path); e.Int(mode) }, nil)
}

// CheckWatches sends checkWatches(path, type).
func (c *RawClient) CheckWatches(path string, typ jute.WatcherType) (Result, error) {
	return c.call(jute.OpCheckWatches, func(e *jute.Encoder) { e.String(path); e.Int(int32(typ)) }, nil)
}

// RemoveWatches sends removeWatches(path, type).
func (c *RawClient) RemoveWatches(path string, typ jute.WatcherType) (Result, error) {
	return c.call(jute.OpRemoveWatches, func(e *jute.Encoder) { e.String(path); e.Int(int32(typ)) }, nil)
}

// WhoAmI sends whoAmI.
func (c *RawClient) WhoAmI() (Result, error) {
	return c.call(jute.OpWhoAmI, nil, func(d *jute.Decoder, r *Result) {
		n := d.VectorLen(8)
		for i := 0; i < n && d.Err() == nil; i++ {
			r.ClientInfo = append(r.ClientInfo, ClientInfo{AuthScheme: d.String(), User: d.String()})
		}
	})
}

// SetWatches sends setWatches (xid -8, opcode 101) as a client does after
// reconnecting: watches to re-arm, relative to relativeZxid.
func (c *RawClient) SetWatches(relativeZxid int64, data, exist, child []string) (Result, error) {
	r, err := c.CallXid(jute.XidSetWatches, jute.OpSetWatches, func(e *jute.Encoder) {
		e.Long(relativeZxid)
		e.Strings(nonNil(data))
		e.Strings(nonNil(exist))
		e.Strings(nonNil(child))
	})
	return Result{Reply: r}, err
}

// SetWatches2 sends setWatches2 (xid -8, opcode 105), which also re-arms
// persistent and persistent recursive watches.
func (c *RawClient) SetWatches2(relativeZxid int64, data, exist, child, persistent, recursive []string) (Result, error) {
	r, err := c.CallXid(jute.XidSetWatches, jute.OpSetWatches2, func(e *jute.Encoder) {
		e.Long(relativeZxid)
		e.Strings(nonNil(data))
		e.Strings(nonNil(exist))
		e.Strings(nonNil(child))
		e.Strings(nonNil(persistent))
		e.Strings(nonNil(recursive))
	})
	return Result{Reply: r}, err
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Multi sends a multi (opcode 14) or multiRead (opcode 22) of ops. The
// reply's Multi holds one result per op.
func (c *RawClient) Multi(op jute.OpCode, ops []MultiOp) (Result, error) {
	return c.call(op, func(e *jute.Encoder) {
		for _, o := range ops {
			e.Int(int32(o.Op))
			e.Bool(false)
			e.Int(-1)
			switch o.Op {
			case jute.OpCreate, jute.OpCreate2, jute.OpCreateContainer, jute.OpCreateTTL:
				encCreate(e, o)
			case jute.OpDelete, jute.OpCheck:
				e.String(o.Path)
				e.Int(o.Version)
			case jute.OpSetData:
				e.String(o.Path)
				e.Buffer(o.Data)
				e.Int(o.Version)
			case jute.OpGetData, jute.OpGetChildren:
				e.String(o.Path)
				e.Bool(false)
			}
		}
		e.Int(-1)
		e.Bool(true)
		e.Int(-1)
	}, decodeMulti)
}

func decodeMulti(d *jute.Decoder, r *Result) {
	for d.Err() == nil {
		typ := jute.OpCode(d.Int())
		done := d.Bool()
		code := jute.Code(d.Int())
		if done || d.Err() != nil {
			return
		}
		m := MultiResult{Type: typ}
		switch typ {
		case jute.OpCreate:
			m.Path = d.String()
		case jute.OpCreate2, jute.OpCreateContainer, jute.OpCreateTTL:
			m.Path = d.String()
			m.Stat = decStat(d)
		case jute.OpSetData:
			m.Stat = decStat(d)
		case jute.OpGetData:
			m.Data = d.Buffer()
			m.Stat = decStat(d)
		case jute.OpGetChildren:
			m.Children = d.Strings()
		case jute.OpError:
			m.Err = jute.Code(d.Int())
		case jute.OpDelete, jute.OpCheck:
		default:
			m.Err = code
		}
		r.Multi = append(r.Multi, m)
	}
}
