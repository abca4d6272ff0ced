package sidecar

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/zkmesh/zkmesh/zab"
)

// peerSamples returns one realistic message of every zab.MessageType (and
// of every sync mode), from and to the given members.
func peerSamples(from, to zab.ServerID) []zab.Message {
	z := zab.MakeZxid
	txn := func(n int) []byte { return bytes.Repeat([]byte{byte(n), 0xab}, 20+n) }
	ms := []zab.Message{
		{Type: zab.MsgVote, Vote: zab.Vote{Leader: 3, Zxid: z(2, 17), Epoch: 2, Round: 9, State: zab.RoleLooking}},
		{Type: zab.MsgVote, Vote: zab.Vote{Leader: 0, Zxid: z(2, 17), Epoch: 2, Round: 1 << 40, State: zab.RoleObserving}},
		{Type: zab.MsgFollowerInfo, Conn: 0xfeedface12345678, Seq: 1, Epoch: 2, Zxid: z(2, 17)},
		{Type: zab.MsgLeaderInfo, Conn: 0xfeedface12345678, Seq: 1, Epoch: 3},
		{Type: zab.MsgAckEpoch, Conn: 7, Seq: 2, Epoch: 2, Zxid: z(2, 17)},
		{Type: zab.MsgSync, Conn: 7, Seq: 2, Mode: zab.SyncDiff, Zxid: z(2, 19),
			Entries: []zab.Entry{{Zxid: z(2, 18), Data: txn(18)}, {Zxid: z(2, 19), Data: txn(19)}}},
		{Type: zab.MsgSync, Conn: 7, Seq: 2, Mode: zab.SyncTrunc, TruncZxid: z(2, 15), Zxid: z(2, 15)},
		{Type: zab.MsgSync, Conn: 7, Seq: 2, Mode: zab.SyncSnap, Zxid: z(2, 40),
			Snapshot: &zab.Snapshot{Zxid: z(2, 40), Data: bytes.Repeat([]byte("tree"), 300)},
			Entries:  []zab.Entry{{Zxid: z(2, 41), Data: txn(41)}}},
		{Type: zab.MsgSync, Conn: 7, Seq: 2, Mode: zab.SyncSnap, Zxid: z(2, 40),
			Snapshot: &zab.Snapshot{Zxid: z(2, 40), Data: []byte("tree"),
				Membership: &zab.Membership{Voters: []zab.ServerID{1, 2, 3}, Observers: []zab.ServerID{9}}}},
		{Type: zab.MsgNewLeader, Conn: 7, Seq: 3, Epoch: 3, Zxid: z(2, 19)},
		{Type: zab.MsgAckNewLeader, Conn: 7, Seq: 3, Zxid: z(2, 19)},
		{Type: zab.MsgUpToDate, Conn: 7, Seq: 4, Zxid: z(3, 0)},
		{Type: zab.MsgProposal, Conn: 7, Seq: 5, Zxid: z(3, 0), Entries: []zab.Entry{{Zxid: z(3, 1), Data: txn(1)}}},
		{Type: zab.MsgAck, Conn: 7, Seq: 4, Zxid: z(3, 1)},
		{Type: zab.MsgCommit, Conn: 7, Seq: 6, Zxid: z(3, 1)},
		{Type: zab.MsgInform, Conn: 8, Seq: 6, Zxid: z(3, 0), Entries: []zab.Entry{{Zxid: z(3, 1), Data: txn(1)}, {Zxid: z(3, 2), Data: txn(2)}}},
		{Type: zab.MsgPing, Conn: 7, Seq: 7},
		{Type: zab.MsgApp, Conn: 7, Seq: 8, Data: []byte(`{"op":"create","path":"/services/a"}`)},
	}
	for i := range ms {
		ms[i].From, ms[i].To = from, to
	}
	return ms
}

// peerFrame encodes m or fails the test.
func peerFrame(tb testing.TB, m zab.Message) []byte {
	tb.Helper()
	b, err := newPeerCodec(0).AppendFrame(nil, m)
	if err != nil {
		tb.Fatalf("encode %s: %v", m, err)
	}
	return b
}

