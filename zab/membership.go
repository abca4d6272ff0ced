package zab

import (
	"fmt"
	"slices"
)

// Membership is a set of ensemble members: the voters, whose acks count
// toward a quorum and who may lead, and the observers, who only receive
// committed txns.
type Membership struct {
	// Voters: non-empty, no 0, no duplicates.
	Voters []ServerID
	// Observers: no 0, no duplicates, disjoint from Voters.
	Observers []ServerID
}

// Validate reports what is wrong with m, wrapping ErrConfig.
func (m Membership) Validate() error {
	if len(m.Voters) == 0 {
		return fmt.Errorf("%w: Voters: must not be empty", ErrConfig)
	}
	seen := map[ServerID]string{}
	for _, v := range m.Voters {
		if v == 0 {
			return fmt.Errorf("%w: Voters: contains id 0", ErrConfig)
		}
		if _, dup := seen[v]; dup {
			return fmt.Errorf("%w: Voters: lists %d twice", ErrConfig, v)
		}
		seen[v] = "Voters"
	}
	for _, o := range m.Observers {
		if o == 0 {
			return fmt.Errorf("%w: Observers: contains id 0", ErrConfig)
		}
		if where, dup := seen[o]; dup {
			return fmt.Errorf("%w: Observers: lists %d, already in %s", ErrConfig, o, where)
		}
		seen[o] = "Observers"
	}
	return nil
}

// Clone returns a deep copy of m with both lists sorted.
func (m Membership) Clone() Membership {
	c := Membership{Voters: slices.Clone(m.Voters), Observers: slices.Clone(m.Observers)}
	slices.Sort(c.Voters)
	slices.Sort(c.Observers)
	return c
}

// IsVoter reports whether id is one of m's voters.
func (m Membership) IsVoter(id ServerID) bool { return slices.Contains(m.Voters, id) }

// IsObserver reports whether id is one of m's observers.
func (m Membership) IsObserver(id ServerID) bool { return slices.Contains(m.Observers, id) }

// Equal reports whether m and o have the same voters and observers, in
// any order.
func (m Membership) Equal(o Membership) bool {
	a, b := m.Clone(), o.Clone()
	return slices.Equal(a.Voters, b.Voters) && slices.Equal(a.Observers, b.Observers)
}

// String formats m as "voters=[1 2 3] observers=[4]".
func (m Membership) String() string {
	c := m.Clone()
	return fmt.Sprintf("voters=%v observers=%v", c.Voters, c.Observers)
}

// votersChanged counts the voters added and removed between a and b.
func votersChanged(a, b Membership) int {
	n := 0
	for _, v := range a.Voters {
		if !b.IsVoter(v) {
			n++
		}
	}
	for _, v := range b.Voters {
		if !a.IsVoter(v) {
			n++
		}
	}
	return n
}

// cfgEntry is a configuration entry of the log.
type cfgEntry struct {
	zxid Zxid
	m    Membership
}

// configOf reports whether data is a configuration entry and the
// membership it sets. isCfg is false when Config.ConfigOf is nil or says
// no; err is set when ConfigOf says yes but the membership is invalid.
func (n *Node) configOf(data []byte) (m Membership, isCfg bool, err error) {
	if n.cfg.ConfigOf == nil {
		return Membership{}, false, nil
	}
	m, ok := n.cfg.ConfigOf(data)
	if !ok {
		return Membership{}, false, nil
	}
	if err := m.Validate(); err != nil {
		return Membership{}, true, err
	}
	return m.Clone(), true, nil
}

// noteEntry records e if it is a valid configuration entry. An entry that
// ConfigOf calls a configuration but whose membership is invalid is
// ignored (treated as a plain txn) on every member alike, since ConfigOf
// is pure.
func (n *Node) noteEntry(e Entry) {
	m, isCfg, err := n.configOf(e.Data)
	if !isCfg || err != nil {
		return
	}
	n.cfgs = append(n.cfgs, cfgEntry{zxid: e.Zxid, m: m})
	n.setCurrent()
}

