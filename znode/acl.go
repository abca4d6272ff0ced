package znode

import (
	"crypto/sha1"
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/zkmesh/zkmesh/jute"
)

// Authentication schemes known to the server, as ZooKeeper's ProviderRegistry
// registers them by default.
const (
	SchemeWorld  = "world"
	SchemeAuth   = "auth"
	SchemeDigest = "digest"
	SchemeIP     = "ip"
	SchemeSuper  = "super"
)

// DigestID returns the id that the digest scheme derives from "user:password":
// "user:" followed by base64(sha1("user:password")).
func DigestID(userPassword string) string {
	user, _, _ := strings.Cut(userPassword, ":")
	sum := sha1.Sum([]byte(userPassword))
	return user + ":" + base64.StdEncoding.EncodeToString(sum[:])
}

// CheckACL reports whether any of ids is granted any of the bits in perm by
// acl, by ZooKeeperServer.checkACL's rules: an empty ACL grants everything,
// the super id is granted everything, world:anyone matches everyone, digest
// ids match exactly and ip ids match by address or CIDR range.
func CheckACL(acl []jute.ACL, perm jute.Perm, ids []jute.Id) bool {
	if len(acl) == 0 {
		return true
	}
	for _, id := range ids {
		if id.Scheme == SchemeSuper {
			return true
		}
	}
	for _, a := range acl {
		if a.Perms&perm == 0 {
			continue
		}
		if a.ID.Scheme == SchemeWorld && a.ID.ID == "anyone" {
			return true
		}
		for _, id := range ids {
			if id.Scheme == a.ID.Scheme && idMatches(a.ID.Scheme, id.ID, a.ID.ID) {
				return true
			}
		}
	}
	return false
}

func idMatches(scheme, have, want string) bool {
	switch scheme {
	case SchemeDigest:
		return have == want
	case SchemeIP:
		return ipMatches(have, want)
	}
	return false
}

// ipMatches is IPAuthenticationProvider.matches: pattern is an IPv4 address
// with an optional "/bits" prefix length, and addr matches when both agree
// on those bits. ZooKeeper 3.8 knows IPv4 only, so an IPv6 address or
// pattern never matches.
func ipMatches(addr, pattern string) bool {
	want, bits, ok := ipPattern(pattern)
	if !ok {
		return false
	}
	have, ok := ipv4Bytes(addr)
	if !ok {
		return false
	}
	maskIPv4(&want, bits)
	maskIPv4(&have, bits)
	return want == have
}

// ipPattern parses an ip ACL id, "a.b.c.d" or "a.b.c.d/bits", as
// IPAuthenticationProvider.isValid and matches do.
func ipPattern(pattern string) (addr [4]byte, bits int, ok bool) {
	host, prefix, hasPrefix := strings.Cut(pattern, "/")
	addr, ok = ipv4Bytes(host)
	if !ok {
		return addr, 0, false
	}
	bits = 32
	if hasPrefix {
		n, err := strconv.ParseInt(prefix, 10, 32)
		if err != nil || n < 0 || n > 32 {
			return addr, 0, false
		}
		bits = int(n)
	}
	return addr, bits, true
}

// ipv4Bytes parses four dot-separated numbers in 0..255 the way
// IPAuthenticationProvider.v4addr2Bytes does, with Java's Integer.parseInt:
// a sign and leading zeros are accepted ("010" is ten).
func ipv4Bytes(s string) (b [4]byte, ok bool) {
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return b, false
	}
	for i, p := range parts {
		v, err := strconv.ParseInt(p, 10, 32)
		if err != nil || v < 0 || v > 255 {
			return b, false
		}
		b[i] = byte(v)
	}
	return b, true
}

// maskIPv4 keeps the first bits bits of b.
func maskIPv4(b *[4]byte, bits int) {
	for i := range b {
		switch {
		case bits >= 8:
			bits -= 8
		case bits <= 0:
			b[i] = 0
		default:
			b[i] &= ^byte(0xff >> bits)
			bits = 0
		}
	}
}

// validID reports whether id is well formed for its scheme (the
// providers' isValid).
func validID(id jute.Id) bool {
	switch id.Scheme {
	case SchemeDigest:
		// DigestAuthenticationProvider.isValid: id.split(":") has two
		// parts, where Java's split drops trailing empty strings ("bob:" is
		// one part, "bob:h:" two).
		parts := strings.Split(id.ID, ":")
		for len(parts) > 0 && parts[len(parts)-1] == "" {
			parts = parts[:len(parts)-1]
		}
		return len(parts) == 2
	case SchemeIP:
		_, _, ok := ipPattern(id.ID)
		return ok
	}
	return false
}

// authenticated reports whether ids of this scheme come from a real
// authentication (and so may stand in for the "auth" scheme).
func authenticated(scheme string) bool { return scheme == SchemeDigest }

// FixupACL validates an ACL list from a client and expands the "auth"
// scheme into the caller's authenticated ids, as PrepRequestProcessor.fixupACL
// does. Duplicates are removed first.
func FixupACL(acl []jute.ACL, authIDs []jute.Id) ([]jute.ACL, error) {
	uniq := make([]jute.ACL, 0, len(acl))
	for _, a := range acl {
		dup := false
		for _, u := range uniq {
			if u == a {
				dup = true
				break
			}
		}
		if !dup {
			uniq = append(uniq, a)
		}
	}
	if len(uniq) == 0 {
		return nil, ErrInvalidACL
	}
	out := make([]jute.ACL, 0, len(uniq))
	for _, a := range uniq {
		switch {
		case a.ID.Scheme == SchemeWorld && a.ID.ID == "anyone":
			out = append(out, a)
		case a.ID.Scheme == SchemeAuth:
			ok := false
			for _, id := range authIDs {
				if authenticated(id.Scheme) {
					ok = true
					out = append(out, jute.ACL{Perms: a.Perms, ID: id})
				}
			}
			if !ok {
				return nil, ErrInvalidACL
			}
		default:
			if !validID(a.ID) {
				return nil, ErrInvalidACL
			}
			out = append(out, a)
		}
	}
	return out, nil
}

// HideDigests returns acl with the password hash of every digest id
// replaced by "x", as getACL answers callers without ADMIN permission.
func HideDigests(acl []jute.ACL) []jute.ACL {
	out := make([]jute.ACL, len(acl))
	for i, a := range acl {
		out[i] = a
		if a.ID.Scheme == SchemeDigest {
			if user, _, ok := strings.Cut(a.ID.ID, ":"); ok {
				out[i].ID.ID = user + ":x"
			}
		}
	}
	return out
}
