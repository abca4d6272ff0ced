package sidecar

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"

	"github.com/zkmesh/zkmesh/zab"
)

// Peer message wire format, version 1.
//
// Every peer message travels in one frame:
//
//	frame   = length payload
//	length  = uint32, big-endian: the number of bytes in payload (>= 1)
//	payload = version body
//	version = 0x01 (peerWireVersion)
//	body    = one msgpack map from small unsigned integer keys to values
//
// The keys, and what their values hold (all integers are msgpack unsigned
// integers in their shortest form, all byte strings msgpack bin):
//
//	1  Type       uint, 1..14 (zab.MessageType)       always written
//	2  From       uint (zab.ServerID)                 always written
//	3  To         uint (zab.ServerID)                 always written
//	4  Conn       uint                                omitted when 0
//	5  Seq        uint                                omitted when 0
//	6  Vote       array [Leader, Zxid, Epoch, Round, State]
//	                                                  omitted when zero
//	7  Epoch      uint, < 2^32                        omitted when 0
//	8  Zxid       uint                                omitted when 0
//	9  Mode       uint, 0..3 (zab.SyncMode)           omitted when 0
//	10 TruncZxid  uint                                omitted when 0
//	11 Snapshot   array [Zxid, Data bin]              omitted when nil
//	12 Entries    array of array [Zxid, Data bin]     omitted when empty
//	13 Data       bin                                 omitted when empty
//	14 Membership array [Voters array of uint, Observers array of uint]
//	                                                  the Snapshot's; omitted
//	                                                  when it has none
//
// Keys are written in increasing order. A decoder skips keys it does not
// know (a scalar, or a container nested at most peerWireSkipDepth deep) so
// that a later version may add optional fields without a version bump; a
// change of meaning of an existing key needs a new version byte. A
// zero-length bin decodes to nil, so an empty Data or Entry.Data comes back
// nil.
//
// A frame longer than the reader's limit is refused from its length alone,
// before anything is allocated for it; a body that ends early, holds a
// value of the wrong kind or range, repeats a key, or leaves bytes after
// the map is malformed.
const (
	peerWireVersion = 1

	peerKeyType      = 1
	peerKeyFrom      = 2
	peerKeyTo        = 3
	peerKeyConn      = 4
	peerKeySeq       = 5
	peerKeyVote      = 6
	peerKeyEpoch     = 7
	peerKeyZxid      = 8
	peerKeyMode      = 9
	peerKeyTruncZxid = 10
	peerKeySnapshot  = 11
	peerKeyEntries   = 12
	peerKeyData      = 13
	peerKeyMembers   = 14

	// peerWireSkipDepth bounds the nesting of an unknown value a decoder
	// skips, so that no input drives the decoder into deep recursion.
	peerWireSkipDepth = 4

	// peerMaxMessageType is the last zab.MessageType this version carries.
	peerMaxMessageType = zab.MsgApp
	// peerMaxSyncMode and peerMaxRole bound Mode and Vote.State.
	peerMaxSyncMode = zab.SyncSnap
	peerMaxRole     = zab.RoleObserving

	// peerDefaultMaxFrameBytes is the default frame limit: a SNAP sync
	// carries a whole tree in one frame.
	peerDefaultMaxFrameBytes = 256 << 20

	// peerFrameHeaderBytes is the size of the length prefix.
	peerFrameHeaderBytes = 4
	// peerFrameGrowStep is how much of a large frame is allocated before
	// its bytes have arrived: a peer that announces a huge frame and sends
	// nothing costs at most this much.
	peerFrameGrowStep = 1 << 20
)

// Peer codec errors.
var (
	// errPeerFrameTooLarge: a frame's length is above the limit.
	errPeerFrameTooLarge = errors.New("sidecar: peer frame too large")
	// errPeerBadFrame: a frame's bytes are not a valid peer message.
	errPeerBadFrame = errors.New("sidecar: malformed peer frame")
)

// peerCodec encodes zab.Messages into frames and decodes them back (the
// wire format is documented above). The zero value is not usable: set
// MaxFrameBytes. A peerCodec is a value with no state; it is safe for
// concurrent use.
type peerCodec struct {
	// MaxFrameBytes is the largest payload the codec writes or accepts.
	// Invariant: > 0.
	MaxFrameBytes uint32
}

// newPeerCodec returns a codec with the given frame limit (0 means the
// default, 256 MiB).
func newPeerCodec(maxFrameBytes uint32) peerCodec {
	if maxFrameBytes == 0 {
		maxFrameBytes = peerDefaultMaxFrameBytes
	}
	return peerCodec{MaxFrameBytes: maxFrameBytes}
}

