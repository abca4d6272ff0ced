package sidecar

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/zkmesh/zkmesh/zab"
)

func TestPeerCodecRoundTripEveryMessageType(t *testing.T) {
	codec := newPeerCodec(0)
	seen := map[zab.MessageType]bool{}
	var stream []byte
	samples := peerSamples(3, 1)
	for _, m := range samples {
		seen[m.Type] = true
		f := peerFrame(t, m)
		got, err := codec.ReadMessage(bytes.NewReader(f))
		if err != nil {
			t.Fatalf("%s: %v", m, err)
		}
		if !reflect.DeepEqual(got, m) {
			t.Fatalf("round trip of %s:\n got %#v\nwant %#v", m, got, m)
		}
		stream = append(stream, f...)
	}
	for mt := zab.MsgVote; mt <= peerMaxMessageType; mt++ {
		if !seen[mt] {
			t.Errorf("no sample of %s", mt)
		}
	}
	// Frames read back to back from one stream.
	r := bytes.NewReader(stream)
	for _, want := range samples {
		got, err := codec.ReadMessage(r)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("stream: got %v, %v; want %v", got, err, want)
		}
	}
	if _, err := codec.ReadMessage(r); err != io.EOF {
		t.Fatalf("end of stream: %v, want io.EOF", err)
	}
}

// The wire format lists every field of zab.Message; a field added to zab
// must be added to the format (and to this count).
func TestPeerCodecCoversEveryField(t *testing.T) {
	if n := reflect.TypeFor[zab.Message]().NumField(); n != 13 {
		t.Errorf("zab.Message has %d fields, the peer wire format carries 13", n)
	}
	if n := reflect.TypeFor[zab.Vote]().NumField(); n != 5 {
		t.Errorf("zab.Vote has %d fields, the peer wire format carries 5", n)
	}
	if n := reflect.TypeFor[zab.Entry]().NumField(); n != 2 {
		t.Errorf("zab.Entry has %d fields, the peer wire format carries 2", n)
	}
	if n := reflect.TypeFor[zab.Snapshot]().NumField(); n != 3 {
		t.Errorf("zab.Snapshot has %d fields, the peer wire format carries 3", n)
	}
	if s := (peerMaxMessageType + 1).String(); !strings.HasPrefix(s, "MessageType(") {
		t.Errorf("zab has a message type %s after %s that the wire format refuses", s, peerMaxMessageType)
	}
}

// The bytes of one message are pinned: the format is a protocol, not an
// implementation detail.
func TestPeerCodecGoldenBytes(t *testing.T) {
	m := zab.Message{Type: zab.MsgAck, From: 2, To: 1, Conn: 7, Seq: 4, Zxid: zab.MakeZxid(3, 1)}
	want := "00000016" + "01" + "86" + "010a" + "0202" + "0301" + "0407" + "0504" + "08cf0000000300000001"
	if got := hex.EncodeToString(peerFrame(t, m)); got != want {
		t.Fatalf("ACK frame\n got %s\nwant %s", got, want)
	}
	// Zero fields are left out; empty data comes back nil.
	m = zab.Message{Type: zab.MsgPing, From: 1, To: 2, Data: []byte{}, Entries: []zab.Entry{}}
	if got := hex.EncodeToString(peerFrame(t, m)); got != "00000008"+"01"+"83"+"010d"+"0201"+"0302" {
		t.Fatalf("PING frame %s", got)
	}
	e := zab.Message{Type: zab.MsgSync, From: 1, To: 2, Entries: []zab.Entry{{Zxid: 5}}, Snapshot: &zab.Snapshot{}}
	got, err := newPeerCodec(0).ReadMessage(bytes.NewReader(peerFrame(t, e)))
	if err != nil || !reflect.DeepEqual(got, e) {
		t.Fatalf("empty snapshot and entry data: %#v, %v", got, err)
	}
}

