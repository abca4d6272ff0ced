package jute

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"runtime"
	"testing"
)

// allocatedBytes returns how many bytes f allocates on the heap.
func allocatedBytes(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// be32 is a big-endian int32.
func be32(v int32) []byte { return binary.BigEndian.AppendUint32(nil, uint32(v)) }

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// claim100MB is a buffer or string length that no frame can hold.
const claim100MB = 100 << 20

// maxAllocForHostileInput bounds what decoding a small hostile frame may
// allocate: a few small structs, never anything sized by the claimed length
// (100 MB or 2^31 elements). MemStats counts the whole process, so the bound
// leaves room for the runtime's own small allocations.
const maxAllocForHostileInput = 64 << 10

func TestBoundsHostileLengths(t *testing.T) {
	cases := []struct {
		name string
		b    []byte
		rec  func() Record
		want error
	}{
		{"negative buffer length", cat(be32(-2), []byte("abc")), func() Record { return &GetSASLRequest{} }, ErrNegativeLength},
		{"buffer past the end", cat(be32(10), []byte("abc")), func() Record { return &GetSASLRequest{} }, ErrTooLong},
		{"100 MB buffer claim", cat(be32(claim100MB), []byte("abc")), func() Record { return &GetDataResponse{} }, ErrTooLong},
		{"max int32 buffer claim", cat(be32(1<<31-1), []byte("abc")), func() Record { return &SetSASLResponse{} }, ErrTooLong},
		{"negative string length", cat(be32(-7), []byte("abc")), func() Record { return &SyncRequest{} }, ErrNegativeLength},
		{"string past the end", cat(be32(4), []byte("abc")), func() Record { return &SyncRequest{} }, ErrTooLong},
		{"100 MB string claim", cat(be32(claim100MB), []byte("/a")), func() Record { return &GetDataRequest{} }, ErrTooLong},
		{"2^31-1 children", cat(be32(1<<31-1), be32(1), []byte("a")), func() Record { return &GetChildrenResponse{} }, ErrTooLong},
		{"negative children count", cat(be32(-3)), func() Record { return &GetChildren2Response{} }, ErrNegativeLength},
		{"2^31-1 ACLs", cat(be32(2), []byte("/a"), be32(-1), be32(1<<31-1), be32(31)), func() Record { return &CreateRequest{} }, ErrTooLong},
		{"2^31-1 client infos", cat(be32(1<<31-1), be32(0), be32(0)), func() Record { return &WhoAmIResponse{} }, ErrTooLong},
		{"2^31-1 watches", cat(make([]byte, 8), be32(1<<31-1)), func() Record { return &SetWatches2{} }, ErrTooLong},
		{"2^31-1 txns", cat(be32(1<<31-1), be32(2), be32(0)), func() Record { return &MultiTxn{} }, ErrTooLong},
		{"ephemerals claim", cat(be32(claim100MB)), func() Record { return &GetEphemeralsResponse{} }, ErrTooLong},
		{"multi without end header", Marshal(&MultiHeader{Type: OpDelete, Err: -1}, &DeleteRequest{Path: "/a"}), func() Record { return &MultiRequest{} }, ErrShortBuffer},
		{"multi with unknown op", Marshal(&MultiHeader{Type: OpSync, Err: -1}, &SyncRequest{Path: "/a"}), func() Record { return &MultiRequest{} }, ErrBadMultiOp},
		{"multi with nested multi", Marshal(&MultiHeader{Type: OpMulti, Err: -1}), func() Record { return &MultiRequest{} }, ErrBadMultiOp},
		{"multi result of unknown type", Marshal(&MultiHeader{Type: OpExists}), func() Record { return &MultiResponse{} }, ErrBadMultiOp},
		{"multi result body claim", cat(Marshal(&MultiHeader{Type: OpGetData}), be32(claim100MB)), func() Record { return &MultiResponse{} }, ErrTooLong},
		{"truncated stat", make([]byte, StatSize-1), func() Record { return &ExistsResponse{} }, ErrShortBuffer},
		{"empty connect request", nil, func() Record { return &ConnectRequest{} }, ErrShortBuffer},
		{"connect passwd claim", cat(make([]byte, 24), be32(claim100MB)), func() Record { return &ConnectRequest{} }, ErrTooLong},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var err error
			n := allocatedBytes(func() { err = Unmarshal(c.b, c.rec()) })
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if n > maxAllocForHostileInput {
				t.Fatalf("decoding %d hostile bytes allocated %d bytes", len(c.b), n)
			}
		})
	}
}

// TestBoundsAllocsPerRun counts allocations, not bytes, for the vector
// claims: a refused claim allocates nothing beyond the decoder and record.
func TestBoundsAllocsPerRun(t *testing.T) {
	claim := cat(be32(1<<31-1), be32(1), []byte("a"))
	allocs := testing.AllocsPerRun(100, func() {
		var r GetChildrenResponse
		if Unmarshal(claim, &r) == nil {
			t.Fatal("accepted")
		}
	})
	if allocs > 2 {
		t.Fatalf("refused vector claim made %.0f allocations", allocs)
	}
}

