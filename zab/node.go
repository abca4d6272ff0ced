package zab

import (
	"fmt"
	"math/rand"
	"slices"
)

// queued is a message waiting in the outbox. It is released into a Ready
// only once every write up to needGen is durable.
type queued struct {
	msg     Message
	needGen uint64
}

// Node is one member of a ZAB ensemble as a pure state machine.
//
// A Node is not safe for concurrent use: one goroutine (the driver) calls
// every method. It retains the Storage and StateMachine from Config, and
// the Entries, Snapshot and Data of messages passed to Step.
type Node struct {
	cfg Config
	id  ServerID
	// base is the membership as of the applied point (Config's at New, a
	// SNAP's, or the last configuration entry applied): it holds from
	// baseFrom up to the first of cfgs. cfgs are the configuration entries
	// of the log above the applied point, committed or not, in zxid order.
	// Invariant: every cfgs[i].zxid > baseFrom and <= lastZxid.
	base     Membership
	baseFrom Zxid
	cfgs     []cfgEntry
	// cur is the membership in use: the last of cfgs, or base. voters,
	// isVoter, isObserver and quorum are derived from it by setCurrent;
	// cfgDirty says afterConfigChange has not run since it changed.
	cur        Membership
	voters     []ServerID // sorted
	isVoter    map[ServerID]bool
	isObserver map[ServerID]bool
	quorum     int
	cfgDirty   bool
	rand       *rand.Rand
	store      Storage
	sm         StateMachine

	now    uint64
	role   Role
	leader ServerID

	// hs is the hard state including unwritten changes.
	hs      HardState
	hsDirty bool

	// lastZxid is the last zxid of the log including unwritten changes;
	// durableZxid the last one known durable (confirmed by Advance).
	// Invariant: applied <= min(commit, durableZxid) and durableZxid <= lastZxid.
	lastZxid    Zxid
	durableZxid Zxid
	commit      Zxid
	applied     Zxid

	// writeGen counts writes; durableGen is the writeGen the last advanced
	// Ready made durable.
	writeGen, durableGen uint64
	unSnap               *Snapshot
	unTrunc              *Zxid
	unEnts               []Entry
	// pend are the log entries above durableZxid (written, not durable).
	pend     []Entry
	inflight bool

	outbox []queued
	appIn  []AppMessage
	events []Event

	el election
	// early holds FOLLOWERINFO received while LOOKING, by sender.
	early map[ServerID]Message
	lead  *leaderState
	learn *learnerState
}

// New returns a Node in the LOOKING state, restored from cfg.Storage.
func New(cfg Config) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	n := &Node{
		cfg:   cfg,
		id:    cfg.ID,
		base:  Membership{Voters: cfg.Voters, Observers: cfg.Observers}.Clone(),
		rand:  rand.New(rand.NewSource(cfg.Seed)),
		store: cfg.Storage,
		sm:    cfg.StateMachine,
	}
	hs, err := n.store.HardState()
	if err != nil {
		return nil, fmt.Errorf("zab: reading hard state: %w", err)
	}
	last, err := n.store.LastZxid()
	if err != nil {
		return nil, fmt.Errorf("zab: reading last zxid: %w", err)
	}
	applied := cfg.Applied
	if applied == 0 {
		if applied, err = snapshotZxid(n.store); err != nil {
			return nil, fmt.Errorf("zab: reading snapshot: %w", err)
		}
	}
	if applied > last {
		return nil, fmt.Errorf("%w: Applied: %s is past the last logged zxid %s", ErrConfig, applied, last)
	}
	n.hs = hs
	n.lastZxid, n.durableZxid = last, last
	n.commit, n.applied = applied, applied
	n.baseFrom = applied
	if cfg.ConfigOf != nil {
		// The membership in use is the latest configuration of the log.
		for after := applied; after < last; {
			ents, err := n.store.Entries(after, 1024)
			if err != nil {
				return nil, fmt.Errorf("zab: reading the log after %s for configurations: %w", after, err)
			}
			if len(ents) == 0 {
				break
			}
			for _, e := range ents {
				n.noteEntry(e)
			}
			after = ents[len(ents)-1].Zxid
		}
	}
	n.setCurrent()
	n.cfgDirty = false
	n.becomeLooking()
	return n, nil
}

// ID returns the member's id.
func (n *Node) ID() ServerID { return n.id }

// Tick advances the Node's clock by one tick.
func (n *Node) Tick() {
	n.now++
	switch n.role {
	case RoleLooking:
		n.tickElection()
	case RoleLeading:
		n.tickLeader()
	case RoleFollowing, RoleObserving:
		n.tickLearner()
	}
}

// Step feeds a message received from a peer. Messages from non-members,
// addressed to another member, stale or duplicated are dropped silently;
// Step returns an error only for a message that is not a peer message.
func (n *Node) Step(m Message) error {
	if m.To != n.id {
		return fmt.Errorf("zab: message for %d stepped into %d", m.To, n.id)
	}
	if m.From == n.id {
		return nil
	}
	if !n.member(m.From) && !(m.Type == MsgVote && n.cfg.ConfigOf != nil) && !(n.learn != nil && m.From == n.learn.leader) {
		// A learner keeps hearing its leader when a pending configuration
		// removes it: that leader leads until the configuration commits.
		// With ConfigOf, votes are heard from anyone (see betterVote), and
		// answered: members may disagree on the membership.
		return nil
	}
	defer n.afterConfigChange()
	if m.Type == MsgVote {
		n.stepVote(m)
		return nil
	}
	switch n.role {
	case RoleLeading:
		n.stepLeader(m)
	case RoleFollowing, RoleObserving:
		n.stepLearner(m)
	case RoleLooking:
		// A learner that decided faster than this member: keep its latest
		// connection attempt in case this member decides to lead (as a
		// learner's connect retries would reach it).
		if m.Type == MsgFollowerInfo && m.Seq == 1 {
			if n.early == nil {
				n.early = map[ServerID]Message{}
			}
			n.early[m.From] = m
		}
	}
	return nil
}

