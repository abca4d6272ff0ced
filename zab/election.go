package zab

// election is the state of fast leader election (ZooKeeper's
// FastLeaderElection), kept across roles: round survives so that a member
// that leaves a role starts a newer round.
type election struct {
	// round is the logical clock (ZooKeeper's logicalclock).
	round uint64
	// vote is this member's current proposal while LOOKING; current the
	// vote it decided on, which it reports to LOOKING peers afterwards.
	vote, current Vote
	// recv holds this round's votes from voters (self included); out holds
	// the votes of voters that already left election.
	recv, out map[ServerID]Vote
	// decide is set when a quorum agrees with vote; the member decides at
	// its next tick unless vote changes first (ZooKeeper's finalizeWait).
	decide   bool
	resendAt uint64
	// leaderRound is the round in which the leader this member decided
	// on was leading (as its own vote said), or the round of the decision.
	leaderRound uint64
}

// selfVote is the vote a candidate starts a round with: itself, with its
// currentEpoch and last zxid. Other members propose nobody.
func (n *Node) selfVote() Vote {
	if !n.candidate() {
		return Vote{}
	}
	return Vote{Leader: n.id, Zxid: n.lastZxid, Epoch: n.hs.CurrentEpoch}
}

// betterVote is ZooKeeper's totalOrderPredicate: whether a beats b by
// (epoch, zxid, server id).
//
// a's candidate need not be a voter of this member's configuration: only
// candidates propose themselves (voters, and members whose log holds an
// uncommitted configuration), and one outside this member's voters runs
// because its log holds a configuration this member has not seen; as a
// Raft server votes for a candidate outside its configuration whose log
// is the most recent, this member votes for it. On equal histories a voter
// of this member's configuration beats any other candidate, so that one
// outside the voters (this member itself included) wins only when it alone
// holds the latest history.
//
// Without Config.ConfigOf memberships are static, and only voters of this
// member's configuration are candidates, as in ZooKeeper.
func (n *Node) betterVote(a, b Vote) bool {
	if a.Leader == 0 || (n.cfg.ConfigOf == nil && !n.isVoter[a.Leader]) {
		return false
	}
	if a.Epoch != b.Epoch {
		return a.Epoch > b.Epoch
	}
	if a.Zxid != b.Zxid {
		return a.Zxid > b.Zxid
	}
	if av, bv := n.isVoter[a.Leader], n.isVoter[b.Leader]; av != bv {
		return av
	}
	return a.Leader > b.Leader
}

func sameProposal(a, b Vote) bool {
	return a.Leader == b.Leader && a.Zxid == b.Zxid && a.Epoch == b.Epoch
}

// becomeLooking starts a new election round.
func (n *Node) becomeLooking() {
	n.role = RoleLooking
	n.leader = 0
	n.lead, n.learn = nil, nil
	n.early = nil
	n.el.round++
	n.el.vote = n.selfVote()
	n.el.recv = map[ServerID]Vote{}
	n.el.out = map[ServerID]Vote{}
	n.el.decide = false
	if n.candidate() {
		n.el.recv[n.id] = n.roundVote()
		n.el.decide = n.termPredicate(n.el.recv, n.el.vote)
	}
	n.event(Event{Type: EventRoleChanged, Role: RoleLooking})
	n.sendNotifications()
}

func (n *Node) roundVote() Vote {
	v := n.el.vote
	v.Round = n.el.round
	v.State = RoleLooking
	return v
}

// sendNotifications sends this member's vote to every other voter.
func (n *Node) sendNotifications() {
	v := n.roundVote()
	for _, id := range n.voters {
		if id != n.id {
			n.queueDurable(Message{Type: MsgVote, To: id, Vote: v})
		}
	}
	n.el.resendAt = n.now + uint64(n.cfg.ElectionTicks+n.rand.Intn(n.cfg.ElectionTicks))
}

// replyVote tells a peer what this member currently thinks.
func (n *Node) replyVote(to ServerID) {
	v := n.roundVote()
	if n.role != RoleLooking {
		v = n.el.current
		v.Leader = n.leader
		v.Round = n.el.round
		v.State = n.role
	}
	n.queueDurable(Message{Type: MsgVote, To: to, Vote: v})
}

func (n *Node) tickElection() {
	if n.el.decide {
		n.decide(n.el.vote)
		return
	}
	if n.now >= n.el.resendAt {
		n.sendNotifications()
	}
}

// termPredicate reports whether a quorum of voters in votes agree with v.
func (n *Node) termPredicate(votes map[ServerID]Vote, v Vote) bool {
	c := 0
	for _, id := range n.voters {
		if w, ok := votes[id]; ok && sameProposal(w, v) {
			c++
		}
	}
	return c >= n.quorum
}

// followQuorum reports whether a quorum of voters in votes follow or lead
// leader, counting this member, if it is a voter, as one more follower of
// another leader: members whose logs hold different configurations may
// disagree on who votes, and joining a leader is always safe (the leader's
// epoch agreement decides, not the election).
func (n *Node) followQuorum(votes map[ServerID]Vote, leader ServerID) bool {
	c := 0
	for _, id := range n.voters {
		if w, ok := votes[id]; ok && w.Leader == leader && id != n.id {
			c++
		}
	}
	if leader != n.id && n.isVoter[n.id] {
		c++
	}
	return c >= n.quorum
}

