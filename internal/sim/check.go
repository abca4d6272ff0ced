package sim

import (
	"bytes"
	"fmt"

	"github.com/zkmesh/zkmesh/zab"
)

// commitRec is the i-th txn of the one committed history.
type commitRec struct {
	zxid   zab.Zxid
	digest uint64
}

// Checker holds what the invariants are checked against: the committed
// history as first seen by any member, what was proposed, what clients were
// told is committed, and who established each epoch.
type Checker struct {
	history  []commitRec
	inHist   map[zab.Zxid]bool
	proposed map[zab.Zxid][]byte
	acked    map[zab.Zxid][]byte
	// proposedAt and ackedAt are the times a client's write was accepted
	// by a leader and acknowledged to the client.
	proposedAt, ackedAt map[zab.Zxid]int64
	// ackedOut are the acked writes not yet in the history, by ack time.
	ackedOut map[zab.Zxid]int64
	leaders  map[uint32]zab.ServerID
	lastZxid map[zab.ServerID]zab.Zxid
	// configs are the configuration txns in the order members apply them:
	// the i-th configuration any member applies must be configs[i], and
	// each one's voters differ from the previous one's by at most one.
	configs     []zab.Zxid
	configVoter []map[zab.ServerID]bool
}

// NewChecker returns an empty Checker.
func NewChecker() *Checker {
	return &Checker{
		inHist:     map[zab.Zxid]bool{},
		proposedAt: map[zab.Zxid]int64{},
		ackedAt:    map[zab.Zxid]int64{},
		ackedOut:   map[zab.Zxid]int64{},
		proposed:   map[zab.Zxid][]byte{},
		acked:      map[zab.Zxid][]byte{},
		leaders:    map[uint32]zab.ServerID{},
		lastZxid:   map[zab.ServerID]zab.Zxid{},
	}
}

// Proposed records a txn a leader accepted at time at. A zxid handed out
// twice with different data means two leaders of one epoch.
func (c *Checker) Proposed(id zab.ServerID, z zab.Zxid, data []byte, at int64) error {
	if old, ok := c.proposed[z]; ok && !bytes.Equal(old, data) {
		return fmt.Errorf("integrity: zxid %s proposed twice (%q, then %q by %d)", z, old, data, id)
	}
	c.proposed[z] = data
	c.proposedAt[z] = at
	return nil
}

// Established records that id established epoch: at most one leader per
// epoch, and it must hold every txn a client was told is committed.
func (c *Checker) Established(id zab.ServerID, epoch uint32, log *zab.MemoryStorage) error {
	if other, ok := c.leaders[epoch]; ok && other != id {
		return fmt.Errorf("two leaders established epoch %d: %d and %d", epoch, other, id)
	}
	c.leaders[epoch] = id
	snap, zs := Zxids(log)
	have := map[zab.Zxid]bool{}
	for _, z := range zs {
		have[z] = true
	}
	for z := range c.acked {
		if z > snap && !have[z] {
			return fmt.Errorf("lost txn: %s was acked to a client but leader %d of epoch %d lacks it (log %v)", z, id, epoch, zs)
		}
	}
	return nil
}

// Acked records that a client was told at time at that z committed.
func (c *Checker) Acked(z zab.Zxid, data []byte, at int64) {
	c.acked[z] = data
	c.ackedAt[z] = at
	if !c.inHist[z] {
		c.ackedOut[z] = at
	}
}

// Applied checks one txn a member applied, with its state machine after it.
func (c *Checker) Applied(id zab.ServerID, e zab.Entry, kv *KV) error {
	if d, ok := c.proposed[e.Zxid]; !ok || !bytes.Equal(d, e.Data) {
		return fmt.Errorf("integrity: member %d applied %s %q that was never proposed", id, e.Zxid, e.Data)
	}
	if last := c.lastZxid[id]; e.Zxid <= last {
		return fmt.Errorf("total order: member %d applied %s after %s", id, e.Zxid, last)
	}
	c.lastZxid[id] = e.Zxid
	if m, ok := ConfigOf(e.Data); ok {
		if err := c.appliedConfig(id, e.Zxid, m, kv.Configs); err != nil {
			return err
		}
	}
	return c.at(id, kv)
}

