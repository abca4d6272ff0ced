package sim

import (
	"container/heap"

	"github.com/zkmesh/zkmesh/zab"
)

type event struct {
	at   int64
	seq  uint64
	msg  zab.Message
	dups int
}

type eventQueue []*event

func (q eventQueue) Len() int { return len(q) }

func (q eventQueue) Less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].seq < q[j].seq
}

func (q eventQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }

func (q *eventQueue) Push(x any) { *q = append(*q, x.(*event)) }

func (q *eventQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

// Filter matches messages for drop or hold in scenarios.
type Filter struct {
	From, To zab.ServerID // 0 matches any
	Types    map[zab.MessageType]bool
	Hold     bool
	// After, if set, arms the filter only from the first message of that
	// type on (a stream is held from a point on, in order).
	After zab.MessageType
	armed bool
}

func (f *Filter) match(m zab.Message) bool {
	if (f.From != 0 && f.From != m.From) || (f.To != 0 && f.To != m.To) {
		return false
	}
	if f.After != 0 && !f.armed {
		if m.Type != f.After {
			return false
		}
		f.armed = true
	}
	return len(f.Types) == 0 || f.Types[m.Type]
}

func (c *Cluster) sendAll(ms []zab.Message) {
	for _, msg := range ms {
		c.send(msg)
	}
}

func (c *Cluster) send(msg zab.Message) {
	if msg.Type == zab.MsgSync {
		switch msg.Mode {
		case zab.SyncDiff:
			c.Stats.Diff++
		case zab.SyncTrunc:
			c.Stats.Trunc++
		case zab.SyncSnap:
			c.Stats.Snap++
		}
	}
	if c.opts.TraceTypes[msg.Type] {
		c.trace("send %s", msg)
	}
	for _, f := range c.filters {
		if f.match(msg) {
			if f.Hold {
				c.heldMsgs = append(c.heldMsgs, msg)
			}
			return
		}
	}
	link := [2]zab.ServerID{msg.From, msg.To}
	if c.blocked[link] {
		return
	}
	fl := c.opts.Faults
	if fl.Loss > 0 && c.rng.Float64() < fl.Loss {
		return
	}
	copies := 1
	if fl.Dup > 0 && c.rng.Float64() < fl.Dup {
		copies = 2
	}
	for i := 0; i < copies; i++ {
		at := c.now + 1 + int64(c.rng.Intn(fl.MaxDelay))
		if fl.Stale > 0 && c.rng.Float64() < fl.Stale {
			at += int64(c.rng.Intn(50 * unitsPerTick))
		} else if !(fl.Reorder > 0 && c.rng.Float64() < fl.Reorder) {
			at = max(at, c.linkLast[link])
			c.linkLast[link] = at
		}
		c.seq++
		heap.Push(&c.queue, &event{at: at, seq: c.seq, msg: msg})
	}
}

// Partition cuts every link between the groups (members in no group keep
// their links).
func (c *Cluster) Partition(groups ...[]zab.ServerID) {
	for i, g := range groups {
		for j, h := range groups {
			if i == j {
				continue
			}
			for _, a := range g {
				for _, b := range h {
					c.blocked[[2]zab.ServerID{a, b}] = true
				}
			}
		}
	}
}

// Block cuts the link from a to b only.
func (c *Cluster) Block(a, b zab.ServerID) { c.blocked[[2]zab.ServerID{a, b}] = true }

// Heal restores every link.
func (c *Cluster) Heal() { c.blocked = map[[2]zab.ServerID]bool{} }
