package zab

import (
	"errors"
	"fmt"
)

func (n *Node) setHardState(hs HardState) {
	if hs == n.hs {
		return
	}
	n.hs = hs
	n.hsDirty = true
	n.writeGen++
}

func (n *Node) appendEntry(e Entry) {
	if e.Zxid <= n.lastZxid {
		panic(fmt.Sprintf("zab: node %d appends %s after %s", n.id, e.Zxid, n.lastZxid))
	}
	n.unEnts = append(n.unEnts, e)
	n.pend = append(n.pend, e)
	n.lastZxid = e.Zxid
	n.writeGen++
	n.noteEntry(e)
}

// truncateLog drops every entry above t. The caller checked that t is in
// the log.
func (n *Node) truncateLog(t Zxid) {
	if t >= n.lastZxid {
		return
	}
	if t < n.commit {
		panic(fmt.Sprintf("zab: node %d truncates to %s below its commit %s", n.id, t, n.commit))
	}
	if n.unSnap != nil && t < n.unSnap.Zxid {
		panic(fmt.Sprintf("zab: node %d truncates to %s below its pending snapshot %s", n.id, t, n.unSnap.Zxid))
	}
	n.unEnts = cutAbove(n.unEnts, t)
	n.pend = cutAbove(n.pend, t)
	if n.unSnap == nil && (n.unTrunc == nil || t < *n.unTrunc) {
		tt := t
		n.unTrunc = &tt
	}
	n.lastZxid = t
	n.durableZxid = min(n.durableZxid, t)
	n.writeGen++
	n.cutConfigs(t)
}

func (n *Node) installSnapshot(s Snapshot) {
	if s.Zxid < n.applied {
		panic(fmt.Sprintf("zab: node %d installs snapshot %s below applied %s", n.id, s.Zxid, n.applied))
	}
	n.unSnap = &s
	n.unTrunc = nil
	n.unEnts = nil
	n.pend = nil
	n.lastZxid = s.Zxid
	n.durableZxid = min(n.durableZxid, s.Zxid)
	n.commit = max(n.commit, s.Zxid)
	n.writeGen++
	m := n.cur
	if s.Membership != nil {
		m = *s.Membership
	}
	n.resetConfigs(m, s.Zxid)
}

func cutAbove(ents []Entry, t Zxid) []Entry {
	i := len(ents)
	for i > 0 && ents[i-1].Zxid > t {
		i--
	}
	return ents[:i]
}

// hasEntry reports whether z is the zxid of an entry in the log, the
// snapshot's zxid, or 0.
func (n *Node) hasEntry(z Zxid) (bool, error) {
	if z == 0 {
		return true, nil
	}
	if z > n.lastZxid {
		return false, nil
	}
	if n.unSnap != nil && z == n.unSnap.Zxid {
		return true, nil
	}
	for _, e := range n.pend {
		if e.Zxid == z {
			return true, nil
		}
	}
	if z > n.durableZxid || n.unSnap != nil {
		return false, nil
	}
	if sz, err := snapshotZxid(n.store); err != nil {
		return false, err
	} else if sz == z {
		return true, nil
	}
	ents, err := n.store.Entries(z-1, 1)
	if errors.Is(err, ErrCompacted) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return len(ents) == 1 && ents[0].Zxid == z, nil
}

// entriesBetween returns the log entries in (after, upto]. Only a member
// with no pending truncation or snapshot may call it (a leader).
func (n *Node) entriesBetween(after, upto Zxid) ([]Entry, error) {
	if n.unSnap != nil || n.unTrunc != nil {
		panic(fmt.Sprintf("zab: node %d reads its log with a pending truncate or snapshot", n.id))
	}
	var out []Entry
	if after < n.durableZxid {
		ents, err := n.store.Entries(after, 0)
		if err != nil {
			return nil, err
		}
		for _, e := range ents {
			if e.Zxid > n.durableZxid || e.Zxid > upto {
				break
			}
			out = append(out, e)
		}
	}
	for _, e := range n.pend {
		if e.Zxid > after && e.Zxid <= upto {
			out = append(out, e)
		}
	}
	return out, nil
}
