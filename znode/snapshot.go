package znode

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"

	"github.com/zkmesh/zkmesh/jute"
)

// Snapshot format: a header frame, one frame per session, one frame per
// node (parents before children), each a jute length-prefixed frame.
const (
	snapMagic   = 0x5a4b4d54 // "ZKMT"
	snapVersion = 2
	// maxSnapFrame bounds one node's frame: path, data and ACL.
	maxSnapFrame = 64 << 20
)

// ErrBadSnapshot reports a snapshot that does not decode to a valid tree.
var ErrBadSnapshot = errors.New("znode: malformed snapshot")

type snapHeader struct {
	magic, version int32
	lastZxid       int64
	sessions       int32
	nodes          int64
}

func (h *snapHeader) Encode(e *jute.Encoder) {
	e.Int(h.magic)
	e.Int(h.version)
	e.Long(h.lastZxid)
	e.Int(h.sessions)
	e.Long(h.nodes)
}

func (h *snapHeader) Decode(d *jute.Decoder) {
	h.magic, h.version, h.lastZxid, h.sessions, h.nodes = d.Int(), d.Int(), d.Long(), d.Int(), d.Long()
}

type snapSession struct {
	id      int64
	timeout int32
}

func (s *snapSession) Encode(e *jute.Encoder) { e.Long(s.id); e.Int(s.timeout) }
func (s *snapSession) Decode(d *jute.Decoder) { s.id, s.timeout = d.Long(), d.Int() }

type snapNode struct {
	path string
	data []byte
	acl  []jute.ACL
	stat jute.Stat
}

func (n *snapNode) Encode(e *jute.Encoder) {
	e.String(n.path)
	e.Buffer(n.data)
	jute.EncodeACLs(e, n.acl)
	n.stat.Encode(e)
}

func (n *snapNode) Decode(d *jute.Decoder) {
	n.path = d.String()
	n.data = d.Buffer()
	n.acl = jute.DecodeACLs(d)
	n.stat.Decode(d)
}

// snapChunk is how many nodes WriteSnapshot copies per hold of the read
// lock.
const snapChunk = 4096

// WriteSnapshot writes the tree, its sessions and a zxid to the writer that
// open returns when given that zxid. It is fuzzy, as ZooKeeper's snapshots
// are: the read lock is held only to copy the list of paths and the
// sessions, then for one short chunk of nodes at a time, so txns keep being
// applied while it runs. The image holds every txn up to the zxid and maybe
// some after it; whoever restores it replays the log from the zxid on,
// which is safe because applying a txn a second time changes nothing.
//
// Paths are written in sorted order, so a parent always comes before its
// children.
func (t *Tree) WriteSnapshot(open func(lastZxid int64) (io.Writer, error)) error {
	t.mu.RLock()
	zxid := t.lastZxid
	sessions := make([]snapSession, 0, len(t.sessions))
	for id, to := range t.sessions {
		sessions = append(sessions, snapSession{id: id, timeout: to})
	}
	paths := make([]string, 0, len(t.nodes))
	for p := range t.nodes {
		paths = append(paths, p)
	}
	t.mu.RUnlock()
	sort.Strings(paths)
	sort.Slice(sessions, func(i, j int) bool { return sessions[i].id < sessions[j].id })

	w, err := open(zxid)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	var frame []byte
	put := func(r jute.Record) error {
		frame = jute.AppendFrame(frame[:0], r)
		_, err := bw.Write(frame)
		return err
	}
	if err := put(&snapHeader{magic: snapMagic, version: snapVersion, lastZxid: zxid, sessions: int32(len(sessions)), nodes: -1}); err != nil {
		return err
	}
	for i := range sessions {
		if err := put(&sessions[i]); err != nil {
			return err
		}
	}
	chunk := make([]snapNode, 0, snapChunk)
	for len(paths) > 0 {
		n := min(snapChunk, len(paths))
		chunk = chunk[:0]
		t.mu.RLock()
		for _, p := range paths[:n] {
			// Data and ACL slices are never changed in place, so they
			// may be read after the lock is released.
			if nd := t.nodes[p]; nd != nil {
				chunk = append(chunk, snapNode{path: p, data: nd.data, acl: nd.acl, stat: nd.stat})
			}
		}
		t.mu.RUnlock()
		paths = paths[n:]
		for i := range chunk {
			if err := put(&chunk[i]); err != nil {
				return err
			}
		}
	}
	if err := put(&snapNode{}); err != nil { // the end: a node with no path
		return err
	}
	return bw.Flush()
}

