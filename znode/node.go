package znode

import (
	"sort"

	"github.com/zkmesh/zkmesh/jute"
)

// Owner values that mark container and TTL nodes in a node's ephemeral
// owner, as ZooKeeper's EphemeralType encodes them. Clients never see them:
// the Stat they receive carries 0 for such nodes.
const (
	containerOwner int64 = -1 << 63
	extendedMask   int64 = -1 << 56 // 0xff00000000000000
	// MaxTTLMs is the largest TTL accepted (EphemeralType.TTL's limit).
	MaxTTLMs int64 = 1<<40 - 1
)

func ttlOwner(ttlMs int64) int64 { return extendedMask | ttlMs }

// nodeKind classifies an ephemeral owner value.
type nodeKind uint8

const (
	kindPersistent nodeKind = iota
	kindEphemeral
	kindContainer
	kindTTL
)

func kindOf(owner int64) nodeKind {
	switch {
	case owner == 0:
		return kindPersistent
	case owner == containerOwner:
		return kindContainer
	case owner&extendedMask == extendedMask:
		return kindTTL
	}
	return kindEphemeral
}

// node is one znode.
//
// Invariant: stat.NumChildren == len(children) and stat.DataLength ==
// len(data) are maintained by Tree; acl slices are never mutated in place.
type node struct {
	data     []byte
	acl      []jute.ACL
	stat     jute.Stat // EphemeralOwner holds the raw owner (container/TTL marks)
	children map[string]struct{}
}

// clientStat returns the Stat a client sees. The stored cversion counts
// child creations only (it numbers sequential children); clients see it as
// DataNode.copyStat reports it, creations plus deletions: every child
// created and no longer present was deleted once.
func (n *node) clientStat() jute.Stat {
	s := n.stat
	s.DataLength = int32(len(n.data))
	s.NumChildren = int32(len(n.children))
	s.Cversion = n.stat.Cversion*2 - s.NumChildren
	if kindOf(s.EphemeralOwner) != kindEphemeral {
		s.EphemeralOwner = 0
	}
	return s
}

func (n *node) sortedChildren() []string {
	out := make([]string, 0, len(n.children))
	for c := range n.children {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

func (n *node) addChild(name string) {
	if n.children == nil {
		n.children = make(map[string]struct{})
	}
	n.children[name] = struct{}{}
}
