package discovery

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// MaxMetaSize is the largest encoded Meta: memberlist's limit on node meta.
const MaxMetaSize = 512

// metaVersion is the encoding version EncodeMeta writes. DecodeMeta reads
// this version and any later one whose prefix is a version-1 body (later
// versions may only append fields).
const metaVersion = 1

// Flag bits of the encoded Meta.
const (
	flagDataEmpty = 1 << 0
	flagLeaving   = 1 << 1
	knownFlags    = flagDataEmpty | flagLeaving
)

// Role is what a member does in the ensemble, as it advertises it. Gossip
// reports it; it never decides it.
type Role uint8

// Roles. The zero Role is invalid, so a forgotten field is caught by Validate.
const (
	RoleVoter     Role = 1 // configured voter (leader or follower)
	RoleObserver  Role = 2 // observer: replicates, never votes
	RoleCandidate Role = 3 // wants to become a voter through reconfiguration
)

// String returns "voter", "observer", "candidate" or "role(N)".
func (r Role) String() string {
	switch r {
	case RoleVoter:
		return "voter"
	case RoleObserver:
		return "observer"
	case RoleCandidate:
		return "candidate"
	}
	return "role(" + strconv.Itoa(int(r)) + ")"
}

// Valid reports whether r is one of the defined roles.
func (r Role) Valid() bool { return r >= RoleVoter && r <= RoleCandidate }

// ParseRole parses the output of Role.String for a valid role.
func ParseRole(s string) (Role, error) {
	for r := RoleVoter; r <= RoleCandidate; r++ {
		if r.String() == s {
			return r, nil
		}
	}
	return 0, fmt.Errorf("discovery: unknown role %q (want voter, observer or candidate)", s)
}

// Meta is what every member advertises through gossip. It travels inside
// memberlist's node meta, so its encoding is at most MaxMetaSize bytes.
type Meta struct {
	// ServerID is the member's ZooKeeper server id; 0 means "none yet" (an
	// observer that has not allocated one). Invariant: among live members no
	// two different names hold the same non-zero ServerID.
	ServerID uint64
	// Role the member advertises.
	Role Role
	// PeerAddr is the host:port of the ZAB peer (quorum) listener.
	PeerAddr string
	// ElectionAddr is the host:port of the leader election listener.
	ElectionAddr string
	// ClientAddr is the host:port of the ZooKeeper client port.
	ClientAddr string
	// XDSAddr is the host:port of the xDS (ADS) server; empty if none.
	XDSAddr string
	// Zone and Region locate the member for locality-aware choices.
	Zone, Region string
	// Version is the zkmesh build version.
	Version string
	// LastZxid is the last zxid applied by the member's replica, as of its
	// last meta broadcast (updates are rate limited, so it lags).
	LastZxid int64
	// DataEmpty reports that the member has no data on disk (for bootstrap).
	DataEmpty bool
	// Leaving is set by Members.Leave just before the member leaves, so that
	// others record it as left rather than dead. UpdateMeta does not change it.
	Leaving bool
}

// strings returns the string fields in encoding order.
func (m *Meta) strings() [7]*string {
	return [7]*string{&m.PeerAddr, &m.ElectionAddr, &m.ClientAddr, &m.XDSAddr, &m.Zone, &m.Region, &m.Version}
}

// EncodeMeta encodes m compactly: a version byte, the id as a uvarint, the
// role byte, the seven strings as uvarint length + bytes, LastZxid as a
// zig-zag varint, and a flags byte. It fails with ErrMetaTooLarge above
// MaxMetaSize and with ErrBadMeta for an invalid role or a string that is not
// UTF-8.
func EncodeMeta(m Meta) ([]byte, error) {
	if !m.Role.Valid() {
		return nil, fmt.Errorf("%w: role %s", ErrBadMeta, m.Role)
	}
	size := 1 + binary.MaxVarintLen64 + 1 + binary.MaxVarintLen64 + 1
	for _, s := range m.strings() {
		if !utf8.ValidString(*s) {
			return nil, fmt.Errorf("%w: string field is not UTF-8", ErrBadMeta)
		}
		size += binary.MaxVarintLen64 + len(*s)
	}
	b := make([]byte, 0, size)
	b = append(b, metaVersion)
	b = binary.AppendUvarint(b, m.ServerID)
	b = append(b, byte(m.Role))
	for _, s := range m.strings() {
		b = binary.AppendUvarint(b, uint64(len(*s)))
		b = append(b, *s...)
	}
	b = binary.AppendVarint(b, m.LastZxid)
	var flags byte
	if m.DataEmpty {
		flags |= flagDataEmpty
	}
	if m.Leaving {
		flags |= flagLeaving
	}
	b = append(b, flags)
	if len(b) > MaxMetaSize {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrMetaTooLarge, len(b), MaxMetaSize)
	}
	return b, nil
}

// DecodeMeta decodes bytes received from the network. It never panics and
// never allocates more than len(b) for strings; every length is checked
// against what remains. Version 1 must be consumed exactly; a later version
// may carry extra trailing fields, which are ignored. It does not retain b.
func DecodeMeta(b []byte) (Meta, error) {
	var m Meta
	if len(b) > MaxMetaSize {
		return m, fmt.Errorf("%w: %d bytes, limit %d", ErrBadMeta, len(b), MaxMetaSize)
	}
	if len(b) == 0 {
		return m, fmt.Errorf("%w: empty", ErrBadMeta)
	}
	version := b[0]
	if version < metaVersion {
		return m, fmt.Errorf("%w: version %d", ErrBadMeta, version)
	}
	p := b[1:]
	id, n := binary.Uvarint(p)
	if n <= 0 {
		return m, fmt.Errorf("%w: server id", ErrBadMeta)
	}
	m.ServerID, p = id, p[n:]
	if len(p) == 0 {
		return m, fmt.Errorf("%w: role missing", ErrBadMeta)
	}
	m.Role, p = Role(p[0]), p[1:]
	if !m.Role.Valid() {
		return m, fmt.Errorf("%w: role %d", ErrBadMeta, m.Role)
	}
	for i, s := range m.strings() {
		l, n := binary.Uvarint(p)
		if n <= 0 || l > uint64(len(p)-n) {
			return m, fmt.Errorf("%w: string %d length", ErrBadMeta, i)
		}
		v := p[n : n+int(l)]
		if !utf8.Valid(v) {
			return m, fmt.Errorf("%w: string %d is not UTF-8", ErrBadMeta, i)
		}
		*s, p = string(v), p[n+int(l):]
	}
	z, n := binary.Varint(p)
	if n <= 0 {
		return m, fmt.Errorf("%w: last zxid", ErrBadMeta)
	}
	m.LastZxid, p = z, p[n:]
	if len(p) == 0 {
		return m, fmt.Errorf("%w: flags missing", ErrBadMeta)
	}
	flags := p[0]
	p = p[1:]
	if version == metaVersion {
		if flags&^knownFlags != 0 {
			return m, fmt.Errorf("%w: unknown flags %#x", ErrBadMeta, flags)
		}
		if len(p) != 0 {
			return m, fmt.Errorf("%w: %d trailing bytes", ErrBadMeta, len(p))
		}
	}
	m.DataEmpty = flags&flagDataEmpty != 0
	m.Leaving = flags&flagLeaving != 0
	return m, nil
}