// ReadSnapshot builds a tree from a snapshot written by WriteSnapshot. The
// bytes are untrusted: any inconsistency is ErrBadSnapshot, never a panic.
func ReadSnapshot(r io.Reader) (*Tree, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	var buf []byte
	next := func(rec jute.Record) error {
		var err error
		buf, err = readSnapFrame(br, buf)
		if err != nil {
			return fmt.Errorf("%w: %v", ErrBadSnapshot, err)
		}
		if err := jute.Unmarshal(buf, rec); err != nil {
			return fmt.Errorf("%w: %v", ErrBadSnapshot, err)
		}
		return nil
	}
	var h snapHeader
	if err := next(&h); err != nil {
		return nil, err
	}
	if h.magic != snapMagic || h.version != snapVersion || h.sessions < 0 || h.nodes != -1 {
		return nil, fmt.Errorf("%w: bad header", ErrBadSnapshot)
	}
	t := NewTree()
	t.nodes = make(map[string]*node)
	t.dataSize = 0
	t.lastZxid = h.lastZxid
	for i := int32(0); i < h.sessions; i++ {
		var s snapSession
		if err := next(&s); err != nil {
			return nil, err
		}
		t.sessions[s.id] = s.timeout
	}
	last := ""
	for {
		var sn snapNode
		if err := next(&sn); err != nil {
			return nil, err
		}
		if sn.path == "" {
			break
		}
		switch {
		case last == "" && sn.path != "/":
			return nil, fmt.Errorf("%w: first node is %q, not /", ErrBadSnapshot, sn.path)
		case last != "" && (ValidatePath(sn.path) != nil || sn.path <= last):
			return nil, fmt.Errorf("%w: bad, repeated or unsorted path %q after %q", ErrBadSnapshot, sn.path, last)
		}
		last = sn.path
		if sn.path != "/" {
			parentPath, name := splitPath(sn.path)
			parent := t.nodes[parentPath]
			if parent == nil {
				// Its parent was gone when the fuzzy snapshot reached it:
				// both were deleted and created again after the snapshot
				// began, and the log after the snapshot's zxid creates
				// them again.
				continue
			}
			parent.addChild(name)
		}
		n := &node{data: sn.data, acl: t.internACL(sn.acl), stat: sn.stat}
		t.nodes[sn.path] = n
		t.dataSize += int64(len(sn.path) + len(sn.data))
		owner := sn.stat.EphemeralOwner
		switch kindOf(owner) {
		case kindContainer:
			t.containers[sn.path] = struct{}{}
		case kindTTL:
			t.ttls[sn.path] = struct{}{}
		case kindEphemeral:
			if t.ephemerals[owner] == nil {
				t.ephemerals[owner] = make(map[string]struct{})
			}
			t.ephemerals[owner][sn.path] = struct{}{}
		}
	}
	for _, p := range []string{ZookeeperPath, QuotaPath, ConfigPath} {
		if t.nodes[p] == nil {
			return nil, fmt.Errorf("%w: system node %s missing", ErrBadSnapshot, p)
		}
	}
	return t, nil
}

// ReplaceWith makes t hold exactly the nodes, sessions and last zxid of src
// (a tree read from a snapshot sent by a leader). Registered watches stay as
// they are; src must not be used afterwards.
func (t *Tree) ReplaceWith(src *Tree) {
	src.mu.Lock()
	defer src.mu.Unlock()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.nodes, t.ephemerals, t.containers, t.ttls = src.nodes, src.ephemerals, src.containers, src.ttls
	t.sessions, t.lastZxid, t.dataSize = src.sessions, src.lastZxid, src.dataSize
}

// snapReadChunk is how much readSnapFrame allocates ahead of the bytes that
// have actually arrived.
const snapReadChunk = 1 << 20

// readSnapFrame reads one length-prefixed frame into buf (reused when large
// enough). The length is bounded by maxSnapFrame, and the buffer grows only
// as the bytes arrive, so a short or lying input cannot make the reader
// allocate a large frame it does not hold.
func readSnapFrame(r io.Reader, buf []byte) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := int32(binary.BigEndian.Uint32(hdr[:]))
	if n < 0 || n > maxSnapFrame {
		return nil, fmt.Errorf("frame length %d out of range [0, %d]", n, maxSnapFrame)
	}
	buf = buf[:0]
	for len(buf) < int(n) {
		chunk := min(int(n)-len(buf), snapReadChunk)
		buf = slices.Grow(buf, chunk)
		start := len(buf)
		buf = buf[:start+chunk]
		if _, err := io.ReadFull(r, buf[start:]); err != nil {
			return nil, err
		}
	}
	return buf, nil
}