// rawPeerFrame frames a hand-made payload.
func rawPeerFrame(payload ...byte) []byte {
	n := len(payload)
	return append([]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}, payload...)
}

// FuzzPeerFrame feeds arbitrary bytes to the frame reader and decoder: they
// must never panic, refuse what is over the limit, and whatever they accept
// must encode back to a frame that decodes to the same message.
func FuzzPeerFrame(f *testing.F) {
	for _, m := range peerSamples(1, 2) {
		f.Add(peerFrame(f, m))
	}
	f.Add([]byte{})
	f.Add([]byte{0, 0, 0, 0})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 1})
	f.Add(rawPeerFrame(1, 0x81, 0x0c, 0xdd, 0xff, 0xff, 0xff, 0xff))                 // Entries claims 2^32-1
	f.Add(rawPeerFrame(1, 0x84, 1, 1, 2, 1, 3, 2))                                   // map announces more pairs than it has
	f.Add(rawPeerFrame(1, 0x84, 1, 1, 2, 1, 3, 2, 40, 0x92, 0xa1, 'x', 0xc3))        // unknown key holding an array
	f.Add(rawPeerFrame(1, 0x84, 1, 1, 2, 1, 3, 2, 40, 0x91, 0x91, 0x91, 0x91, 0x90)) // nested unknown value
	f.Add(rawPeerFrame(2, 0x83, 1, 1, 2, 1, 3, 2))                                   // wrong version

	const limit = 1 << 20
	codec := newPeerCodec(limit)
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := codec.ReadMessage(bytes.NewReader(data))
		if err != nil {
			if len(data) >= 4 && uint32(data[0])<<24|uint32(data[1])<<16|uint32(data[2])<<8|uint32(data[3]) > limit &&
				!errors.Is(err, errPeerFrameTooLarge) {
				t.Fatalf("oversized frame not refused as such: %v", err)
			}
			return
		}
		again, err := codec.AppendFrame(nil, m)
		if err != nil {
			t.Fatalf("decoded %s but cannot encode it: %v", m, err)
		}
		m2, err := codec.ReadMessage(bytes.NewReader(again))
		if err != nil {
			t.Fatalf("re-encoded %s does not decode: %v", m, err)
		}
		if !reflect.DeepEqual(m, m2) {
			t.Fatalf("round trip changed the message:\n%#v\n%#v", m, m2)
		}
	})
}

// FuzzPeerHandshake feeds arbitrary bytes to the hello and reply decoders;
// whatever they accept must encode back to the same bytes.
func FuzzPeerHandshake(f *testing.F) {
	hello := appendPeerHello(nil, peerHello{Version: 1, ID: 3, Nonce: 42, Members: peerMemberHash([]zab.ServerID{1, 2, 3})})
	f.Add(hello[4:])
	f.Add(appendPeerReply(nil, peerReply{Version: 1, Status: peerReplyAccept, ID: 2})[4:])
	f.Add(appendPeerReply(nil, peerReply{Version: 1, Status: peerReplyRefuse, ID: 2, Reason: "server id 7 is not in this member's server list"})[4:])
	f.Add([]byte("GET / HTTP/1.1\r\n\r\n"))
	f.Add(append([]byte("zkmp"), 2, 0, 0, 0, 0, 0, 0, 0, 7))
	f.Fuzz(func(t *testing.T, p []byte) {
		if h, err := decodePeerHello(p); err == nil && h.Version == peerHandshakeVersion {
			if got := appendPeerHello(nil, h)[4:]; !bytes.Equal(got, p) {
				t.Fatalf("hello %x re-encodes as %x", p, got)
			}
		}
		if r, err := decodePeerReply(p); err == nil {
			got := appendPeerReply(nil, r)[4:]
			if len(got) < peerReplyHeaderBytes || !bytes.Equal(got[:peerReplyHeaderBytes], p[:peerReplyHeaderBytes]) {
				t.Fatalf("reply %x re-encodes as %x", p, got)
			}
		}
	})
}
