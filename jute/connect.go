package jute

// ConnectRequest is the first frame a client sends on a new connection
// (proto.ConnectRequest followed by the readOnly flag that 3.x clients add).
//
// Clients older than 3.3 stop after Passwd. Decode accepts both forms and
// records in HasReadOnly whether the flag was present; Encode writes the flag
// only when HasReadOnly or ReadOnly is set, so a decoded request re-encodes to
// the same bytes. A client that wants to speak the 3.x form sets HasReadOnly.
type ConnectRequest struct {
	ProtocolVersion int32
	LastZxidSeen    int64
	TimeOut         int32
	SessionID       int64
	Passwd          []byte
	ReadOnly        bool
	// HasReadOnly reports that the trailing readOnly byte is (or was) on the
	// wire. A server answers a request without it with a ConnectResponse
	// that has OmitReadOnly set, as ZooKeeper does for old clients.
	HasReadOnly bool
}

// Encode implements Record.
func (r *ConnectRequest) Encode(e *Encoder) {
	e.Int(r.ProtocolVersion)
	e.Long(r.LastZxidSeen)
	e.Int(r.TimeOut)
	e.Long(r.SessionID)
	e.Buffer(r.Passwd)
	if r.HasReadOnly || r.ReadOnly {
		e.Bool(r.ReadOnly)
	}
}

// Decode implements Record. The readOnly byte is read only if bytes remain
// after the password.
func (r *ConnectRequest) Decode(d *Decoder) {
	r.ProtocolVersion = d.Int()
	r.LastZxidSeen = d.Long()
	r.TimeOut = d.Int()
	r.SessionID = d.Long()
	r.Passwd = d.Buffer()
	r.ReadOnly, r.HasReadOnly = false, false
	if d.Err() == nil && d.Remaining() > 0 {
		r.ReadOnly = d.Bool()
		r.HasReadOnly = true
	}
}

// ConnectResponse is the server's answer to a ConnectRequest
// (proto.ConnectResponse followed by the readOnly flag).
//
// ZooKeeper 3.8 writes the readOnly byte to every client that sent one, and
// omits it for old clients that did not; a rejected session is answered with
// TimeOut 0, SessionID 0 and a 16-byte zero password.
type ConnectResponse struct {
	ProtocolVersion int32
	TimeOut         int32
	SessionID       int64
	Passwd          []byte
	ReadOnly        bool
	// OmitReadOnly leaves the readOnly byte off the wire, for a client whose
	// ConnectRequest lacked it. Decode sets it when the byte is absent.
	OmitReadOnly bool
}

// Encode implements Record.
func (r *ConnectResponse) Encode(e *Encoder) {
	e.Int(r.ProtocolVersion)
	e.Int(r.TimeOut)
	e.Long(r.SessionID)
	e.Buffer(r.Passwd)
	if !r.OmitReadOnly || r.ReadOnly {
		e.Bool(r.ReadOnly)
	}
}

// Decode implements Record. The readOnly byte is read only if bytes remain
// after the password.
func (r *ConnectResponse) Decode(d *Decoder) {
	r.ProtocolVersion = d.Int()
	r.TimeOut = d.Int()
	r.SessionID = d.Long()
	r.Passwd = d.Buffer()
	r.ReadOnly, r.OmitReadOnly = false, true
	if d.Err() == nil && d.Remaining() > 0 {
		r.ReadOnly = d.Bool()
		r.OmitReadOnly = false
	}
}
