package zab

import (
	"fmt"
	"slices"
)

// leaderPhase is where a leader is in establishing its epoch.
type leaderPhase uint8

const (
	// leadEpoch: collecting FOLLOWERINFO from a quorum to pick the epoch.
	leadEpoch leaderPhase = iota + 1
	// leadAckEpoch: LEADERINFO sent, collecting ACKEPOCH from a quorum.
	leadAckEpoch
	// leadSync: syncing learners, collecting ACK of NEWLEADER from a quorum.
	leadSync
	// leadBroadcast: established; proposals flow.
	leadBroadcast
)

// ReackEpoch is the currentEpoch an ACKEPOCH carries when the learner had
// already accepted the epoch it acknowledges (ZooKeeper's -1): such an ack
// never counts toward the leader's quorum, so that two leaders that picked
// the same epoch can never both gather one.
const ReackEpoch = ^uint32(0)

// handlerPhase is where one learner connection is.
type handlerPhase uint8

const (
	handlerInfo       handlerPhase = iota + 1 // FOLLOWERINFO received
	handlerEpochAcked                         // ACKEPOCH received
	handlerSyncSent                           // SYNC and NEWLEADER sent; proposals forwarded
	handlerSynced                             // ACK of NEWLEADER received
	handlerUpToDate                           // UPTODATE sent
)

// handler is the leader's side of one learner connection (ZooKeeper's
// LearnerHandler).
type handler struct {
	id       ServerID
	observer bool
	conn     uint64
	// sendSeq is the last sequence number sent, recvSeq the last received.
	sendSeq, recvSeq uint64
	phase            handlerPhase
	acceptedEpoch    uint32
	currentEpoch     uint32
	lastZxid         Zxid
	// nlZxid is the history the learner holds once synced.
	nlZxid Zxid
	// sent is the highest zxid the learner has been sent.
	sent Zxid
	// acked is the highest zxid the learner says is durable in its log.
	acked     Zxid
	lastHeard uint64
}

type leaderState struct {
	phase leaderPhase
	start uint64
	// epoch is the new epoch, 0 until a quorum sent FOLLOWERINFO.
	epoch uint32
	// infos maps voters that sent FOLLOWERINFO to their acceptedEpoch;
	// maxSeen is the highest acceptedEpoch any learner reported.
	infos   map[ServerID]uint32
	maxSeen uint32
	// ackEpochs are the voters whose ACKEPOCH was received.
	ackEpochs map[ServerID]bool
	// summary is the leader's (currentEpoch, last zxid) when it picked the
	// epoch: no voter that acks the epoch may be ahead of it.
	summaryEpoch uint32
	summaryZxid  Zxid
	// histZxid is the history the leader syncs everyone to; it is
	// committed once a quorum acks NEWLEADER.
	histZxid Zxid
	// selfGen is the write generation of the leader's own currentEpoch.
	selfGen  uint64
	handlers map[ServerID]*handler
	// dropped is each learner's last connection the leader gave up on: a
	// repeated FOLLOWERINFO on it must not revive it, as the two ends no
	// longer agree on its sequence numbers.
	dropped  map[ServerID]uint64
	lastPing uint64
}

// dropHandler gives up on a learner connection; the learner will notice
// and connect again.
func (n *Node) dropHandler(h *handler) {
	l := n.lead
	if l.handlers[h.id] == h {
		delete(l.handlers, h.id)
	}
	l.dropped[h.id] = h.conn
}