func TestReadFrameBounds(t *testing.T) {
	cases := []struct {
		name string
		in   []byte
		max  int
		want error
	}{
		{"100 MB frame, default limit", cat(be32(claim100MB), []byte("x")), 0, ErrFrameTooLarge},
		{"max int32 frame", be32(1<<31 - 1), DefaultMaxBuffer, ErrFrameTooLarge},
		{"above a custom limit", cat(be32(101), make([]byte, 101)), 100, ErrFrameTooLarge},
		{"negative length", be32(-1), 0, ErrNegativeLength},
		{"short header", []byte{0, 0}, 0, io.ErrUnexpectedEOF},
		{"no header", nil, 0, io.EOF},
		{"truncated payload", cat(be32(10), []byte("abc")), 0, io.ErrUnexpectedEOF},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var err error
			n := allocatedBytes(func() { _, err = ReadFrame(bytes.NewReader(c.in), c.max, nil) })
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if n > maxAllocForHostileInput && !errors.Is(c.want, io.ErrUnexpectedEOF) {
				t.Fatalf("refused frame allocated %d bytes", n)
			}
		})
	}
	// At the limit is accepted, and a large enough buf is reused.
	buf := make([]byte, 0, 200)
	p, err := ReadFrame(bytes.NewReader(cat(be32(100), make([]byte, 100))), 100, buf)
	if err != nil || len(p) != 100 || &p[0] != &buf[:1][0] {
		t.Fatalf("frame at limit: len=%d err=%v reused=%v", len(p), err, err == nil && &p[0] == &buf[:1][0])
	}
}

// TestBoundsMultiGrowth checks that a frame packed with the smallest ops
// makes the op list grow only in proportion to the frame.
func TestBoundsMultiGrowth(t *testing.T) {
	var ops []MultiOp
	for i := 0; i < 20000; i++ {
		ops = append(ops, MultiOp{Type: OpDelete, Req: &DeleteRequest{}})
	}
	frame := Marshal(&MultiRequest{Ops: ops})
	var r MultiRequest
	var err error
	n := allocatedBytes(func() { err = Unmarshal(frame, &r) })
	if err != nil || len(r.Ops) != len(ops) {
		t.Fatalf("err=%v ops=%d", err, len(r.Ops))
	}
	// Each 17-byte op becomes a DeleteRequest and a MultiOp slot: about 8
	// bytes of heap per frame byte, linear in the frame (≤ ~8 MB at the
	// default 1 MB jute.maxbuffer).
	t.Logf("%d-byte multi of %d ops: %d bytes allocated (%.1fx)", len(frame), len(ops), n, float64(n)/float64(len(frame)))
	if n > uint64(16*len(frame)) {
		t.Fatalf("decoding a %d-byte multi allocated %d bytes", len(frame), n)
	}
}

func TestDecoderStickyError(t *testing.T) {
	d := NewDecoder([]byte{0, 0, 0, 1})
	if d.Long() != 0 || d.Err() != ErrShortBuffer {
		t.Fatalf("Long on 4 bytes: err=%v", d.Err())
	}
	if d.Int() != 0 || d.Bool() || d.String() != "" || d.Buffer() != nil || d.Strings() != nil || d.VectorLen(1) != 0 {
		t.Fatal("reads after a failure returned values")
	}
	d.Fail(ErrTooLong)
	if d.Err() != ErrShortBuffer {
		t.Fatalf("first error not kept: %v", d.Err())
	}
}

func TestNullAndEmptyVectorsKeepTheirBytes(t *testing.T) {
	for _, b := range [][]byte{be32(-1), be32(0)} {
		var r GetChildrenResponse
		if err := Unmarshal(b, &r); err != nil {
			t.Fatal(err)
		}
		if got := Marshal(&r); !bytes.Equal(got, b) {
			t.Errorf("%x re-encoded as %x", b, got)
		}
		var w WhoAmIResponse
		if err := Unmarshal(b, &w); err != nil {
			t.Fatal(err)
		}
		if got := Marshal(&w); !bytes.Equal(got, b) {
			t.Errorf("whoAmI %x re-encoded as %x", b, got)
		}
	}
}

func TestConnectOldClient(t *testing.T) {
	newReq := ConnectRequest{TimeOut: 30000, Passwd: make([]byte, 16), HasReadOnly: true}
	b := Marshal(&newReq)
	if len(b) != 45 {
		t.Fatalf("3.x ConnectRequest is %d bytes, want 45", len(b))
	}
	var old ConnectRequest
	if err := Unmarshal(b[:44], &old); err != nil || old.HasReadOnly || old.ReadOnly {
		t.Fatalf("old-client request: %+v %v", old, err)
	}
	if got := Marshal(&old); !bytes.Equal(got, b[:44]) {
		t.Fatalf("old-client request re-encoded as %x", got)
	}
	ro := ConnectRequest{Passwd: []byte{}, ReadOnly: true}
	if got := Marshal(&ro); got[len(got)-1] != 1 {
		t.Fatalf("ReadOnly request without HasReadOnly dropped the flag: %x", got)
	}
	// The server answers an old client without the readOnly byte.
	resp := ConnectResponse{TimeOut: 30000, SessionID: 1, Passwd: make([]byte, 16), OmitReadOnly: !old.HasReadOnly}
	rb := Marshal(&resp)
	if len(rb) != 36 {
		t.Fatalf("old-client ConnectResponse is %d bytes, want 36", len(rb))
	}
	var back ConnectResponse
	if err := Unmarshal(rb, &back); err != nil || !connectResponseEqual(back, resp) {
		t.Fatalf("old-client response: %+v %v", back, err)
	}
}

func connectResponseEqual(a, b ConnectResponse) bool {
	return a.ProtocolVersion == b.ProtocolVersion && a.TimeOut == b.TimeOut && a.SessionID == b.SessionID &&
		bytes.Equal(a.Passwd, b.Passwd) && a.ReadOnly == b.ReadOnly && a.OmitReadOnly == b.OmitReadOnly
}
