package jute

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrUnknownTxnType is returned by DecodeTxn for a header type that names
// no transaction.
var ErrUnknownTxnType = errors.New("jute: unknown txn type")

// NewTxnRecord returns a fresh zero body record for a txn logged under op,
// mirroring ZooKeeper 3.8's PrepRequestProcessor: create and create2 →
// CreateTxn, createContainer → CreateContainerTxn, createTTL → CreateTTLTxn,
// delete and deleteContainer → DeleteTxn, setData and reconfig → SetDataTxn,
// setACL → SetACLTxn, check → CheckVersionTxn, createSession →
// CreateSessionTxn, closeSession → CloseSessionTxn, error → ErrorTxn,
// multi → MultiTxn. It returns (nil, false) for any other op.
func NewTxnRecord(op OpCode) (Record, bool) {
	switch op {
	case OpCreate, OpCreate2:
		return &CreateTxn{}, true
	case OpCreateContainer:
		return &CreateContainerTxn{}, true
	case OpCreateTTL:
		return &CreateTTLTxn{}, true
	case OpDelete, OpDeleteContainer:
		return &DeleteTxn{}, true
	case OpSetData, OpReconfig:
		return &SetDataTxn{}, true
	case OpSetACL:
		return &SetACLTxn{}, true
	case OpCheck:
		return &CheckVersionTxn{}, true
	case OpCreateSession:
		return &CreateSessionTxn{}, true
	case OpCloseSession:
		return &CloseSessionTxn{}, true
	case OpError:
		return &ErrorTxn{}, true
	case OpMulti:
		return &MultiTxn{}, true
	}
	return nil, false
}

// EncodeTxn returns a new slice holding hdr followed by body. body may be
// nil for a txn without one (a closeSession logged without its path list).
// The caller is responsible for body matching hdr.Type.
func EncodeTxn(hdr *TxnHeader, body Record) []byte {
	e := NewEncoder(make([]byte, 0, 64))
	hdr.Encode(e)
	if body != nil {
		body.Encode(e)
	}
	return e.Bytes()
}

// DecodeTxn decodes a txn written by EncodeTxn (or ZooKeeper's txn
// serialization without the digest). The body record is chosen by
// hdr.Type as NewTxnRecord does; a closeSession with nothing after the
// header has a nil body. It fails on an unknown type (ErrUnknownTxnType), a
// truncated or malformed body, and trailing bytes. b is not retained.
func DecodeTxn(b []byte) (TxnHeader, Record, error) {
	var hdr TxnHeader
	d := NewDecoder(b)
	hdr.Decode(d)
	if err := d.Err(); err != nil {
		return hdr, nil, fmt.Errorf("jute: txn header: %w", err)
	}
	body, ok := NewTxnRecord(hdr.Type)
	if !ok {
		return hdr, nil, fmt.Errorf("%w: %d", ErrUnknownTxnType, int32(hdr.Type))
	}
	if hdr.Type == OpCloseSession && d.Remaining() == 0 {
		return hdr, nil, nil
	}
	body.Decode(d)
	if err := d.Err(); err != nil {
		return hdr, nil, fmt.Errorf("jute: %v txn body: %w", hdr.Type, err)
	}
	if d.Remaining() != 0 {
		return hdr, nil, fmt.Errorf("jute: %v txn: %w", hdr.Type, ErrTrailingBytes)
	}
	return hdr, body, nil
}

// TxnType returns the type in the header of a txn written by EncodeTxn
// without decoding the rest; ok is false when b is too short to hold a
// header.
func TxnType(b []byte) (typ OpCode, ok bool) {
	if len(b) < TxnHeaderSize {
		return 0, false
	}
	return OpCode(int32(binary.BigEndian.Uint32(b[TxnHeaderSize-4:]))), true
}