// Propose appends data as a new txn and broadcasts it. Only an
// established leader may call it; it returns the txn's zxid. The txn is
// committed once it appears in a Ready's CommittedEntries.
//
// Data that Config.ConfigOf recognises is a configuration entry, refused
// unless ProposeConfig's rules allow it.
func (n *Node) Propose(data []byte) (Zxid, error) {
	if n.role != RoleLeading || n.lead.phase != leadBroadcast {
		return 0, ErrNotLeader
	}
	if !n.isVoter[n.id] && !n.configPending() {
		return 0, fmt.Errorf("%w: this leader left the voters and is stepping down", ErrNotLeader)
	}
	next, isCfg, err := n.configOf(data)
	if err != nil {
		return 0, err
	}
	if isCfg {
		if err := n.checkReconfig(next); err != nil {
			return 0, err
		}
	}
	z, err := n.propose(data)
	n.afterConfigChange()
	return z, err
}

// SendToLeader sends an opaque payload to the leader's application. It
// works on a synced learner, and on the leader itself (the payload comes
// back in its own Ready).
func (n *Node) SendToLeader(data []byte) error {
	switch {
	case n.role == RoleLeading:
		n.appIn = append(n.appIn, AppMessage{From: n.id, Data: data})
		return nil
	case n.learn != nil && n.learn.phase == learnUpToDate:
		n.queue(Message{Type: MsgApp, To: n.learn.leader, Conn: n.learn.conn, Data: data}, 0)
		return nil
	}
	return ErrNoLeader
}

// Send sends an opaque payload from the leader's application to one of its
// up-to-date learners (or to itself). The payload travels on the learner's
// connection behind every COMMIT and INFORM sent before it, so when the
// learner's application sees it, the learner's commit point is at least
// the leader's at the time of Send (what ZooKeeper's sync promises). A
// learner that is not connected and up to date gets ErrUnknownPeer.
func (n *Node) Send(to ServerID, data []byte) error {
	if n.role != RoleLeading {
		return ErrNotLeader
	}
	if to == n.id {
		n.appIn = append(n.appIn, AppMessage{From: n.id, Data: data})
		return nil
	}
	h := n.lead.handlers[to]
	if h == nil || h.phase != handlerUpToDate {
		return fmt.Errorf("%w: %d", ErrUnknownPeer, to)
	}
	n.queue(Message{Type: MsgApp, To: to, Conn: h.conn, Data: data}, 0)
	return nil
}

// SetObservers replaces the observers with obs, as a committed
// reconfiguration decided. The driver calls it when it applies that txn,
// on every member, so that all of them change at the same point of the
// history. Observers never count toward a quorum, so changing them cannot
// change what is committed nor who may lead. On a leader, the connection
// of an observer that is no longer one is dropped, and an observer that
// was added may connect from then on. A member that is removed stops
// hearing from its leader and stays LOOKING.
//
// It returns ErrConfig, changing nothing, if obs lists 0 or an id twice,
// or (without Config.ConfigOf) a voter.
//
// With Config.ConfigOf set, the log alone decides the membership (every
// configuration entry takes effect when it enters the log), so
// SetObservers only checks obs and changes nothing: a driver that sets
// ConfigOf need not call it.
func (n *Node) SetObservers(obs []ServerID) error {
	seen := map[ServerID]bool{}
	for _, o := range obs {
		switch {
		case o == 0:
			return fmt.Errorf("%w: observers: contains id 0", ErrConfig)
		case seen[o]:
			return fmt.Errorf("%w: observers: lists %d twice", ErrConfig, o)
		case n.isVoter[o] && n.cfg.ConfigOf == nil:
			return fmt.Errorf("%w: observers: %d is a voter", ErrConfig, o)
		}
		seen[o] = true
	}
	if n.cfg.ConfigOf != nil {
		return nil
	}
	n.base.Observers = slices.Clone(obs)
	slices.Sort(n.base.Observers)
	n.setCurrent()
	n.afterConfigChange()
	return nil
}

// Observers returns the current observers, sorted.
func (n *Node) Observers() []ServerID { return n.sortedObservers() }

// Status returns a snapshot of the Node's state.
func (n *Node) Status() Status {
	s := Status{
		ID: n.id, Role: n.role, Leader: n.leader,
		AcceptedEpoch: n.hs.AcceptedEpoch, CurrentEpoch: n.hs.CurrentEpoch,
		Round: n.el.round, LastZxid: n.lastZxid, DurableZxid: n.durableZxid,
		Committed: n.commit, Applied: n.applied,
		Membership: n.cur.Clone(), ConfigZxid: n.configZxid(), ConfigPending: n.configPending(),
	}
	if l := n.lead; l != nil {
		s.Established = l.phase == leadBroadcast
		for _, h := range l.handlers {
			switch {
			case h.phase >= handlerSynced && h.observer:
				s.SyncedObservers++
			case h.phase >= handlerSynced:
				s.SyncedFollowers++
			default:
				s.PendingSyncs++
			}
		}
	}
	if n.learn != nil {
		s.Synced = n.learn.phase == learnUpToDate
	}
	return s
}
