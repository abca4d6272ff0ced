package jute

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// goldenSeeds returns the payloads (length prefix removed) of the captured
// frames selected by keep, or nothing if the transcript is absent.
func goldenSeeds(keep func(g goldenFrame) bool) [][]byte {
	frames, _ := readGolden() // seeds are optional; the golden tests report a broken transcript
	var out [][]byte
	for _, g := range frames {
		if keep(g) {
			out = append(out, g.raw[4:])
		}
	}
	return out
}

func isConnectReq(g goldenFrame) bool  { return g.label == "ConnectRequest" }
func isConnectResp(g goldenFrame) bool { return g.label == "ConnectResponse" }
func isRequest(g goldenFrame) bool     { return g.sent && !isConnectReq(g) }
func isReply(g goldenFrame) bool       { return !g.sent && !isConnectResp(g) }

// roundTrip is the property every decoder must hold: decoding never panics,
// and if it succeeds, encoding then decoding gives an equal value and the
// same bytes again.
func roundTrip(t *testing.T, data []byte, decode func([]byte) ([]Record, error)) {
	t.Helper()
	v, err := decode(data)
	if err != nil {
		return
	}
	enc := Marshal(v...)
	v2, err := decode(enc)
	if err != nil {
		t.Fatalf("re-decode of %x (from %x): %v", enc, data, err)
	}
	if !reflect.DeepEqual(v, v2) {
		t.Fatalf("decode(encode(v)) != v\n v=%#v\nv2=%#v", v, v2)
	}
	if enc2 := Marshal(v2...); !bytes.Equal(enc, enc2) {
		t.Fatalf("encoding not stable:\n%x\n%x", enc, enc2)
	}
}

// whole decodes data as one record and requires it be consumed exactly.
func whole(newRec func() Record) func([]byte) ([]Record, error) {
	return func(b []byte) ([]Record, error) {
		r := newRec()
		if err := Unmarshal(b, r); err != nil {
			return nil, err
		}
		return []Record{r}, nil
	}
}

// decodeRequest reads a request header and the body NewRequestRecord picks.
func decodeRequest(b []byte) ([]Record, error) {
	d := NewDecoder(b)
	h := &RequestHeader{}
	h.Decode(d)
	out := []Record{h}
	body, ok := NewRequestRecord(h.Type)
	if !ok {
		return nil, errors.New("unknown op")
	}
	if body != nil {
		body.Decode(d)
		out = append(out, body)
	}
	return finish(d, out)
}

// decodeReply reads a reply header and, for a successful reply, the body
// NewResponseRecord picks for op; notifications carry a WatcherEvent.
func decodeReply(op OpCode) func([]byte) ([]Record, error) {
	return func(b []byte) ([]Record, error) {
		d := NewDecoder(b)
		h := &ReplyHeader{}
		h.Decode(d)
		out := []Record{h}
		var body Record
		switch {
		case h.Xid == XidNotification:
			body = &WatcherEvent{}
		case h.Err == CodeOK:
			var ok bool
			if body, ok = NewResponseRecord(op); !ok {
				return nil, errors.New("unknown op")
			}
		}
		if body != nil {
			body.Decode(d)
			out = append(out, body)
		}
		return finish(d, out)
	}
}

func finish(d *Decoder, out []Record) ([]Record, error) {
	if d.Err() != nil {
		return nil, d.Err()
	}
	if d.Remaining() != 0 {
		return nil, ErrTrailingBytes
	}
	return out, nil
}

// decodeTxn adapts DecodeTxn to roundTrip.
func decodeTxn(b []byte) ([]Record, error) {
	hdr, body, err := DecodeTxn(b)
	if err != nil {
		return nil, err
	}
	if body == nil {
		return []Record{&hdr}, nil
	}
	return []Record{&hdr, body}, nil
}

func FuzzConnectRequest(f *testing.F) {
	for _, s := range goldenSeeds(isConnectReq) {
		f.Add(s)
		f.Add(s[:len(s)-1]) // an old client's request, without readOnly
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		roundTrip(t, data, whole(func() Record { return &ConnectRequest{} }))
	})
}