func TestPeerCodecRefusesOversizedFrameBeforeReading(t *testing.T) {
	codec := newPeerCodec(1000)
	// Only the header is there: reading on would give io.ErrUnexpectedEOF.
	_, err := codec.ReadFrame(bytes.NewReader([]byte{0, 0, 0x03, 0xe9}))
	if !errors.Is(err, errPeerFrameTooLarge) {
		t.Fatalf("1001-byte frame with limit 1000: %v", err)
	}
	if _, err := codec.ReadFrame(bytes.NewReader([]byte{0xff, 0xff, 0xff, 0xff})); !errors.Is(err, errPeerFrameTooLarge) {
		t.Fatalf("4 GiB frame: %v", err)
	}
	m := zab.Message{Type: zab.MsgApp, From: 1, To: 2, Data: make([]byte, 1000)}
	dst := []byte("keep")
	out, err := codec.AppendFrame(dst, m)
	if !errors.Is(err, errPeerFrameTooLarge) || string(out) != "keep" {
		t.Fatalf("encoding over the limit: %q, %v", out, err)
	}
}

func TestPeerCodecLargeFrameArrivingInPieces(t *testing.T) {
	m := zab.Message{Type: zab.MsgSync, From: 1, To: 2, Mode: zab.SyncSnap,
		Snapshot: &zab.Snapshot{Zxid: 9, Data: bytes.Repeat([]byte("0123456789abcdef"), 150_000)}}
	f := peerFrame(t, m)
	got, err := newPeerCodec(0).ReadMessage(iotest.HalfReader(bytes.NewReader(f)))
	if err != nil || !reflect.DeepEqual(got, m) {
		t.Fatalf("2.4 MB snapshot: %v", err)
	}
	// Cut short: the reader says so, whatever the size.
	for _, n := range []int{3, 4, 100, peerFrameGrowStep + 10, len(f) - 1} {
		_, err := newPeerCodec(0).ReadMessage(bytes.NewReader(f[:n]))
		if err != io.ErrUnexpectedEOF {
			t.Fatalf("frame cut at %d: %v", n, err)
		}
	}
}

func TestPeerCodecMalformed(t *testing.T) {
	good := peerFrame(t, peerSamples(1, 2)[7])[4:] // SNAP sync: every kind of value
	cases := map[string][]byte{
		"empty payload":       {},
		"wrong version":       {2, 0x83, 1, 1, 2, 1, 3, 2},
		"not a map":           {1, 0x93, 1, 1, 2},
		"nil map":             {1, 0xc0},
		"missing To":          {1, 0x82, 1, 1, 2, 1},
		"type 0":              {1, 0x83, 1, 0, 2, 1, 3, 2},
		"type 15":             {1, 0x83, 1, 15, 2, 1, 3, 2},
		"type negative":       {1, 0x83, 1, 0xff, 2, 1, 3, 2},
		"type as string":      {1, 0x83, 1, 0xa1, 'x', 2, 1, 3, 2},
		"type 257 truncating": {1, 0x83, 1, 0xcd, 1, 1, 2, 1, 3, 2},
		"epoch over 32 bits":  {1, 0x84, 1, 1, 2, 1, 3, 2, 7, 0xcf, 0, 0, 0, 1, 0, 0, 0, 0},
		"mode 4":              {1, 0x84, 1, 5, 2, 1, 3, 2, 9, 4},
		"vote of 4":           {1, 0x84, 1, 1, 2, 1, 3, 2, 6, 0x94, 1, 1, 1, 1},
		"vote state 5":        {1, 0x84, 1, 1, 2, 1, 3, 2, 6, 0x95, 1, 1, 1, 1, 5},
		"key twice":           {1, 0x84, 1, 1, 1, 1, 2, 1, 3, 2},
		"map too long":        {1, 0xdf, 0xff, 0xff, 0xff, 0xff, 1, 1},
		"entries 2^32-1":      {1, 0x84, 1, 9, 2, 1, 3, 2, 12, 0xdd, 0xff, 0xff, 0xff, 0xff},
		"entry not a pair":    {1, 0x84, 1, 9, 2, 1, 3, 2, 12, 0x91, 0x93, 1, 0xc4, 0, 0},
		"bin past the end":    {1, 0x84, 1, 13, 2, 1, 3, 2, 13, 0xc6, 0x7f, 0xff, 0xff, 0xff, 0},
		"data as string":      {1, 0x84, 1, 13, 2, 1, 3, 2, 13, 0xa2, 'h', 'i'},
		"snapshot not a pair": {1, 0x84, 1, 6, 2, 1, 3, 2, 11, 0x91, 1},
		"unknown nested deep": {1, 0x84, 1, 1, 2, 1, 3, 2, 40, 0x91, 0x91, 0x91, 0x91, 0x91, 0x90},
		"unknown ext":         {1, 0x84, 1, 1, 2, 1, 3, 2, 40, 0xd4, 1, 1},
		"unknown str too big": {1, 0x84, 1, 1, 2, 1, 3, 2, 40, 0xdb, 0x7f, 0xff, 0xff, 0xff},
		"trailing byte":       append(bytes.Clone(good), 0),
	}
	codec := newPeerCodec(0)
	for name, p := range cases {
		if m, err := codec.Decode(p); !errors.Is(err, errPeerBadFrame) {
			t.Errorf("%s: got %v, %v; want errPeerBadFrame", name, m, err)
		}
	}
	// Every proper prefix of a valid body is malformed.
	for n := range len(good) {
		if _, err := codec.Decode(good[:n]); !errors.Is(err, errPeerBadFrame) {
			t.Fatalf("prefix of %d bytes: %v", n, err)
		}
	}
}