// appliedConfig checks that the n-th configuration member id applies is
// the n-th of every other member.
func (c *Checker) appliedConfig(id zab.ServerID, z zab.Zxid, m zab.Membership, n int) error {
	i := n - 1
	switch {
	case i < 0:
		return fmt.Errorf("config: member %d applied config %s but counts %d", id, z, n)
	case i < len(c.configs):
		if c.configs[i] != z {
			return fmt.Errorf("config: member %d's config #%d is %s, others applied %s", id, n, z, c.configs[i])
		}
	case i == len(c.configs):
		voters := map[zab.ServerID]bool{}
		for _, v := range m.Voters {
			voters[v] = true
		}
		if i > 0 {
			prev, changed := c.configVoter[i-1], 0
			for v := range prev {
				if !voters[v] {
					changed++
				}
			}
			for v := range voters {
				if !prev[v] {
					changed++
				}
			}
			if changed > 1 {
				return fmt.Errorf("config: %s (%s) changes %d voters at once", z, m, changed)
			}
		}
		c.configs = append(c.configs, z)
		c.configVoter = append(c.configVoter, voters)
	default:
		return fmt.Errorf("config: member %d is at config #%d, others only applied %d", id, n, len(c.configs))
	}
	return nil
}

// Configs is how many configuration txns have been applied somewhere.
func (c *Checker) Configs() int { return len(c.configs) }

// Restored checks a member's state machine after a snapshot install or a
// restart.
func (c *Checker) Restored(id zab.ServerID, kv *KV) error {
	c.lastZxid[id] = kv.Last
	if kv.Count == 0 {
		return nil
	}
	return c.at(id, kv)
}

// at checks that kv is a prefix of the committed history.
func (c *Checker) at(id zab.ServerID, kv *KV) error {
	i := int(kv.Count) - 1
	rec := commitRec{zxid: kv.Last, digest: kv.Digest}
	switch {
	case i < len(c.history):
		if c.history[i] != rec {
			return fmt.Errorf("prefix: member %d's txn #%d is %s (digest %x), history has %s (digest %x)",
				id, i+1, rec.zxid, rec.digest, c.history[i].zxid, c.history[i].digest)
		}
	case i == len(c.history):
		if err := primaryOrder(c.history, rec.zxid); err != nil {
			return fmt.Errorf("member %d's txn #%d: %w", id, i+1, err)
		}
		if err := c.realTime(rec.zxid); err != nil {
			return fmt.Errorf("member %d's txn #%d: %w", id, i+1, err)
		}
		c.history = append(c.history, rec)
		c.inHist[rec.zxid] = true
		delete(c.ackedOut, rec.zxid)
	default:
		return fmt.Errorf("prefix: member %d is at txn #%d, history only has %d", id, i+1, len(c.history))
	}
	return nil
}

// Committed is how many txns the history holds.
func (c *Checker) Committed() int { return len(c.history) }

// primaryOrder checks that z may follow the history: zxids increase, and
// a leader's txns commit in the order it proposed them, none skipped (its
// counters run 1, 2, 3... within its epoch).
func primaryOrder(history []commitRec, z zab.Zxid) error {
	if len(history) == 0 {
		if z.Counter() != 1 {
			return fmt.Errorf("primary order: history starts at %s, not at a leader's first txn", z)
		}
		return nil
	}
	prev := history[len(history)-1].zxid
	switch {
	case z <= prev:
		return fmt.Errorf("total order: %s after %s", z, prev)
	case z.Epoch() == prev.Epoch() && z.Counter() != prev.Counter()+1:
		return fmt.Errorf("primary order: %s after %s skips txns of epoch %d", z, prev, z.Epoch())
	case z.Epoch() != prev.Epoch() && z.Counter() != 1:
		return fmt.Errorf("primary order: %s follows %s without its epoch's first txn", z, prev)
	}
	return nil
}

// realTime checks that z, entering the history, does not come before a
// write that was acknowledged to its client before z was even proposed.
func (c *Checker) realTime(z zab.Zxid) error {
	pz, ok := c.proposedAt[z]
	if !ok {
		return nil
	}
	var bad zab.Zxid
	for a, at := range c.ackedOut {
		if at < pz && (bad == 0 || a < bad) {
			bad = a
		}
	}
	if bad != 0 {
		return fmt.Errorf("real-time order: %s (proposed at t=%d) commits before %s (acked at t=%d)", z, pz, bad, c.ackedOut[bad])
	}
	return nil
}
