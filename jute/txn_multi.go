package jute

import (
	"encoding/binary"
	"fmt"
)

// TxnOp is one transaction inside a MultiTxn. On the wire it is ZooKeeper's
// Txn{int type; buffer data} with data holding the jute encoding of Body.
//
// Invariant: Body is the record NewTxnRecord(Type) returns, and Type is one
// that may appear in a multi (create, create2, createContainer, createTTL,
// delete, setData, check, error).
type TxnOp struct {
	Type OpCode
	Body Record
}

// MultiTxn is the body of a txn logged under OpMulti (txn.MultiTxn).
//
// ZooKeeper 3.8 logs a failed multi under OpMulti too: ops before the
// failing one keep their own txns, the failing op is an OpError with its
// code, and every op after it an OpError with CodeRuntimeInconsistency. A
// MultiTxn holding any OpError applies nothing (DataTree answers the ops
// before the failure with code 0). A create2 op of the request is logged
// as OpCreate with a CreateTxn.
type MultiTxn struct {
	Txns []TxnOp
}

// minTxnOpBytes is the smallest encoding of one Txn: type and buffer length.
const minTxnOpBytes = 8

// multiTxnAllowed reports whether op may appear inside a MultiTxn.
func multiTxnAllowed(op OpCode) bool {
	switch op {
	case OpCreate, OpCreate2, OpCreateContainer, OpCreateTTL, OpDelete,
		OpSetData, OpCheck, OpError:
		return true
	}
	return false
}

// Encode implements Record. A nil Body is written as an empty buffer.
func (r *MultiTxn) Encode(e *Encoder) {
	if r.Txns == nil {
		e.Int(-1)
		return
	}
	e.Int(int32(len(r.Txns)))
	for _, op := range r.Txns {
		e.Int(int32(op.Type))
		start := e.Len()
		e.Int(0)
		if op.Body != nil {
			op.Body.Encode(e)
		}
		binary.BigEndian.PutUint32(e.buf[start:], uint32(e.Len()-start-4))
	}
}

// Decode implements Record. Each op's data must decode completely as the
// body for its type; a type not allowed in a multi is an error wrapping
// ErrBadMultiOp.
func (r *MultiTxn) Decode(d *Decoder) {
	n := d.VectorLen(minTxnOpBytes)
	if n < 0 || d.Err() != nil {
		r.Txns = nil
		return
	}
	r.Txns = make([]TxnOp, 0, n)
	for i := 0; i < n; i++ {
		typ := OpCode(d.Int())
		data := d.Buffer()
		if d.Err() != nil {
			return
		}
		if !multiTxnAllowed(typ) {
			d.Fail(fmt.Errorf("%w: txn type %d", ErrBadMultiOp, int32(typ)))
			return
		}
		body, _ := NewTxnRecord(typ)
		if err := Unmarshal(data, body); err != nil {
			d.Fail(fmt.Errorf("jute: multi txn op %d (%v): %w", i, typ, err))
			return
		}
		r.Txns = append(r.Txns, TxnOp{Type: typ, Body: body})
	}
}