// AppendFrame appends m's frame (length prefix included) to dst and returns
// the extended slice. It fails, leaving dst's contents unchanged, when the
// payload would exceed MaxFrameBytes.
func (c peerCodec) AppendFrame(dst []byte, m zab.Message) ([]byte, error) {
	start := len(dst)
	buf := bytes.NewBuffer(dst)
	buf.Write([]byte{0, 0, 0, 0, peerWireVersion})
	enc := msgpack.GetEncoder()
	enc.Reset(buf)
	err := encodePeerMessage(enc, m)
	msgpack.PutEncoder(enc)
	out := buf.Bytes()
	if err != nil {
		return out[:start], fmt.Errorf("sidecar: encode %s: %w", m.Type, err)
	}
	n := len(out) - start - peerFrameHeaderBytes
	if uint64(n) > uint64(c.MaxFrameBytes) {
		return out[:start], fmt.Errorf("%w: %s is %d bytes, limit %d", errPeerFrameTooLarge, m.Type, n, c.MaxFrameBytes)
	}
	binary.BigEndian.PutUint32(out[start:], uint32(n))
	return out, nil
}

// ReadFrame reads one frame from r and returns its payload. It refuses a
// frame whose length is above MaxFrameBytes before allocating for it, and
// grows the buffer of a large frame only as its bytes arrive.
func (c peerCodec) ReadFrame(r io.Reader) ([]byte, error) {
	return readPeerFrame(r, c.MaxFrameBytes)
}

// ReadMessage reads one frame from r and decodes it.
func (c peerCodec) ReadMessage(r io.Reader) (zab.Message, error) {
	p, err := c.ReadFrame(r)
	if err != nil {
		return zab.Message{}, err
	}
	return c.Decode(p)
}

// Decode decodes a frame payload (version byte and body). The byte slices
// of the returned message alias p (with their capacity capped, so an
// append copies): the caller must not modify p afterwards. ReadFrame
// returns a fresh p for every frame.
func (c peerCodec) Decode(p []byte) (zab.Message, error) {
	if len(p) == 0 {
		return zab.Message{}, fmt.Errorf("%w: empty payload", errPeerBadFrame)
	}
	if p[0] != peerWireVersion {
		return zab.Message{}, fmt.Errorf("%w: wire version %d, want %d", errPeerBadFrame, p[0], peerWireVersion)
	}
	r := bytes.NewReader(p[1:])
	dec := msgpack.GetDecoder()
	dec.Reset(r)
	m, err := decodePeerMessage(dec, r, p[1:])
	msgpack.PutDecoder(dec)
	if err != nil {
		return zab.Message{}, fmt.Errorf("%w: %v", errPeerBadFrame, err)
	}
	if r.Len() != 0 {
		return zab.Message{}, fmt.Errorf("%w: %d bytes after the message", errPeerBadFrame, r.Len())
	}
	return m, nil
}

// readPeerFrame reads a length-prefixed frame of at most limit bytes.
func readPeerFrame(r io.Reader, limit uint32) ([]byte, error) {
	var hdr [peerFrameHeaderBytes]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n == 0 {
		return nil, fmt.Errorf("%w: zero-length frame", errPeerBadFrame)
	}
	if n > limit {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", errPeerFrameTooLarge, n, limit)
	}
	buf := make([]byte, min(int(n), peerFrameGrowStep))
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, unexpectedEOF(err)
	}
	for len(buf) < int(n) {
		have := len(buf)
		buf = append(buf, make([]byte, min(int(n)-have, have))...)
		if _, err := io.ReadFull(r, buf[have:]); err != nil {
			return nil, unexpectedEOF(err)
		}
	}
	return buf, nil
}

// unexpectedEOF turns an EOF inside a frame into io.ErrUnexpectedEOF.
func unexpectedEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