// setCurrent makes the latest configuration of the log (or the base) the
// membership in use, and marks it for afterConfigChange.
func (n *Node) setCurrent() {
	cur := n.base
	if k := len(n.cfgs); k > 0 {
		cur = n.cfgs[k-1].m
	}
	n.cur = cur.Clone()
	n.voters = n.cur.Voters
	n.isVoter = map[ServerID]bool{}
	n.isObserver = map[ServerID]bool{}
	for _, v := range n.cur.Voters {
		n.isVoter[v] = true
	}
	for _, o := range n.cur.Observers {
		n.isObserver[o] = true
	}
	n.quorum = len(n.voters)/2 + 1
	n.cfgDirty = true
}

// cutConfigs forgets the configuration entries above t (TRUNC): the
// membership falls back to the latest one left.
func (n *Node) cutConfigs(t Zxid) {
	i := len(n.cfgs)
	for i > 0 && n.cfgs[i-1].zxid > t {
		i--
	}
	if i != len(n.cfgs) {
		n.cfgs = n.cfgs[:i]
		n.setCurrent()
	}
}

// resetConfigs makes m the membership as of z, with no configuration
// entry above it (SNAP).
func (n *Node) resetConfigs(m Membership, z Zxid) {
	n.base, n.baseFrom, n.cfgs = m.Clone(), z, nil
	n.setCurrent()
}

// foldConfigs moves the configuration entries at or below the applied
// point into the base: they are committed and can never be truncated.
func (n *Node) foldConfigs() {
	i := 0
	for i < len(n.cfgs) && n.cfgs[i].zxid <= n.applied {
		n.base, n.baseFrom = n.cfgs[i].m, n.cfgs[i].zxid
		i++
	}
	if i > 0 {
		n.cfgs = append([]cfgEntry(nil), n.cfgs[i:]...)
	}
}

// membershipAt returns the membership as of zxid z (what a snapshot taken
// at z must carry). ok is false when z is below what this Node knows.
func (n *Node) membershipAt(z Zxid) (Membership, bool) {
	if z < n.baseFrom {
		return Membership{}, false
	}
	m := n.base
	for _, c := range n.cfgs {
		if c.zxid > z {
			break
		}
		m = c.m
	}
	return m.Clone(), true
}

// configPending reports whether the configuration in use is not committed.
func (n *Node) configPending() bool {
	k := len(n.cfgs)
	return k > 0 && n.cfgs[k-1].zxid > n.commit
}

// configZxid is the zxid of the configuration entry in use, 0 if it is
// the base membership.
func (n *Node) configZxid() Zxid {
	if k := len(n.cfgs); k > 0 {
		return n.cfgs[k-1].zxid
	}
	return n.baseFrom
}

// member reports whether id is in the membership in use.
func (n *Node) member(id ServerID) bool { return n.isVoter[id] || n.isObserver[id] }

// afterConfigChange reacts to a change of the membership in use, once the
// step that changed it is over: a learner whose kind no longer matches its
// role goes back to LOOKING to rejoin as what it now is; a leader drops the
// connections of learners that left or changed kind and recounts its
// quorum.
func (n *Node) afterConfigChange() {
	if !n.cfgDirty {
		return
	}
	n.cfgDirty = false
	switch n.role {
	case RoleFollowing:
		if !n.isVoter[n.id] {
			n.becomeLooking()
		}
	case RoleObserving:
		if !n.isObserver[n.id] {
			n.becomeLooking()
		}
	case RoleLeading:
		for _, h := range n.lead.sortedHandlers() {
			if !n.member(h.id) || h.observer != n.isObserver[h.id] {
				n.dropHandler(h)
			}
		}
		n.maybeCommit()
	}
}

// candidate reports whether this member may run for leader: a voter of
// the membership in use, or a member whose log holds an uncommitted
// configuration (one that removes it, say). The latter may be the only
// one holding that configuration, and the voters of the previous one
// need its vote: it leads, without counting itself, until its history,
// the configuration included, is committed, then steps down, as a Raft
// leader outside its configuration does. Its own vote never counts toward
// its quorum (it is not among its voters).
func (n *Node) candidate() bool { return n.isVoter[n.id] || n.configPending() }

// selfVotes is 1 if this member is a voter in the membership in use: a
// leader that a pending configuration removes no longer counts itself.
func (n *Node) selfVotes() int {
	if n.isVoter[n.id] {
		return 1
	}
	return 0
}
