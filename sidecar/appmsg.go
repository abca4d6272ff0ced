package sidecar

import (
	"fmt"

	"github.com/zkmesh/zkmesh/jute"
)

// appKind is the kind of an application message between a learner and its
// leader, carried opaquely by zab (MsgApp).
type appKind uint8

const (
	// appForward: a learner forwards a client write (or a session
	// create/close) for the leader to prepare and propose.
	appForward appKind = iota + 1
	// appTouch: a learner reports the sessions active on it since its last
	// report, so that the leader, which expires sessions, keeps them alive.
	appTouch
	// appSync: a learner asks to be told when everything the leader has
	// proposed so far is committed (the client's sync).
	appSync
	// appSyncDone answers appSync with the same SyncID.
	appSyncDone
)

// appMsg is the payload of a MsgApp, encoded with jute's bounds-checked
// primitives: a version byte, then kind, session, cxid, op, body, the auth
// ids, the touched sessions, the sync id and a zxid, in that order. Every length
// read from a peer is checked against the bytes that remain before
// anything is allocated.
type appMsg struct {
	Kind     appKind
	Session  int64
	Cxid     int32
	Op       int32
	Body     []byte
	Auth     []jute.Id
	Sessions []int64
	SyncID   uint64
	// Zxid, in appSyncDone, is the leader's last proposed zxid when the sync
	// arrived: the sync completes once the member has applied it.
	Zxid int64
}

const appMsgVersion = 1

// maxAppMsgBytes bounds one application message (a forwarded request is at
// most a client frame).
const maxAppMsgBytes = 64 << 20

func encodeAppMsg(m *appMsg) []byte {
	e := jute.NewEncoder(make([]byte, 0, 64+len(m.Body)))
	e.Raw([]byte{appMsgVersion, byte(m.Kind)})
	e.Long(m.Session)
	e.Int(m.Cxid)
	e.Int(m.Op)
	e.Buffer(m.Body)
	e.Int(int32(len(m.Auth)))
	for i := range m.Auth {
		m.Auth[i].Encode(e)
	}
	e.Int(int32(len(m.Sessions)))
	for _, sid := range m.Sessions {
		e.Long(sid)
	}
	e.Long(int64(m.SyncID))
	e.Long(m.Zxid)
	return e.Bytes()
}

// decodeAppMsg decodes a payload from a peer. The bytes are untrusted.
func decodeAppMsg(b []byte) (*appMsg, error) {
	if len(b) > maxAppMsgBytes {
		return nil, fmt.Errorf("sidecar: app message of %d bytes exceeds %d", len(b), maxAppMsgBytes)
	}
	if len(b) < 2 || b[0] != appMsgVersion {
		return nil, fmt.Errorf("sidecar: app message of unknown version")
	}
	m := &appMsg{Kind: appKind(b[1])}
	if m.Kind < appForward || m.Kind > appSyncDone {
		return nil, fmt.Errorf("sidecar: app message of unknown kind %d", m.Kind)
	}
	d := jute.NewDecoder(b[2:])
	m.Session = d.Long()
	m.Cxid = d.Int()
	m.Op = d.Int()
	m.Body = d.Buffer()
	if n := d.VectorLen(8); n > 0 { // an Id is two strings: at least 8 bytes
		m.Auth = make([]jute.Id, n)
		for i := range m.Auth {
			m.Auth[i].Decode(d)
		}
	}
	if n := d.VectorLen(8); n > 0 {
		m.Sessions = make([]int64, n)
		for i := range m.Sessions {
			m.Sessions[i] = d.Long()
		}
	}
	m.SyncID = uint64(d.Long())
	m.Zxid = d.Long()
	if err := d.Err(); err != nil {
		return nil, fmt.Errorf("sidecar: malformed app message: %w", err)
	}
	if d.Remaining() != 0 {
		return nil, fmt.Errorf("sidecar: malformed app message: %w", jute.ErrTrailingBytes)
	}
	return m, nil
}

// forwardedRequest rebuilds the write a learner forwarded.
func (m *appMsg) forwardedRequest() (jute.OpCode, jute.Record, error) {
	op := jute.OpCode(m.Op)
	switch op {
	case jute.OpCloseSession:
		return op, nil, nil
	case jute.OpCreateSession:
		var t jute.CreateSessionTxn
		if err := jute.Unmarshal(m.Body, &t); err != nil {
			return 0, nil, err
		}
		return op, &t, nil
	}
	if !isWrite(op) {
		return 0, nil, fmt.Errorf("sidecar: forwarded op %v is not a write", op)
	}
	rec, ok := jute.NewRequestRecord(op)
	if !ok || rec == nil {
		return 0, nil, fmt.Errorf("sidecar: forwarded op %v has no request record", op)
	}
	if err := jute.Unmarshal(m.Body, rec); err != nil {
		return 0, nil, err
	}
	return op, rec, nil
}