func FuzzConnectResponse(f *testing.F) {
	for _, s := range goldenSeeds(isConnectResp) {
		f.Add(s)
		f.Add(s[:len(s)-1])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		roundTrip(t, data, whole(func() Record { return &ConnectResponse{} }))
	})
}

func FuzzRequest(f *testing.F) {
	for _, s := range goldenSeeds(isRequest) {
		f.Add(s)
	}
	for _, r := range sampleRequests() {
		f.Add(Marshal(&RequestHeader{Xid: 7, Type: r.op}, r.rec))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		roundTrip(t, data, decodeRequest)
	})
}

func FuzzReply(f *testing.F) {
	// The reply's body depends on the request's opcode; the seeds pair them.
	frames, _ := readGolden()
	ops := map[string]OpCode{}
	for _, g := range frames {
		switch {
		case isRequest(g):
			ops[g.label] = OpCode(int32(g.raw[8])<<24 | int32(g.raw[9])<<16 | int32(g.raw[10])<<8 | int32(g.raw[11]))
		case isReply(g):
			f.Add(int32(ops[g.label]), g.raw[4:])
		}
	}
	f.Fuzz(func(t *testing.T, op int32, data []byte) {
		roundTrip(t, data, decodeReply(OpCode(op)))
	})
}

func FuzzMultiRequest(f *testing.F) {
	for _, s := range goldenSeeds(func(g goldenFrame) bool { return isRequest(g) && strings.HasPrefix(g.label, "multi") }) {
		f.Add(s[RequestHeaderSize:])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		roundTrip(t, data, whole(func() Record { return &MultiRequest{} }))
	})
}

func FuzzMultiResponse(f *testing.F) {
	for _, s := range goldenSeeds(func(g goldenFrame) bool { return isReply(g) && strings.HasPrefix(g.label, "multi") }) {
		f.Add(s[ReplyHeaderSize:])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		roundTrip(t, data, whole(func() Record { return &MultiResponse{} }))
	})
}

func FuzzDecodeTxn(f *testing.F) {
	for _, tx := range sampleTxns() {
		f.Add(EncodeTxn(&tx.hdr, tx.body))
	}
	logged, _ := readTxnLog() // optional seeds; TestZooKeeperTxnLog reports a broken file
	for _, e := range logged {
		f.Add(e.raw)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		roundTrip(t, data, decodeTxn)
	})
}

func FuzzReadFrame(f *testing.F) {
	frames, _ := readGolden()
	for _, g := range frames {
		f.Add(g.raw, 0)
	}
	f.Add([]byte{0x7f, 0xff, 0xff, 0xff, 1, 2, 3}, 0)
	f.Add([]byte{0xff, 0xff, 0xff, 0xfe}, 100)
	f.Fuzz(func(t *testing.T, data []byte, maxBuffer int) {
		p, err := ReadFrame(bytes.NewReader(data), maxBuffer, nil)
		if err != nil {
			return
		}
		limit := maxBuffer
		if limit <= 0 || limit > 1<<31-1 {
			limit = DefaultMaxBuffer
		}
		if len(p) > limit || len(p) > len(data)-4 {
			t.Fatalf("frame of %d bytes from %d input bytes, limit %d", len(p), len(data), limit)
		}
		if !bytes.Equal(data[4:4+len(p)], p) {
			t.Fatalf("payload differs from input")
		}
		if got := AppendFrame(nil, rawRecord(p)); !bytes.Equal(got, data[:4+len(p)]) {
			t.Fatalf("AppendFrame(%x) = %x, want %x", p, got, data[:4+len(p)])
		}
	})
}

// rawRecord encodes as its bytes, for framing tests.
type rawRecord []byte

func (r rawRecord) Encode(e *Encoder) { e.Raw(r) }
func (r rawRecord) Decode(d *Decoder) {}
