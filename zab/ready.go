package zab

import "fmt"

// EventType names an application-level event surfaced in Ready.
type EventType uint8

// Event types.
const (
	// EventRoleChanged: the member's role changed (Role, Leader, Epoch).
	EventRoleChanged EventType = iota + 1
	// EventLeaderEstablished: this member leads an established epoch
	// (Epoch); Propose works from now on.
	EventLeaderEstablished
	// EventSynced: this learner received UPTODATE from Leader and may serve.
	EventSynced
)

func (t EventType) String() string {
	switch t {
	case EventRoleChanged:
		return "role"
	case EventLeaderEstablished:
		return "established"
	case EventSynced:
		return "synced"
	}
	return "EventType(?)"
}

// Event is an application-level event.
type Event struct {
	Type   EventType
	Role   Role
	Leader ServerID
	Epoch  uint32
}

// AppMessage is an opaque payload from a peer's application (a forwarded
// write, a session touch, a sync request or its answer).
type AppMessage struct {
	From ServerID
	Data []byte
}

// Ready is a batch of work zab hands to its driver. The driver handles one
// Ready at a time, in this order:
//
//  1. Write the log changes, in this order: Snapshot (replaces the whole
//     state and log), then Truncate (drop every entry with zxid >
//     *Truncate), then append Entries. Write HardState if it is non-nil.
//     Make all of it durable (fsync) before calling Advance. A crash before
//     that point may keep any prefix of the log changes (including a torn
//     last entry that recovery discards) and either the old or the new
//     HardState: zab never puts a HardState into a Ready whose log changes
//     it depends on.
//  2. Send Messages. They never depend on the writes of the Ready that
//     carries them, only on writes of earlier Readys, which Advance has
//     already confirmed durable; so the driver may send them before, during
//     or after step 1. In particular a learner's ACK of a proposal, its
//     ACKEPOCH and its ACK of NEWLEADER are only ever created after the
//     entries, snapshot and hard state they acknowledge were made durable
//     and confirmed by Advance.
//  3. If Snapshot is non-nil, restore the state machine from it. Apply
//     CommittedEntries in order (they are never in the same Ready as a
//     Snapshot). Handle AppMessages and Events.
//  4. Call Advance(rd) with this Ready, only once step 1 is durable.
//
// Ready must not be called again before Advance; HasReady reports false
// meanwhile.
type Ready struct {
	// HardState, if non-nil, must be persisted.
	HardState *HardState
	// Snapshot, if non-nil, replaces the log and state (SNAP sync).
	Snapshot *Snapshot
	// Truncate, if non-nil, drops every entry with zxid > *Truncate (TRUNC).
	Truncate *Zxid
	// Entries are appended to the log, in zxid order.
	Entries []Entry
	// Messages are to be sent to their To.
	Messages []Message
	// CommittedEntries are to be applied to the state machine, in order.
	CommittedEntries []Entry
	// AppMessages are payloads peers sent with SendToLeader or Send.
	AppMessages []AppMessage
	// Events are role changes and phase transitions, in order.
	Events []Event

	// gen is the write generation this Ready makes durable; lastZxid the
	// last zxid of the log once it is written.
	gen      uint64
	lastZxid Zxid
}

// MustSync reports whether the Ready carries anything to write.
func (rd Ready) MustSync() bool {
	return rd.HardState != nil || rd.Snapshot != nil || rd.Truncate != nil || len(rd.Entries) > 0
}

// maxCommittedPerReady bounds CommittedEntries so that a member catching
// up applies its backlog over several Readys.
const maxCommittedPerReady = 1024

func (n *Node) committedReady() bool {
	return n.unSnap == nil && min(n.commit, n.durableZxid) > n.applied
}

// HasReady reports whether Ready would return anything. It is false while a
// Ready is in flight.
func (n *Node) HasReady() bool {
	if n.inflight {
		return false
	}
	return n.hsDirty || n.unSnap != nil || n.unTrunc != nil || len(n.unEnts) > 0 ||
		n.releasable() > 0 || n.committedReady() || len(n.appIn) > 0 || len(n.events) > 0
}

// Ready returns the pending work; see Ready's doc comment for what the
// driver must do with it. It panics if the previous Ready was not advanced.
func (n *Node) Ready() Ready {
	if n.inflight {
		panic(ErrReadyInFlight)
	}
	rd := Ready{gen: n.writeGen, lastZxid: n.lastZxid}
	if n.hsDirty {
		hs := n.hs
		rd.HardState = &hs
	}
	rd.Snapshot, rd.Truncate, rd.Entries = n.unSnap, n.unTrunc, n.unEnts
	k := n.releasable()
	for _, q := range n.outbox[:k] {
		m := q.msg
		if n.stamp(&m) {
			rd.Messages = append(rd.Messages, m)
		}
	}
	n.outbox = append([]queued(nil), n.outbox[k:]...)
	if n.committedReady() {
		hi := min(n.commit, n.durableZxid)
		ents, err := n.store.Entries(n.applied, maxCommittedPerReady)
		if err != nil {
			panic(fmt.Sprintf("zab: node %d cannot read committed entries after %s: %v", n.id, n.applied, err))
		}
		for _, e := range ents {
			if e.Zxid > hi {
				break
			}
			rd.CommittedEntries = append(rd.CommittedEntries, e)
		}
	}
	rd.AppMessages, rd.Events = n.appIn, n.events
	n.hsDirty, n.unSnap, n.unTrunc, n.unEnts = false, nil, nil, nil
	n.appIn, n.events = nil, nil
	n.inflight = true
	return rd
}

// Advance tells the Node that rd's writes are durable and its committed
// entries applied. rd must be the Ready last returned.
func (n *Node) Advance(rd Ready) {
	if !n.inflight {
		panic("zab: Advance without a Ready in flight")
	}
	n.inflight = false
	n.durableGen = rd.gen
	d := rd.lastZxid
	if n.unSnap != nil {
		d = min(d, n.unSnap.Zxid)
	}
	if n.unTrunc != nil {
		d = min(d, *n.unTrunc)
	}
	n.durableZxid = max(d, n.durableZxid)
	if rd.Snapshot != nil {
		n.applied = max(n.applied, rd.Snapshot.Zxid)
	}
	if k := len(rd.CommittedEntries); k > 0 {
		n.applied = rd.CommittedEntries[k-1].Zxid
	}
	n.foldConfigs()
	i := 0
	for i < len(n.pend) && n.pend[i].Zxid <= n.durableZxid {
		i++
	}
	n.pend = n.pend[i:]
	n.onDurable()
}

// onDurable runs whatever waited for writes to become durable.
func (n *Node) onDurable() {
	switch n.role {
	case RoleLeading:
		n.maybeStartSync()
		n.maybeEstablish()
		n.maybeCommit()
	case RoleFollowing, RoleObserving:
		n.progressLearner()
	}
}
