package jute

// TxnHeader precedes every transaction in the log and in proposals
// (txn.TxnHeader). Type says which body follows; Time is the leader's wall
// clock in milliseconds when it prepared the txn.
type TxnHeader struct {
	ClientID int64
	Cxid     int32
	Zxid     int64
	Time     int64
	Type     OpCode
}

// TxnHeaderSize is the encoded size of a TxnHeader.
const TxnHeaderSize = 32

// Encode implements Record.
func (r *TxnHeader) Encode(e *Encoder) {
	e.Long(r.ClientID)
	e.Int(r.Cxid)
	e.Long(r.Zxid)
	e.Long(r.Time)
	e.Int(int32(r.Type))
}

// Decode implements Record.
func (r *TxnHeader) Decode(d *Decoder) {
	r.ClientID = d.Long()
	r.Cxid = d.Int()
	r.Zxid = d.Long()
	r.Time = d.Long()
	r.Type = OpCode(d.Int())
}

// CreateTxn creates a persistent or ephemeral node, sequential or not; it is
// logged under OpCreate and OpCreate2 (txn.CreateTxn). ParentCVersion is
// the parent's cversion after the create.
type CreateTxn struct {
	Path           string
	Data           []byte
	ACL            []ACL
	Ephemeral      bool
	ParentCVersion int32
}

// Encode implements Record.
func (r *CreateTxn) Encode(e *Encoder) {
	e.String(r.Path)
	e.Buffer(r.Data)
	EncodeACLs(e, r.ACL)
	e.Bool(r.Ephemeral)
	e.Int(r.ParentCVersion)
}

// Decode implements Record.
func (r *CreateTxn) Decode(d *Decoder) {
	r.Path = d.String()
	r.Data = d.Buffer()
	r.ACL = DecodeACLs(d)
	r.Ephemeral = d.Bool()
	r.ParentCVersion = d.Int()
}

// CreateContainerTxn creates a container node (txn.CreateContainerTxn),
// logged under OpCreateContainer.
type CreateContainerTxn struct {
	Path           string
	Data           []byte
	ACL            []ACL
	ParentCVersion int32
}

// Encode implements Record.
func (r *CreateContainerTxn) Encode(e *Encoder) {
	e.String(r.Path)
	e.Buffer(r.Data)
	EncodeACLs(e, r.ACL)
	e.Int(r.ParentCVersion)
}

// Decode implements Record.
func (r *CreateContainerTxn) Decode(d *Decoder) {
	r.Path = d.String()
	r.Data = d.Buffer()
	r.ACL = DecodeACLs(d)
	r.ParentCVersion = d.Int()
}

// CreateTTLTxn creates a node with a time to live in milliseconds
// (txn.CreateTTLTxn), logged under OpCreateTTL.
type CreateTTLTxn struct {
	Path           string
	Data           []byte
	ACL            []ACL
	ParentCVersion int32
	TTL            int64
}

// Encode implements Record.
func (r *CreateTTLTxn) Encode(e *Encoder) {
	e.String(r.Path)
	e.Buffer(r.Data)
	EncodeACLs(e, r.ACL)
	e.Int(r.ParentCVersion)
	e.Long(r.TTL)
}

// Decode implements Record.
func (r *CreateTTLTxn) Decode(d *Decoder) {
	r.Path = d.String()
	r.Data = d.Buffer()
	r.ACL = DecodeACLs(d)
	r.ParentCVersion = d.Int()
	r.TTL = d.Long()
}

// DeleteTxn deletes a node (txn.DeleteTxn); logged under OpDelete, and
// under OpDeleteContainer when the server removes an empty container or an
// expired TTL node.
type DeleteTxn struct {
	Path string
}

// Encode implements Record.
func (r *DeleteTxn) Encode(e *Encoder) { e.String(r.Path) }

// Decode implements Record.
func (r *DeleteTxn) Decode(d *Decoder) { r.Path = d.String() }

// SetDataTxn replaces a node's data (txn.SetDataTxn). Version is the node's
// new version. Logged under OpSetData, and under OpReconfig for the new
// /zookeeper/config contents (Version -1).
type SetDataTxn struct {
	Path    string
	Data    []byte
	Version int32
}

// Encode implements Record.
func (r *SetDataTxn) Encode(e *Encoder) { e.String(r.Path); e.Buffer(r.Data); e.Int(r.Version) }

// Decode implements Record.
func (r *SetDataTxn) Decode(d *Decoder) {
	r.Path = d.String()
	r.Data = d.Buffer()
	r.Version = d.Int()
}

// CheckVersionTxn records a passed version check inside a multi
// (txn.CheckVersionTxn), logged under OpCheck.
type CheckVersionTxn struct {
	Path    string
	Version int32
}

// Encode implements Record.
func (r *CheckVersionTxn) Encode(e *Encoder) { e.String(r.Path); e.Int(r.Version) }

// Decode implements Record.
func (r *CheckVersionTxn) Decode(d *Decoder) { r.Path = d.String(); r.Version = d.Int() }

// SetACLTxn replaces a node's ACL (txn.SetACLTxn). Version is the node's
// new aversion. Logged under OpSetACL.
type SetACLTxn struct {
	Path    string
	ACL     []ACL
	Version int32
}

// Encode implements Record.
func (r *SetACLTxn) Encode(e *Encoder) { e.String(r.Path); EncodeACLs(e, r.ACL); e.Int(r.Version) }

// Decode implements Record.
func (r *SetACLTxn) Decode(d *Decoder) {
	r.Path = d.String()
	r.ACL = DecodeACLs(d)
	r.Version = d.Int()
}

// CreateSessionTxn opens a global session with the negotiated timeout in
// milliseconds (txn.CreateSessionTxn), logged under OpCreateSession.
type CreateSessionTxn struct {
	TimeOut int32
}

// Encode implements Record.
func (r *CreateSessionTxn) Encode(e *Encoder) { e.Int(r.TimeOut) }

// Decode implements Record.
func (r *CreateSessionTxn) Decode(d *Decoder) { r.TimeOut = d.Int() }

// CloseSessionTxn closes a session and names the ephemeral nodes it deletes
// (txn.CloseSessionTxn), logged under OpCloseSession. ZooKeeper logs a
// closeSession with no body when zookeeper.closeSessionTxn.enabled is false;
// DecodeTxn then returns a nil body.
type CloseSessionTxn struct {
	Paths2Delete []string
}

// Encode implements Record.
func (r *CloseSessionTxn) Encode(e *Encoder) { e.Strings(r.Paths2Delete) }

// Decode implements Record.
func (r *CloseSessionTxn) Decode(d *Decoder) { r.Paths2Delete = d.Strings() }

// ErrorTxn records a request that failed after a zxid was assigned
// (txn.ErrorTxn), logged under OpError; inside a multi it stands for each
// op of a failed transaction.
type ErrorTxn struct {
	Err Code
}

// Encode implements Record.
func (r *ErrorTxn) Encode(e *Encoder) { e.Int(int32(r.Err)) }

// Decode implements Record.
func (r *ErrorTxn) Decode(d *Decoder) { r.Err = Code(d.Int()) }