// checkLeader is ZooKeeper's checkLeader: a member only follows a leader
// that says it is leading, and only leads on a vote of its own round.
func (n *Node) checkLeader(votes map[ServerID]Vote, leader ServerID, round uint64) bool {
	if leader != n.id {
		w, ok := votes[leader]
		return ok && w.State == RoleLeading
	}
	return round == n.el.round
}

func (n *Node) stepVote(m Message) {
	v := m.Vote
	if n.role != RoleLooking {
		if v.State == RoleLooking && m.From == n.leader && m.From != n.id && v.Round > n.el.leaderRound {
			// This member's leader is electing again, in a round after
			// the one this member decided in: it no longer leads (what a
			// broken TCP connection tells a ZooKeeper learner at once).
			n.becomeLooking()
			n.stepVote(m)
			return
		}
		if v.State == RoleLooking {
			n.replyVote(m.From)
		}
		return
	}
	if v.State == RoleLooking {
		// The sender left whatever role it had: forget it.
		delete(n.el.out, m.From)
	}
	if !n.candidate() {
		// An observer only listens for a leader that a quorum follows.
		if n.isVoter[m.From] && (v.State == RoleFollowing || v.State == RoleLeading) {
			n.el.out[m.From] = v
			if n.followQuorum(n.el.out, v.Leader) && n.checkLeader(n.el.out, v.Leader, v.Round) {
				n.decide(v)
			}
		}
		return
	}
	if !n.isVoter[m.From] {
		// Its vote never counts here, but its candidacy (see betterVote)
		// or its withdrawal does, in this round. It moves this member to
		// a later round only as a candidate that beats this member's own
		// vote (a removed member with an old log never disturbs an
		// election); otherwise the reply tells it this round.
		later := v.Round > n.el.round && v.Leader == m.From && n.betterVote(v, n.selfVote())
		if v.State == RoleLooking && (v.Round == n.el.round || later) {
			n.considerVote(m.From, v)
			n.el.recv[n.id] = n.roundVote()
			if n.termPredicate(n.el.recv, n.el.vote) {
				n.el.decide = true
			}
		}
		n.replyVote(m.From)
		return
	}
	switch v.State {
	case RoleLooking:
		if v.Round < n.el.round {
			n.replyVote(m.From)
			return
		}
		n.considerVote(m.From, v)
		n.el.recv[m.From] = v
		n.el.recv[n.id] = n.roundVote()
		if n.termPredicate(n.el.recv, n.el.vote) {
			n.el.decide = true
		}
	case RoleFollowing, RoleLeading:
		if v.Round == n.el.round {
			n.el.recv[m.From] = v
			if n.termPredicate(n.el.recv, v) && n.checkLeader(n.el.recv, v.Leader, v.Round) {
				n.decide(v)
				return
			}
		}
		n.el.out[m.From] = v
		if n.followQuorum(n.el.out, v.Leader) && n.checkLeader(n.el.out, v.Leader, v.Round) {
			n.el.round = max(n.el.round, v.Round)
			n.decide(v)
		}
	}
}

// considerVote updates this member's vote with from's LOOKING vote v of
// this round or a later one.
func (n *Node) considerVote(from ServerID, v Vote) {
	switch {
	case v.Round > n.el.round:
		n.el.round = v.Round
		n.el.recv = map[ServerID]Vote{}
		n.el.vote = n.selfVote()
		if n.betterVote(v, n.el.vote) {
			n.el.vote = Vote{Leader: v.Leader, Zxid: v.Zxid, Epoch: v.Epoch}
		}
		n.el.decide = false
		n.sendNotifications()
	case from == n.el.vote.Leader && v.Leader != from && v.Leader != 0:
		// The candidate this member votes for withdrew in favour of
		// another (it yields, not being a voter of its own
		// configuration): follow its choice.
		n.el.vote = Vote{Leader: v.Leader, Zxid: v.Zxid, Epoch: v.Epoch}
		n.el.decide = false
		n.sendNotifications()
	case n.betterVote(v, n.el.vote):
		n.el.vote = Vote{Leader: v.Leader, Zxid: v.Zxid, Epoch: v.Epoch}
		n.el.decide = false
		n.sendNotifications()
	}
}

// decide leaves election with v's leader.
func (n *Node) decide(v Vote) {
	n.el.decide = false
	n.el.current = Vote{Leader: v.Leader, Zxid: v.Zxid, Epoch: v.Epoch, Round: n.el.round}
	n.el.leaderRound = n.el.round
	for _, votes := range []map[ServerID]Vote{n.el.recv, n.el.out} {
		if w, ok := votes[v.Leader]; ok && w.State == RoleLeading {
			n.el.leaderRound = w.Round
		}
	}
	switch {
	case v.Leader == n.id && !n.candidate():
		// Others may still count this member a voter; its own log says
		// it is not, so it must not lead: a new round.
		n.becomeLooking()
	case v.Leader == n.id:
		n.becomeLeading()
	case n.isVoter[n.id]:
		n.becomeLearner(v.Leader, RoleFollowing)
	default:
		n.becomeLearner(v.Leader, RoleObserving)
	}
}