func encodePeerMessage(e *msgpack.Encoder, m zab.Message) error {
	zeroVote := m.Vote == zab.Vote{}
	n := 3
	for _, present := range []bool{m.Conn != 0, m.Seq != 0, !zeroVote, m.Epoch != 0, m.Zxid != 0,
		m.Mode != 0, m.TruncZxid != 0, m.Snapshot != nil, len(m.Entries) > 0, len(m.Data) > 0,
		m.Snapshot != nil && m.Snapshot.Membership != nil} {
		if present {
			n++
		}
	}
	w := peerEncoder{e: e}
	w.err = e.EncodeMapLen(n)
	w.uintKey(peerKeyType, uint64(m.Type), true)
	w.uintKey(peerKeyFrom, uint64(m.From), true)
	w.uintKey(peerKeyTo, uint64(m.To), true)
	w.uintKey(peerKeyConn, m.Conn, false)
	w.uintKey(peerKeySeq, m.Seq, false)
	if !zeroVote {
		w.uint(peerKeyVote)
		w.arrayLen(5)
		w.uint(uint64(m.Vote.Leader))
		w.uint(uint64(m.Vote.Zxid))
		w.uint(uint64(m.Vote.Epoch))
		w.uint(m.Vote.Round)
		w.uint(uint64(m.Vote.State))
	}
	w.uintKey(peerKeyEpoch, uint64(m.Epoch), false)
	w.uintKey(peerKeyZxid, uint64(m.Zxid), false)
	w.uintKey(peerKeyMode, uint64(m.Mode), false)
	w.uintKey(peerKeyTruncZxid, uint64(m.TruncZxid), false)
	if m.Snapshot != nil {
		w.uint(peerKeySnapshot)
		w.arrayLen(2)
		w.uint(uint64(m.Snapshot.Zxid))
		w.bin(m.Snapshot.Data)
	}
	if len(m.Entries) > 0 {
		w.uint(peerKeyEntries)
		w.arrayLen(len(m.Entries))
		for _, en := range m.Entries {
			w.arrayLen(2)
			w.uint(uint64(en.Zxid))
			w.bin(en.Data)
		}
	}
	if len(m.Data) > 0 {
		w.uint(peerKeyData)
		w.bin(m.Data)
	}
	if m.Snapshot != nil && m.Snapshot.Membership != nil {
		w.uint(peerKeyMembers)
		w.arrayLen(2)
		for _, ids := range [][]zab.ServerID{m.Snapshot.Membership.Voters, m.Snapshot.Membership.Observers} {
			w.arrayLen(len(ids))
			for _, id := range ids {
				w.uint(uint64(id))
			}
		}
	}
	return w.err
}

// peerEncoder keeps the first error of a run of msgpack writes.
type peerEncoder struct {
	e   *msgpack.Encoder
	err error
}

func (w *peerEncoder) uint(v uint64) {
	if w.err == nil {
		w.err = w.e.EncodeUint(v)
	}
}

func (w *peerEncoder) uintKey(key, v uint64, always bool) {
	if v != 0 || always {
		w.uint(key)
		w.uint(v)
	}
}

func (w *peerEncoder) arrayLen(n int) {
	if w.err == nil {
		w.err = w.e.EncodeArrayLen(n)
	}
}

func (w *peerEncoder) bin(b []byte) {
	if w.err == nil {
		w.err = w.e.EncodeBytesLen(len(b))
	}
	if w.err == nil && len(b) > 0 {
		_, w.err = w.e.Writer().Write(b)
	}
}

// peerDecoder reads msgpack values from body through r, checking every
// announced length against the bytes left before allocating.
type peerDecoder struct {
	d    *msgpack.Decoder
	r    *bytes.Reader
	body []byte
}

func decodePeerMessage(d *msgpack.Decoder, r *bytes.Reader, body []byte) (zab.Message, error) {
	pd := peerDecoder{d: d, r: r, body: body}
	var m zab.Message
	n, err := pd.mapLen()
	if err != nil {
		return m, err
	}
	var seen uint64
	for range n {
		key, err := d.DecodeUint64()
		if err != nil {
			return m, fmt.Errorf("key: %w", err)
		}
		if key < 64 {
			if seen&(1<<key) != 0 {
				return m, fmt.Errorf("key %d twice", key)
			}
			seen |= 1 << key
		}
		if err := pd.field(&m, key); err != nil {
			return m, fmt.Errorf("key %d: %w", key, err)
		}
	}
	const required = 1<<peerKeyType | 1<<peerKeyFrom | 1<<peerKeyTo
	if seen&required != required {
		return m, errors.New("missing Type, From or To")
	}
	return m, nil
}