func (l *leaderState) sortedHandlers() []*handler {
	ids := make([]ServerID, 0, len(l.handlers))
	for id := range l.handlers {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	hs := make([]*handler, len(ids))
	for i, id := range ids {
		hs[i] = l.handlers[id]
	}
	return hs
}

func (n *Node) becomeLeading() {
	n.role = RoleLeading
	n.leader = n.id
	n.learn = nil
	n.lead = &leaderState{
		phase:     leadEpoch,
		start:     n.now,
		infos:     map[ServerID]uint32{},
		maxSeen:   n.hs.AcceptedEpoch,
		ackEpochs: map[ServerID]bool{},
		handlers:  map[ServerID]*handler{},
		dropped:   map[ServerID]uint64{},
		lastPing:  n.now,
	}
	if n.isVoter[n.id] {
		n.lead.infos[n.id] = n.hs.AcceptedEpoch
	}
	n.event(Event{Type: EventRoleChanged, Role: RoleLeading, Leader: n.id})
	early := n.early
	n.early = nil
	for _, id := range n.voters {
		if m, ok := early[id]; ok {
			n.onFollowerInfo(m)
		}
	}
	for _, id := range n.sortedObservers() {
		if m, ok := early[id]; ok {
			n.onFollowerInfo(m)
		}
	}
	n.maybePickEpoch()
}

func (n *Node) sortedObservers() []ServerID {
	return slices.Clone(n.cur.Observers)
}

// stepDown abandons leadership and starts a new election.
func (n *Node) stepDown() { n.becomeLooking() }

func (n *Node) stepLeader(m Message) {
	l := n.lead
	h := l.handlers[m.From]
	if m.Type == MsgFollowerInfo {
		if m.Seq == 1 && (h == nil || h.conn != m.Conn) && l.dropped[m.From] != m.Conn {
			n.onFollowerInfo(m)
		}
		return
	}
	if h == nil || h.conn != m.Conn || m.Seq <= h.recvSeq {
		return
	}
	if m.Seq != h.recvSeq+1 {
		// A gap: the connection is broken; the learner will reconnect.
		n.dropHandler(h)
		return
	}
	h.recvSeq = m.Seq
	h.lastHeard = n.now
	switch m.Type {
	case MsgAckEpoch:
		n.onAckEpoch(h, m)
	case MsgAckNewLeader:
		n.onAckNewLeader(h, m)
	case MsgAck:
		if h.phase >= handlerSynced && !h.observer && m.Zxid > h.acked && m.Zxid <= h.sent {
			h.acked = m.Zxid
			n.maybeCommit()
		}
	case MsgApp:
		n.appIn = append(n.appIn, AppMessage{From: m.From, Data: m.Data})
	}
}

func (n *Node) onFollowerInfo(m Message) {
	l := n.lead
	if m.Epoch == ^uint32(0) {
		return // no epoch can follow it
	}
	h := &handler{
		id: m.From, observer: n.isObserver[m.From], conn: m.Conn, recvSeq: 1,
		phase: handlerInfo, acceptedEpoch: m.Epoch, lastZxid: m.Zxid, lastHeard: n.now,
	}
	l.handlers[m.From] = h
	if l.epoch != 0 {
		n.queueDurable(Message{Type: MsgLeaderInfo, To: h.id, Conn: h.conn, Epoch: l.epoch})
		return
	}
	l.maxSeen = max(l.maxSeen, m.Epoch)
	if !h.observer {
		l.infos[m.From] = m.Epoch
	}
	n.maybePickEpoch()
}

// maybePickEpoch picks the new epoch once a quorum of voters sent their
// acceptedEpoch: one more than any seen.
func (n *Node) maybePickEpoch() {
	l := n.lead
	if l.epoch != 0 || len(l.infos) < n.quorum {
		return
	}
	l.epoch = max(l.maxSeen, n.hs.AcceptedEpoch, n.hs.CurrentEpoch) + 1
	l.phase = leadAckEpoch
	l.summaryEpoch, l.summaryZxid = n.hs.CurrentEpoch, n.lastZxid
	n.setHardState(HardState{AcceptedEpoch: l.epoch, CurrentEpoch: n.hs.CurrentEpoch})
	if n.isVoter[n.id] {
		l.ackEpochs[n.id] = true
	}
	for _, h := range l.sortedHandlers() {
		n.queueDurable(Message{Type: MsgLeaderInfo, To: h.id, Conn: h.conn, Epoch: l.epoch})
	}
	n.maybeStartSync()
}

func (n *Node) onAckEpoch(h *handler, m Message) {
	l := n.lead
	if h.phase != handlerInfo {
		return
	}
	h.currentEpoch, h.lastZxid = m.Epoch, m.Zxid
	h.phase = handlerEpochAcked
	if l.phase == leadAckEpoch && m.Epoch == ReackEpoch {
		// Accepted before: synced with the others, but not counted, so
		// that no member's acceptance of an epoch counts for two leaders.
		return
	}
	if l.phase == leadAckEpoch {
		ahead := m.Epoch > l.summaryEpoch || (m.Epoch == l.summaryEpoch && m.Zxid > l.summaryZxid)
		if ahead {
			if h.observer {
				n.dropHandler(h)
				return
			}
			// A voter has a more recent history: this member must not lead.
			n.stepDown()
			return
		}
		if !h.observer {
			l.ackEpochs[h.id] = true
		}
		n.maybeStartSync()
		return
	}
	n.startSync(h)
}

// maybeStartSync moves to synchronisation once a quorum acked the epoch.
func (n *Node) maybeStartSync() {
	l := n.lead
	if l.phase != leadAckEpoch || len(l.ackEpochs) < n.quorum {
		return
	}
	if n.durableZxid != n.lastZxid || n.unSnap != nil || n.unTrunc != nil {
		// The leader's history must be durable before its currentEpoch
		// claims it (ZOOKEEPER-4643 on the leader's side); onDurable
		// retries.
		return
	}
	l.phase = leadSync
	l.histZxid = n.lastZxid
	n.setHardState(HardState{AcceptedEpoch: l.epoch, CurrentEpoch: l.epoch})
	l.selfGen = n.writeGen
	for _, h := range l.sortedHandlers() {
		if h.phase == handlerEpochAcked {
			n.startSync(h)
		}
	}
	n.maybeEstablish()
}

// startSync sends one learner what it needs to hold the leader's log, then
// NEWLEADER; from then on it is sent every new proposal.
func (n *Node) startSync(h *handler) {
	l := n.lead
	upto := n.lastZxid
	p, err := n.planSync(h.lastZxid, upto)
	if err != nil {
		// The leader cannot serve this learner now; it will reconnect.
		n.dropHandler(h)
		return
	}
	n.queueDurable(Message{
		Type: MsgSync, To: h.id, Conn: h.conn, Mode: p.mode, TruncZxid: p.trunc,
		Snapshot: p.snap, Entries: p.ents, Zxid: min(n.commit, upto),
	})
	n.queueDurable(Message{Type: MsgNewLeader, To: h.id, Conn: h.conn, Epoch: l.epoch, Zxid: upto})
	h.phase = handlerSyncSent
	h.nlZxid, h.sent = upto, upto
}

func (n *Node) onAckNewLeader(h *handler, m Message) {
	l := n.lead
	if h.phase != handlerSyncSent || m.Zxid != h.nlZxid {
		return
	}
	h.phase = handlerSynced
	if !h.observer {
		h.acked = max(h.acked, m.Zxid)
	}
	if l.phase == leadBroadcast {
		n.sendUpToDate(h)
		n.maybeCommit()
		return
	}
	n.maybeEstablish()
}

func (n *Node) sendUpToDate(h *handler) {
	n.queueDurable(Message{Type: MsgUpToDate, To: h.id, Conn: h.conn, Zxid: min(n.commit, h.sent)})
	h.phase = handlerUpToDate
	if h.observer {
		n.inform(h)
	}
}

// maybeEstablish completes the epoch once the leader's own currentEpoch is
// durable and a quorum of voters acked NEWLEADER: the whole history the
// leader synced is committed.
func (n *Node) maybeEstablish() {
	l := n.lead
	if l.phase != leadSync || n.durableGen < l.selfGen {
		return
	}
	c := n.selfVotes()
	for _, h := range l.handlers {
		if !h.observer && h.phase >= handlerSynced {
			c++
		}
	}
	if c < n.quorum {
		return
	}
	l.phase = leadBroadcast
	n.commit = max(n.commit, l.histZxid)
	n.el.current.Epoch = l.epoch
	n.event(Event{Type: EventLeaderEstablished, Role: RoleLeading, Leader: n.id, Epoch: l.epoch})
	for _, h := range l.sortedHandlers() {
		if h.phase == handlerSynced {
			n.sendUpToDate(h)
		}
	}
	n.maybeCommit()
}

func (n *Node) propose(data []byte) (Zxid, error) {
	l := n.lead
	z := MakeZxid(l.epoch, 1)
	if n.lastZxid.Epoch() == l.epoch {
		if n.lastZxid.Counter() >= 0xfffffffe {
			n.stepDown()
			return 0, fmt.Errorf("%w: %w", ErrNotLeader, ErrEpochExhausted)
		}
		z = n.lastZxid + 1
	}
	prev := n.lastZxid
	e := Entry{Zxid: z, Data: data}
	n.appendEntry(e)
	for _, h := range l.sortedHandlers() {
		if !h.observer && h.phase >= handlerSyncSent {
			n.queue(Message{Type: MsgProposal, To: h.id, Conn: h.conn, Zxid: prev, Entries: []Entry{e}}, 0)
			h.sent = z
		}
	}
	if n.quorum == 1 {
		n.maybeCommit()
	}
	return z, nil
}

// maybeCommit advances the commit point to the highest zxid a quorum of
// voters (the leader counting once its own log is durable) has acked.
func (n *Node) maybeCommit() {
	l := n.lead
	if l.phase != leadBroadcast {
		return
	}
	var acks []Zxid
	if n.isVoter[n.id] {
		acks = append(acks, n.durableZxid)
	}
	for _, h := range l.handlers {
		if !h.observer && h.phase >= handlerSynced {
			acks = append(acks, h.acked)
		}
	}
	if len(acks) < n.quorum {
		return
	}
	slices.Sort(acks)
	q := acks[len(acks)-n.quorum]
	if q <= n.commit {
		return
	}
	n.commit = q
	for _, h := range l.sortedHandlers() {
		switch {
		case h.observer && h.phase == handlerUpToDate:
			n.inform(h)
		case !h.observer && h.phase >= handlerSyncSent:
			n.queue(Message{Type: MsgCommit, To: h.id, Conn: h.conn, Zxid: min(n.commit, h.sent)}, 0)
		}
	}
}

// inform brings an up-to-date observer to the commit point: INFORM with
// the committed txns it lacks, or COMMIT if it already holds them.
func (n *Node) inform(h *handler) {
	if n.commit <= h.sent {
		n.queue(Message{Type: MsgCommit, To: h.id, Conn: h.conn, Zxid: n.commit}, 0)
		return
	}
	ents, err := n.entriesBetween(h.sent, n.commit)
	if err != nil {
		n.dropHandler(h)
		return
	}
	n.queue(Message{Type: MsgInform, To: h.id, Conn: h.conn, Zxid: h.sent, Entries: ents}, 0)
	h.sent = n.commit
}

func (n *Node) tickLeader() {
	l := n.lead
	if l.phase != leadBroadcast {
		if n.now-l.start > uint64(n.cfg.InitLimitTicks) {
			n.stepDown()
			return
		}
	} else {
		if !n.isVoter[n.id] && n.commit >= n.lastZxid {
			// The configuration that took this leader's vote is
			// committed, and so is every txn it proposed: leave to its
			// voters.
			n.stepDown()
			return
		}
		c := n.selfVotes()
		for _, h := range l.handlers {
			if !h.observer && h.phase >= handlerSynced && n.now-h.lastHeard <= uint64(n.cfg.SyncLimitTicks) {
				c++
			}
		}
		if c < n.quorum {
			n.stepDown()
			return
		}
	}
	for _, h := range l.sortedHandlers() {
		if n.now-h.lastHeard > uint64(n.cfg.SyncLimitTicks) {
			n.dropHandler(h)
		}
	}
	if n.now-l.lastPing >= uint64(n.cfg.HeartbeatTicks) {
		l.lastPing = n.now
		for _, h := range l.sortedHandlers() {
			n.queue(Message{Type: MsgPing, To: h.id, Conn: h.conn}, 0)
		}
	}
}
