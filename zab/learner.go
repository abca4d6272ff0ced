package zab

// learnerPhase is where a follower or observer is in joining its leader.
type learnerPhase uint8

const (
	learnConnecting learnerPhase = iota + 1 // FOLLOWERINFO sent
	learnEpochAcked                         // ACKEPOCH queued
	learnSynced                             // SYNC applied, awaiting NEWLEADER
	learnNewLeader                          // NEWLEADER received, ack waits for durability
	learnNLAcked                            // ACK of NEWLEADER queued
	learnUpToDate                           // UPTODATE received: serving
)

type learnerState struct {
	leader   ServerID
	observer bool
	conn     uint64
	// sendSeq is the last sequence number sent, recvSeq the last received.
	sendSeq, recvSeq uint64
	phase            learnerPhase
	start, lastHeard uint64
	lastInfo         uint64
	epoch            uint32
	// nlZxid is the history NEWLEADER announced; nlGen the write
	// generation that must be durable before it may be acknowledged.
	nlZxid Zxid
	nlGen  uint64
	// ackQueued is the highest zxid an ACK was queued for.
	ackQueued Zxid
}

func (n *Node) becomeLearner(leader ServerID, role Role) {
	n.role = role
	n.leader = leader
	n.lead = nil
	n.early = nil
	n.learn = &learnerState{
		leader: leader, observer: role == RoleObserving,
		phase: learnConnecting, start: n.now, lastHeard: n.now,
	}
	n.event(Event{Type: EventRoleChanged, Role: role, Leader: leader})
	n.sendFollowerInfo()
}

// sendFollowerInfo opens the connection to the leader, or repeats its
// first message: the leader ignores a FOLLOWERINFO for a connection it
// already has, so a repeat never resets a connection that is under way.
func (n *Node) sendFollowerInfo() {
	l := n.learn
	if l.conn == 0 {
		l.conn = n.rand.Uint64() | 1
	}
	l.lastInfo = n.now
	n.queueDurable(Message{Type: MsgFollowerInfo, To: l.leader, Conn: l.conn, Epoch: n.hs.AcceptedEpoch, Zxid: n.lastZxid})
}

// brokenLink abandons the leader: the connection misbehaved.
func (n *Node) brokenLink() { n.becomeLooking() }

func (n *Node) stepLearner(m Message) {
	l := n.learn
	if m.From != l.leader || m.Conn != l.conn || m.Seq <= l.recvSeq {
		return
	}
	if m.Seq != l.recvSeq+1 {
		n.brokenLink()
		return
	}
	l.recvSeq = m.Seq
	l.lastHeard = n.now
	switch m.Type {
	case MsgPing:
		n.queue(Message{Type: MsgPing, To: l.leader, Conn: l.conn}, 0)
	case MsgApp:
		n.appIn = append(n.appIn, AppMessage{From: m.From, Data: m.Data})
	case MsgLeaderInfo:
		n.onLeaderInfo(m)
	case MsgSync:
		n.onSync(m)
	case MsgNewLeader:
		n.onNewLeader(m)
	case MsgUpToDate:
		if l.phase != learnNLAcked {
			n.brokenLink()
			return
		}
		l.phase = learnUpToDate
		n.learnCommit(m.Zxid)
		n.event(Event{Type: EventSynced, Role: n.role, Leader: l.leader, Epoch: l.epoch})
	case MsgProposal:
		if l.observer || l.phase < learnNewLeader || len(m.Entries) != 1 || m.Zxid != n.lastZxid || m.Entries[0].Zxid <= n.lastZxid {
			n.brokenLink()
			return
		}
		n.appendEntry(m.Entries[0])
		n.progressLearner()
	case MsgCommit:
		if l.phase < learnNewLeader || m.Zxid > n.lastZxid {
			// ZOOKEEPER-4394: a COMMIT is a zxid checked against the log,
			// never a lookup that can miss.
			n.brokenLink()
			return
		}
		n.learnCommit(m.Zxid)
	case MsgInform:
		if !l.observer || l.phase < learnNewLeader || m.Zxid > n.lastZxid {
			n.brokenLink()
			return
		}
		for _, e := range m.Entries {
			if e.Zxid <= n.lastZxid {
				continue
			}
			n.appendEntry(e)
		}
		if k := len(m.Entries); k > 0 {
			n.learnCommit(m.Entries[k-1].Zxid)
		}
	}
}