// field decodes the value of key into m.
func (pd peerDecoder) field(m *zab.Message, key uint64) error {
	var err error
	switch key {
	case peerKeyType:
		var v uint64
		if v, err = pd.uintMax(uint64(peerMaxMessageType)); err == nil {
			if v == 0 {
				return errors.New("message type 0")
			}
			m.Type = zab.MessageType(v)
		}
	case peerKeyFrom:
		var v uint64
		v, err = pd.d.DecodeUint64()
		m.From = zab.ServerID(v)
	case peerKeyTo:
		var v uint64
		v, err = pd.d.DecodeUint64()
		m.To = zab.ServerID(v)
	case peerKeyConn:
		m.Conn, err = pd.d.DecodeUint64()
	case peerKeySeq:
		m.Seq, err = pd.d.DecodeUint64()
	case peerKeyVote:
		m.Vote, err = pd.vote()
	case peerKeyEpoch:
		var v uint64
		v, err = pd.uintMax(math.MaxUint32)
		m.Epoch = uint32(v)
	case peerKeyZxid:
		var v uint64
		v, err = pd.d.DecodeUint64()
		m.Zxid = zab.Zxid(v)
	case peerKeyMode:
		var v uint64
		v, err = pd.uintMax(uint64(peerMaxSyncMode))
		m.Mode = zab.SyncMode(v)
	case peerKeyTruncZxid:
		var v uint64
		v, err = pd.d.DecodeUint64()
		m.TruncZxid = zab.Zxid(v)
	case peerKeySnapshot:
		var s zab.Snapshot
		if err = pd.arrayLenExactly(2); err == nil {
			var z uint64
			if z, err = pd.d.DecodeUint64(); err == nil {
				s.Zxid = zab.Zxid(z)
				if s.Data, err = pd.bin(); err == nil {
					m.Snapshot = &s
				}
			}
		}
	case peerKeyEntries:
		m.Entries, err = pd.entries()
	case peerKeyData:
		m.Data, err = pd.bin()
	case peerKeyMembers:
		if m.Snapshot == nil {
			return fmt.Errorf("membership without a snapshot")
		}
		var ms zab.Membership
		if ms, err = pd.membership(); err == nil {
			m.Snapshot.Membership = &ms
		}
	default:
		err = pd.skip(0)
	}
	return err
}

func (pd peerDecoder) vote() (zab.Vote, error) {
	var v zab.Vote
	if err := pd.arrayLenExactly(5); err != nil {
		return v, err
	}
	var f [5]uint64
	for i := range f {
		x, err := pd.d.DecodeUint64()
		if err != nil {
			return v, err
		}
		f[i] = x
	}
	if f[2] > math.MaxUint32 {
		return v, fmt.Errorf("vote epoch %d out of range", f[2])
	}
	if f[4] > uint64(peerMaxRole) {
		return v, fmt.Errorf("vote state %d out of range", f[4])
	}
	v = zab.Vote{Leader: zab.ServerID(f[0]), Zxid: zab.Zxid(f[1]), Epoch: uint32(f[2]), Round: f[3], State: zab.Role(f[4])}
	return v, nil
}

func (pd peerDecoder) entries() ([]zab.Entry, error) {
	n, err := pd.arrayLen(3) // an entry takes at least 3 bytes: 0x92, zxid, bin header
	if err != nil || n <= 0 {
		return nil, err
	}
	out := make([]zab.Entry, n)
	for i := range out {
		if err := pd.arrayLenExactly(2); err != nil {
			return nil, fmt.Errorf("entry %d: %w", i, err)
		}
		z, err := pd.d.DecodeUint64()
		if err != nil {
			return nil, fmt.Errorf("entry %d zxid: %w", i, err)
		}
		out[i].Zxid = zab.Zxid(z)
		if out[i].Data, err = pd.bin(); err != nil {
			return nil, fmt.Errorf("entry %d data: %w", i, err)
		}
	}
	return out, nil
}

// membership decodes a Snapshot's membership: two arrays of server ids.
func (pd peerDecoder) membership() (zab.Membership, error) {
	var ms zab.Membership
	if err := pd.arrayLenExactly(2); err != nil {
		return ms, err
	}
	for _, ids := range []*[]zab.ServerID{&ms.Voters, &ms.Observers} {
		n, err := pd.arrayLen(1)
		if err != nil {
			return ms, err
		}
		for range max(n, 0) {
			id, err := pd.d.DecodeUint64()
			if err != nil {
				return ms, err
			}
			*ids = append(*ids, zab.ServerID(id))
		}
	}
	return ms, nil
}