func TestPeerCodecSkipsUnknownKeys(t *testing.T) {
	// A later version's optional fields: a number, a string, a small map.
	p := []byte{1, 0x86, 1, 13, 2, 1, 3, 2,
		40, 0xcd, 1, 2,
		41, 0xa3, 'a', 'b', 'c',
		42, 0x81, 0x01, 0x92, 0xc3, 0xc0}
	m, err := newPeerCodec(0).Decode(p)
	if err != nil || m.Type != zab.MsgPing || m.From != 1 || m.To != 2 {
		t.Fatalf("got %v, %v", m, err)
	}
}

func TestPeerHandshakeRecords(t *testing.T) {
	h := peerHello{Version: 1, ID: 12, Nonce: 99, Members: peerMemberHash([]zab.ServerID{3, 1, 2, 3})}
	f := appendPeerHello(nil, h)
	if len(f) != 4+peerHelloBytes {
		t.Fatalf("hello frame of %d bytes", len(f))
	}
	got, err := decodePeerHello(f[4:])
	if err != nil || got != h {
		t.Fatalf("hello round trip: %+v, %v", got, err)
	}
	if peerMemberHash([]zab.ServerID{1, 2, 3}) != h.Members || peerMemberHash([]zab.ServerID{1, 2, 4}) == h.Members {
		t.Fatal("member hash must depend on the set of ids only")
	}
	long := strings.Repeat("é", peerReasonMaxBytes)
	r := peerReply{Version: 1, Status: peerReplyRefuse, ID: 4, Reason: long}
	gr, err := decodePeerReply(appendPeerReply(nil, r)[4:])
	if err != nil || gr.ID != 4 || gr.Status != peerReplyRefuse || len(gr.Reason) != peerReasonMaxBytes || !strings.HasPrefix(long, gr.Reason) {
		t.Fatalf("reply round trip: %+v, %v", gr, err)
	}
	if _, err := decodePeerHello([]byte("GET / HTTP/1.1\r\n\r\n")); !errors.Is(err, errPeerNotPeer) {
		t.Fatalf("HTTP as hello: %v", err)
	}
	if _, err := decodePeerReply(append([]byte("zkmp"), 1, 7, 0, 0, 0, 0, 0, 0, 0, 1)); !errors.Is(err, errPeerNotPeer) {
		t.Fatalf("reply status 7: %v", err)
	}
}

// BenchmarkPeerCodecProposalBatch encodes and decodes a PROPOSAL batch of
// 100 entries of 200 bytes (a typical small write each).
func BenchmarkPeerCodecProposalBatch(b *testing.B) {
	m := zab.Message{Type: zab.MsgProposal, From: 1, To: 2, Conn: 77, Seq: 1000, Zxid: zab.MakeZxid(3, 999)}
	for i := range 100 {
		m.Entries = append(m.Entries, zab.Entry{Zxid: zab.MakeZxid(3, uint32(1000+i)), Data: bytes.Repeat([]byte{byte(i)}, 200)})
	}
	codec := newPeerCodec(0)
	var buf []byte
	buf, _ = codec.AppendFrame(buf, m)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = codec.AppendFrame(buf[:0], m); err != nil {
			b.Fatal(err)
		}
		if _, err := codec.Decode(buf[4:]); err != nil {
			b.Fatal(err)
		}
	}
}