func (n *Node) learnCommit(z Zxid) {
	n.commit = max(n.commit, min(z, n.lastZxid))
}

func (n *Node) onLeaderInfo(m Message) {
	l := n.learn
	if l.phase != learnConnecting || m.Epoch < n.hs.AcceptedEpoch {
		n.brokenLink()
		return
	}
	l.epoch = m.Epoch
	ack := n.hs.CurrentEpoch
	if m.Epoch == n.hs.AcceptedEpoch {
		// Accepted before, from this leader or another one that picked
		// the same epoch: a member accepts an epoch once, so this ack
		// must not count toward the leader's quorum (ZooKeeper's -1).
		ack = ReackEpoch
	}
	n.setHardState(HardState{AcceptedEpoch: m.Epoch, CurrentEpoch: n.hs.CurrentEpoch})
	// ACKEPOCH goes out only once the accepted epoch is durable.
	n.queueDurable(Message{Type: MsgAckEpoch, To: l.leader, Conn: l.conn, Epoch: ack, Zxid: n.lastZxid})
	l.phase = learnEpochAcked
}

func (n *Node) onSync(m Message) {
	l := n.learn
	if l.phase != learnEpochAcked {
		n.brokenLink()
		return
	}
	switch m.Mode {
	case SyncDiff:
	case SyncTrunc:
		has, err := n.hasEntry(m.TruncZxid)
		if err != nil || !has || m.TruncZxid < n.commit {
			n.brokenLink()
			return
		}
		n.truncateLog(m.TruncZxid)
	case SyncSnap:
		if m.Snapshot == nil || m.Snapshot.Zxid < n.applied || m.Snapshot.Zxid < n.commit ||
			(m.Snapshot.Membership != nil && m.Snapshot.Membership.Validate() != nil) {
			n.brokenLink()
			return
		}
		n.installSnapshot(*m.Snapshot)
	default:
		n.brokenLink()
		return
	}
	for _, e := range m.Entries {
		if e.Zxid <= n.lastZxid {
			n.brokenLink()
			return
		}
		n.appendEntry(e)
	}
	n.learnCommit(m.Zxid)
	l.phase = learnSynced
}

func (n *Node) onNewLeader(m Message) {
	l := n.learn
	if l.phase != learnSynced || m.Epoch != l.epoch || m.Zxid != n.lastZxid {
		n.brokenLink()
		return
	}
	// ZOOKEEPER-3911, 4646, 4785: the ack waits until every txn of the
	// sync is durable. ZOOKEEPER-4643: so does the new currentEpoch, which
	// is therefore never written in the same Ready as those txns.
	l.phase = learnNewLeader
	l.nlZxid = m.Zxid
	l.nlGen = n.writeGen
	n.progressLearner()
}

// progressLearner sends what durability now allows: the NEWLEADER
// acknowledgement (after the synced txns, together with the new
// currentEpoch) and ACKs of durable proposals (after that).
func (n *Node) progressLearner() {
	l := n.learn
	if l.phase == learnNewLeader && n.durableGen >= l.nlGen {
		n.setHardState(HardState{AcceptedEpoch: n.hs.AcceptedEpoch, CurrentEpoch: l.epoch})
		n.queueDurable(Message{Type: MsgAckNewLeader, To: l.leader, Conn: l.conn, Zxid: l.nlZxid})
		l.phase = learnNLAcked
		l.ackQueued = l.nlZxid
	}
	if !l.observer && l.phase >= learnNLAcked && n.durableZxid > l.ackQueued {
		l.ackQueued = n.durableZxid
		n.queue(Message{Type: MsgAck, To: l.leader, Conn: l.conn, Zxid: n.durableZxid}, n.durableGen)
	}
}

func (n *Node) tickLearner() {
	l := n.learn
	if l.phase < learnUpToDate {
		if n.now-l.start > uint64(n.cfg.InitLimitTicks) {
			n.becomeLooking()
			return
		}
		if l.phase == learnConnecting && n.now-l.lastInfo >= uint64(n.cfg.ElectionTicks) {
			n.sendFollowerInfo()
		}
		return
	}
	if n.now-l.lastHeard > uint64(n.cfg.SyncLimitTicks) {
		n.becomeLooking()
	}
}
