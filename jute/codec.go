package jute

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// Decoding errors. They are sticky: once a Decoder has failed, every later
// read returns a zero value and Err reports the first failure.
var (
	ErrShortBuffer    = errors.New("jute: record extends past the end of the frame")
	ErrNegativeLength = errors.New("jute: negative length")
	ErrTooLong        = errors.New("jute: length exceeds the bytes remaining")
	ErrTrailingBytes  = errors.New("jute: trailing bytes after record")
)

// Record is a jute record that can be written and read.
//
// Decode reads the record from d; failures are recorded in d (see
// Decoder.Err) rather than returned, so a record's Decode is a flat list of
// field reads.
type Record interface {
	Encode(e *Encoder)
	Decode(d *Decoder)
}

// Decoder reads jute primitives from one in-memory frame. It never reads
// past the frame, and every length is checked against the bytes remaining
// before anything is allocated, so allocations are proportional to the
// frame, never to a claimed length.
//
// A Decoder is not safe for concurrent use. Byte slices it returns are
// copies; the frame may be reused after decoding.
type Decoder struct {
	buf []byte
	off int
	err error
}

// NewDecoder returns a Decoder over b. It retains b until decoding is done.
func NewDecoder(b []byte) *Decoder { return &Decoder{buf: b} }

// Err returns the first error met, or nil.
func (d *Decoder) Err() error { return d.err }

// Remaining returns how many bytes are left unread.
func (d *Decoder) Remaining() int { return len(d.buf) - d.off }

// Offset returns how many bytes have been read.
func (d *Decoder) Offset() int { return d.off }

// Fail records err as the decoder's error if none is recorded yet.
func (d *Decoder) Fail(err error) {
	if d.err == nil {
		d.err = err
	}
}

func (d *Decoder) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n > len(d.buf)-d.off {
		d.err = ErrShortBuffer
		return nil
	}
	b := d.buf[d.off : d.off+n]
	d.off += n
	return b
}

// Int reads a big-endian int32.
func (d *Decoder) Int() int32 {
	b := d.take(4)
	if b == nil {
		return 0
	}
	return int32(binary.BigEndian.Uint32(b))
}

// Long reads a big-endian int64.
func (d *Decoder) Long() int64 {
	b := d.take(8)
	if b == nil {
		return 0
	}
	return int64(binary.BigEndian.Uint64(b))
}

// Bool reads one byte; any non-zero value is true.
func (d *Decoder) Bool() bool {
	b := d.take(1)
	if b == nil {
		return false
	}
	return b[0] != 0
}

// Buffer reads a length-prefixed byte buffer. Length -1 is a nil buffer.
// The result is a copy.
func (d *Decoder) Buffer() []byte {
	n := d.Int()
	if d.err != nil {
		return nil
	}
	if n == -1 {
		return nil
	}
	if n < 0 {
		d.err = ErrNegativeLength
		return nil
	}
	if int(n) > d.Remaining() {
		d.err = ErrTooLong
		return nil
	}
	b := d.take(int(n))
	out := make([]byte, len(b))
	copy(out, b)
	return out
}

// String reads a length-prefixed UTF-8 string. Length -1 reads as "".
func (d *Decoder) String() string {
	n := d.Int()
	if d.err != nil || n == -1 {
		return ""
	}
	if n < 0 {
		d.err = ErrNegativeLength
		return ""
	}
	if int(n) > d.Remaining() {
		d.err = ErrTooLong
		return ""
	}
	return string(d.take(int(n)))
}

// VectorLen reads a vector length and checks that n elements of at least
// minElemBytes each fit in what remains. It returns -1 for a null vector.
// Callers allocate only after this check.
func (d *Decoder) VectorLen(minElemBytes int) int {
	n := d.Int()
	if d.err != nil {
		return 0
	}
	if n == -1 {
		return -1
	}
	if n < 0 {
		d.err = ErrNegativeLength
		return 0
	}
	if minElemBytes < 1 {
		minElemBytes = 1
	}
	if int64(n)*int64(minElemBytes) > int64(d.Remaining()) {
		d.err = ErrTooLong
		return 0
	}
	return int(n)
}