// uintMax decodes an unsigned integer no larger than limit.
func (pd peerDecoder) uintMax(limit uint64) (uint64, error) {
	c, err := pd.d.PeekCode()
	if err != nil {
		return 0, err
	}
	if !msgpcode.IsFixedNum(c) && c != msgpcode.Uint8 && c != msgpcode.Uint16 && c != msgpcode.Uint32 && c != msgpcode.Uint64 {
		return 0, fmt.Errorf("want an unsigned integer, got code 0x%02x", c)
	}
	v, err := pd.d.DecodeUint64()
	if err != nil {
		return 0, err
	}
	if v > limit {
		return 0, fmt.Errorf("%d out of range (max %d)", v, limit)
	}
	return v, nil
}

// mapLen decodes a non-nil map header whose entries fit in the bytes left.
func (pd peerDecoder) mapLen() (int, error) {
	c, err := pd.d.PeekCode()
	if err != nil {
		return 0, err
	}
	if !msgpcode.IsFixedMap(c) && c != msgpcode.Map16 && c != msgpcode.Map32 {
		return 0, fmt.Errorf("want a map, got code 0x%02x", c)
	}
	n, err := pd.d.DecodeMapLen()
	if err != nil {
		return 0, err
	}
	if n > pd.r.Len()/2 {
		return 0, fmt.Errorf("map of %d entries in %d bytes", n, pd.r.Len())
	}
	return n, nil
}

// arrayLen decodes an array header (-1 for nil) whose elements, each at
// least minElem bytes, fit in the bytes left.
func (pd peerDecoder) arrayLen(minElem int) (int, error) {
	n, err := pd.d.DecodeArrayLen()
	if err != nil {
		return 0, err
	}
	if n > 0 && n > pd.r.Len()/minElem {
		return 0, fmt.Errorf("array of %d elements in %d bytes", n, pd.r.Len())
	}
	return n, nil
}

func (pd peerDecoder) arrayLenExactly(want int) error {
	n, err := pd.d.DecodeArrayLen()
	if err != nil {
		return err
	}
	if n != want {
		return fmt.Errorf("array of %d elements, want %d", n, want)
	}
	return nil
}

// bin decodes a byte string as a slice of the body; nil and empty give
// nil.
func (pd peerDecoder) bin() ([]byte, error) {
	c, err := pd.d.PeekCode()
	if err != nil {
		return nil, err
	}
	if c != msgpcode.Bin8 && c != msgpcode.Bin16 && c != msgpcode.Bin32 && c != msgpcode.Nil {
		return nil, fmt.Errorf("want bin, got code 0x%02x", c)
	}
	n, err := pd.d.DecodeBytesLen()
	if err != nil {
		return nil, err
	}
	if n <= 0 {
		return nil, nil
	}
	if n > pd.r.Len() {
		return nil, fmt.Errorf("bin of %d bytes with %d left", n, pd.r.Len())
	}
	off := len(pd.body) - pd.r.Len()
	if _, err := pd.r.Seek(int64(n), io.SeekCurrent); err != nil {
		return nil, err
	}
	return pd.body[off : off+n : off+n], nil
}

// skip skips one value of an unknown key. Containers may nest at most
// peerWireSkipDepth deep; their lengths are checked against the bytes left.
func (pd peerDecoder) skip(depth int) error {
	if depth > peerWireSkipDepth {
		return errors.New("unknown value nested too deep")
	}
	c, err := pd.d.PeekCode()
	if err != nil {
		return err
	}
	switch {
	case msgpcode.IsFixedMap(c) || c == msgpcode.Map16 || c == msgpcode.Map32:
		n, err := pd.mapLen()
		if err != nil {
			return err
		}
		for range 2 * n {
			if err := pd.skip(depth + 1); err != nil {
				return err
			}
		}
		return nil
	case msgpcode.IsFixedArray(c) || c == msgpcode.Array16 || c == msgpcode.Array32:
		n, err := pd.arrayLen(1)
		if err != nil {
			return err
		}
		for range n {
			if err := pd.skip(depth + 1); err != nil {
				return err
			}
		}
		return nil
	case msgpcode.IsString(c) || msgpcode.IsBin(c):
		n, err := pd.d.DecodeBytesLen()
		if err != nil {
			return err
		}
		if n > pd.r.Len() {
			return fmt.Errorf("string of %d bytes with %d left", n, pd.r.Len())
		}
		_, err = pd.r.Seek(int64(max(n, 0)), io.SeekCurrent)
		return err
	case msgpcode.IsExt(c):
		return fmt.Errorf("extension type (code 0x%02x) not allowed", c)
	}
	// Numbers, nil and booleans: fixed size, nothing allocated.
	return pd.d.Skip()
}
