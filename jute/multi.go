package jute

import (
	"errors"
	"fmt"
)

// ErrBadMultiOp is recorded when a multi request or response holds an op
// type that cannot appear there.
var ErrBadMultiOp = errors.New("jute: op type not allowed in multi")

// MultiOp is one operation of a multi or multiRead request.
//
// Invariant: Req is the record newMultiOpRecord(Type) returns (for example
// *CreateRequest for OpCreate, *CheckVersionRequest for OpCheck).
type MultiOp struct {
	Type OpCode
	Req  Record
}

// MultiRequest is the body of multi (writes) and multiRead (getData and
// getChildren): a list of ops, each behind a MultiHeader, closed by a header
// with Done set. On the wire every op header carries Err -1, and the closing
// header is {-1, true, -1}, as ZooKeeper's client writes them.
//
// Decode keeps the op type the client sent. ZooKeeper 3.8 itself rebuilds
// each create from its flags (Op.create): a create2 inside a multi is
// prepared, logged (TxnOp type OpCreate) and answered (CreateResponse, no
// Stat) as a plain create, while container and TTL flags give
// OpCreateContainer and OpCreateTTL.
type MultiRequest struct {
	Ops []MultiOp
}

// newMultiOpRecord returns a fresh request record for an op inside a multi,
// or nil if op may not appear there.
func newMultiOpRecord(op OpCode) Record {
	switch op {
	case OpCreate, OpCreate2, OpCreateContainer:
		return &CreateRequest{}
	case OpCreateTTL:
		return &CreateTTLRequest{}
	case OpDelete:
		return &DeleteRequest{}
	case OpSetData:
		return &SetDataRequest{}
	case OpCheck:
		return &CheckVersionRequest{}
	case OpGetChildren:
		return &GetChildrenRequest{}
	case OpGetData:
		return &GetDataRequest{}
	}
	return nil
}

// Encode implements Record. An op whose Req is nil is written with no body,
// which no decoder accepts; callers build ops with the record for the type.
func (r *MultiRequest) Encode(e *Encoder) {
	for _, op := range r.Ops {
		h := MultiHeader{Type: op.Type, Done: false, Err: -1}
		h.Encode(e)
		if op.Req != nil {
			op.Req.Encode(e)
		}
	}
	end := MultiHeader{Type: -1, Done: true, Err: -1}
	end.Encode(e)
}

// Decode implements Record. It reads ops until a header with Done set; an op
// type not allowed in a multi is an error wrapping ErrBadMultiOp. Every op
// consumes at least a 9-byte header, so the op list grows no further than
// the frame allows.
func (r *MultiRequest) Decode(d *Decoder) {
	r.Ops = nil
	for {
		var h MultiHeader
		h.Decode(d)
		if d.Err() != nil || h.Done {
			return
		}
		req := newMultiOpRecord(h.Type)
		if req == nil {
			d.Fail(fmt.Errorf("%w: request op %d", ErrBadMultiOp, int32(h.Type)))
			return
		}
		req.Decode(d)
		if d.Err() != nil {
			return
		}
		r.Ops = append(r.Ops, MultiOp{Type: h.Type, Req: req})
	}
}

// MultiResult is one result of a multi or multiRead response.
//
// Type is OpCreate (Resp *CreateResponse), OpCreate2 (*Create2Response),
// OpSetData (*SetDataResponse), OpGetData (*GetDataResponse), OpGetChildren
// (*GetChildrenResponse), OpDelete or OpCheck (no body, Resp nil), or
// OpError (*ErrorResponse). Err is the header's error code: ZooKeeper sets it
// only for OpError results and writes 0 for the others.
type MultiResult struct {
	Type OpCode
	Err  Code
	Resp Record
}

// MultiResponse is the reply to multi and multiRead, encoded exactly as
// ZooKeeper's MultiResponse.serialize writes it: per result a MultiHeader
// {Type, false, Err} and its body, then {-1, true, -1}.
type MultiResponse struct {
	Results []MultiResult
}

// newMultiResultRecord returns a fresh body record for a result type, nil
// for results without a body, and ok=false for types that cannot appear.
func newMultiResultRecord(op OpCode) (Record, bool) {
	switch op {
	case OpCreate:
		return &CreateResponse{}, true
	case OpCreate2:
		return &Create2Response{}, true
	case OpDelete, OpCheck:
		return nil, true
	case OpSetData:
		return &SetDataResponse{}, true
	case OpGetChildren:
		return &GetChildrenResponse{}, true
	case OpGetData:
		return &GetDataResponse{}, true
	case OpError:
		return &ErrorResponse{}, true
	}
	return nil, false
}

// Encode implements Record. The header's Err is r.Err for OpError results
// and 0 otherwise. An OpError result with nil Resp gets ErrorResponse{Err};
// delete and check results never carry a body.
func (r *MultiResponse) Encode(e *Encoder) {
	for _, res := range r.Results {
		h := MultiHeader{Type: res.Type}
		if res.Type == OpError {
			h.Err = res.Err
		}
		h.Encode(e)
		switch {
		case res.Type == OpDelete || res.Type == OpCheck:
		case res.Resp != nil:
			res.Resp.Encode(e)
		case res.Type == OpError:
			body := ErrorResponse{Err: res.Err}
			body.Encode(e)
		}
	}
	end := MultiHeader{Type: -1, Done: true, Err: -1}
	end.Encode(e)
}

// Decode implements Record. A result type that cannot appear in a multi
// response is an error wrapping ErrBadMultiOp. The header's Err is kept for
// OpError results only, as ZooKeeper ignores it for the others.
func (r *MultiResponse) Decode(d *Decoder) {
	r.Results = nil
	for {
		var h MultiHeader
		h.Decode(d)
		if d.Err() != nil || h.Done {
			return
		}
		resp, ok := newMultiResultRecord(h.Type)
		if !ok {
			d.Fail(fmt.Errorf("%w: result type %d", ErrBadMultiOp, int32(h.Type)))
			return
		}
		if resp != nil {
			resp.Decode(d)
		}
		if d.Err() != nil {
			return
		}
		res := MultiResult{Type: h.Type, Resp: resp}
		if h.Type == OpError {
			res.Err = h.Err
		}
		r.Results = append(r.Results, res)
	}
}