// Strings reads a vector of strings. A null vector (length -1) reads as nil
// and an empty one as a non-nil empty slice, so that re-encoding gives back
// the same bytes.
func (d *Decoder) Strings() []string {
	n := d.VectorLen(4)
	if n < 0 || d.err != nil {
		return nil
	}
	out := make([]string, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		out = append(out, d.String())
	}
	return out
}

// Encoder appends jute primitives to a byte slice.
type Encoder struct {
	buf []byte
}

// NewEncoder returns an Encoder that appends to buf (which may be nil).
func NewEncoder(buf []byte) *Encoder { return &Encoder{buf: buf} }

// Bytes returns everything encoded so far.
func (e *Encoder) Bytes() []byte { return e.buf }

// Len returns the number of bytes encoded so far.
func (e *Encoder) Len() int { return len(e.buf) }

// Int appends a big-endian int32.
func (e *Encoder) Int(v int32) { e.buf = binary.BigEndian.AppendUint32(e.buf, uint32(v)) }

// Long appends a big-endian int64.
func (e *Encoder) Long(v int64) { e.buf = binary.BigEndian.AppendUint64(e.buf, uint64(v)) }

// Bool appends one byte, 1 for true.
func (e *Encoder) Bool(v bool) {
	if v {
		e.buf = append(e.buf, 1)
	} else {
		e.buf = append(e.buf, 0)
	}
}

// Buffer appends a length-prefixed buffer; nil is written as length -1.
func (e *Encoder) Buffer(b []byte) {
	if b == nil {
		e.Int(-1)
		return
	}
	e.Int(int32(len(b)))
	e.buf = append(e.buf, b...)
}

// String appends a length-prefixed string.
func (e *Encoder) String(s string) {
	e.Int(int32(len(s)))
	e.buf = append(e.buf, s...)
}

// Strings appends a vector of strings; nil is written as length -1.
func (e *Encoder) Strings(v []string) {
	if v == nil {
		e.Int(-1)
		return
	}
	e.Int(int32(len(v)))
	for _, s := range v {
		e.String(s)
	}
}

// Raw appends b with no length prefix.
func (e *Encoder) Raw(b []byte) { e.buf = append(e.buf, b...) }

// Marshal encodes the records one after another into a new slice. Nil
// records are skipped, so a reply without a body can be written as
// Marshal(&hdr, body) with body nil.
func Marshal(recs ...Record) []byte {
	e := NewEncoder(nil)
	for _, r := range recs {
		if r != nil {
			r.Encode(e)
		}
	}
	return e.Bytes()
}

// Unmarshal decodes b into r and requires that r consume all of b.
func Unmarshal(b []byte, r Record) error {
	d := NewDecoder(b)
	r.Decode(d)
	if d.err != nil {
		return d.err
	}
	if d.Remaining() != 0 {
		return ErrTrailingBytes
	}
	return nil
}

// DefaultMaxBuffer is jute.maxbuffer's default: the largest frame accepted.
const DefaultMaxBuffer = 0xfffff

// ErrFrameTooLarge is returned by ReadFrame for a length above the limit.
var ErrFrameTooLarge = errors.New("jute: frame length exceeds jute.maxbuffer")

// ReadFrame reads one length-prefixed frame from r. A negative length or one
// above maxBuffer is refused before any allocation. buf is reused when it is
// large enough; the returned slice aliases it.
func ReadFrame(r io.Reader, maxBuffer int, buf []byte) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := int32(binary.BigEndian.Uint32(hdr[:]))
	if n < 0 {
		return nil, fmt.Errorf("%w: %d", ErrNegativeLength, n)
	}
	if maxBuffer <= 0 || maxBuffer > math.MaxInt32 {
		maxBuffer = DefaultMaxBuffer
	}
	if int(n) > maxBuffer {
		return nil, fmt.Errorf("%w: %d > %d", ErrFrameTooLarge, n, maxBuffer)
	}
	if cap(buf) < int(n) {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, err
	}
	return buf, nil
}

// AppendFrame appends a 4-byte length prefix and the encoded records to dst.
// Nil records are skipped.
func AppendFrame(dst []byte, recs ...Record) []byte {
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	e := NewEncoder(dst)
	for _, r := range recs {
		if r != nil {
			r.Encode(e)
		}
	}
	dst = e.Bytes()
	binary.BigEndian.PutUint32(dst[start:], uint32(len(dst)-start-4))
	return dst
}
