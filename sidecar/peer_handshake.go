package sidecar

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"unicode/utf8"

	"github.com/zkmesh/zkmesh/zab"
)

// Peer handshake, protocol version 1.
//
// A member opens one connection to every peer it sends to. Before any
// message, the dialer sends a hello and the acceptor answers with a reply;
// both travel in the same length-prefixed frames as messages (a 4-byte
// big-endian length, then the payload below, integers big-endian):
//
//	hello = "zkmp" version:u8 id:u64 nonce:u64 members:[32]byte    (53 bytes)
//	reply = "zkmp" version:u8 status:u8 id:u64 reason:utf-8        (14 + up to 512 bytes)
//
// id is the sender's zab.ServerID, nonce a random number the dialer picks
// once per process (it tells a member that dialed itself from another
// member claiming its id), members the SHA-256 of the sorted ids of the
// sender's voters (peerMemberHash; of every member when the transport is
// given no voters), informational only: membership changes by
// reconfiguration, and members that have not applied a change yet must
// still reach each other. The acceptor refuses (status 1, with a reason a person
// can act on, then closes) a hello whose version it does not speak, whose
// id is its own or not among its members; otherwise it answers status 0 with its own id, and from
// then on only reads messages. After the handshake the acceptor never
// writes on the connection. A later version keeps the magic and the
// version byte where they are, so that a version-1 acceptor can refuse it
// with a reason the dialer logs.
const (
	peerHandshakeVersion = 1
	peerHelloBytes       = 4 + 1 + 8 + 8 + sha256.Size
	peerHelloMaxBytes    = 256 // any version
	peerReplyHeaderBytes = 4 + 1 + 1 + 8
	peerReasonMaxBytes   = 512
	peerReplyMaxBytes    = peerReplyHeaderBytes + peerReasonMaxBytes

	peerReplyAccept = 0
	peerReplyRefuse = 1
)

// peerMagic opens every hello and reply.
var peerMagic = [4]byte{'z', 'k', 'm', 'p'}

// Handshake errors.
var (
	// errPeerNotPeer: the first frame on a connection is not a zkmesh
	// hello or reply (wrong magic or size).
	errPeerNotPeer = errors.New("sidecar: not a zkmesh peer")
	// errPeerRefused: the acceptor refused the dialer's hello.
	errPeerRefused = errors.New("sidecar: peer refused the connection")
	// errPeerWrongID: the address configured for a peer answered with
	// another id.
	errPeerWrongID = errors.New("sidecar: peer answered with another server id")
)

// peerHello is the dialer's first frame.
type peerHello struct {
	Version uint8
	ID      zab.ServerID
	Nonce   uint64
	Members [sha256.Size]byte
}

// peerReply is the acceptor's answer to a hello.
type peerReply struct {
	Version uint8
	Status  uint8
	ID      zab.ServerID
	Reason  string
}

// peerMemberHash returns the hash of the member list: SHA-256 of the
// distinct ids in increasing order, 8 bytes big-endian each. Addresses are
// left out on purpose: members may name the same host differently.
func peerMemberHash(ids []zab.ServerID) [sha256.Size]byte {
	s := slices.Clone(ids)
	slices.Sort(s)
	s = slices.Compact(s)
	h := sha256.New()
	var b [8]byte
	for _, id := range s {
		binary.BigEndian.PutUint64(b[:], uint64(id))
		h.Write(b[:])
	}
	var out [sha256.Size]byte
	h.Sum(out[:0])
	return out
}

// appendPeerHello appends h's frame to dst.
func appendPeerHello(dst []byte, h peerHello) []byte {
	dst = binary.BigEndian.AppendUint32(dst, peerHelloBytes)
	dst = append(dst, peerMagic[:]...)
	dst = append(dst, h.Version)
	dst = binary.BigEndian.AppendUint64(dst, uint64(h.ID))
	dst = binary.BigEndian.AppendUint64(dst, h.Nonce)
	return append(dst, h.Members[:]...)
}

// decodePeerHello decodes a hello payload (the frame without its length).
// A hello of another version decodes to its Version alone, so that the
// acceptor can refuse it with a reason; such a hello may be up to
// peerHelloMaxBytes long.
func decodePeerHello(p []byte) (peerHello, error) {
	var h peerHello
	if len(p) < 5 || [4]byte(p[:4]) != peerMagic {
		return h, fmt.Errorf("%w: hello of %d bytes", errPeerNotPeer, len(p))
	}
	h.Version = p[4]
	if h.Version != peerHandshakeVersion {
		return h, nil
	}
	if len(p) != peerHelloBytes {
		return h, fmt.Errorf("%w: version %d hello of %d bytes, want %d", errPeerNotPeer, h.Version, len(p), peerHelloBytes)
	}
	h.ID = zab.ServerID(binary.BigEndian.Uint64(p[5:]))
	h.Nonce = binary.BigEndian.Uint64(p[13:])
	copy(h.Members[:], p[21:])
	return h, nil
}

// appendPeerReply appends r's frame to dst; a reason longer than
// peerReasonMaxBytes is cut on a rune boundary.
func appendPeerReply(dst []byte, r peerReply) []byte {
	reason := r.Reason
	for len(reason) > peerReasonMaxBytes {
		_, size := utf8.DecodeLastRuneInString(reason)
		reason = reason[:len(reason)-size]
	}
	dst = binary.BigEndian.AppendUint32(dst, uint32(peerReplyHeaderBytes+len(reason)))
	dst = append(dst, peerMagic[:]...)
	dst = append(dst, r.Version, r.Status)
	dst = binary.BigEndian.AppendUint64(dst, uint64(r.ID))
	return append(dst, reason...)
}

// decodePeerReply decodes a reply payload (the frame without its length).
func decodePeerReply(p []byte) (peerReply, error) {
	var r peerReply
	if len(p) < peerReplyHeaderBytes || len(p) > peerReplyMaxBytes || [4]byte(p[:4]) != peerMagic {
		return r, fmt.Errorf("%w: reply of %d bytes", errPeerNotPeer, len(p))
	}
	r.Version, r.Status = p[4], p[5]
	r.ID = zab.ServerID(binary.BigEndian.Uint64(p[6:]))
	r.Reason = string(p[peerReplyHeaderBytes:])
	if !utf8.ValidString(r.Reason) {
		r.Reason = fmt.Sprintf("%q", r.Reason)
	}
	if r.Status != peerReplyAccept && r.Status != peerReplyRefuse {
		return r, fmt.Errorf("%w: reply status %d", errPeerNotPeer, r.Status)
	}
	return r, nil
}
