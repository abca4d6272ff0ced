package zab

import "fmt"

// ProposeConfig proposes data, a configuration entry that sets next as the
// membership, as a new txn. Only an established leader that is a voter in
// the membership in use may call it, and only when:
//
//   - Config.ConfigOf recognises data as a configuration and returns
//     next (ErrConfig otherwise, or if next is invalid);
//   - no configuration entry of the log is uncommitted
//     (ErrReconfigInProgress);
//   - next's voters differ from those in use by at most one voter added or
//     removed; observers may change freely (ErrReconfigTooLarge);
//   - a quorum of next's voters is connected and synced to this leader
//     now, the leader counting if it stays a voter and an observer being
//     promoted not counting until it follows (ErrNewConfigNoQuorum), so that
//     the change cannot stall.
//
// Every member uses the latest configuration in its log, committed or
// not, from the moment the entry reaches it. A leader that next leaves
// without a vote keeps leading, without counting itself, until the entry
// commits; from then on it refuses proposals (ErrNotLeader) and steps down
// at the first tick where every txn it proposed is committed. Propose
// applies the same checks to any data that ConfigOf recognises.
func (n *Node) ProposeConfig(data []byte, next Membership) (Zxid, error) {
	if n.cfg.ConfigOf == nil {
		return 0, fmt.Errorf("%w: ConfigOf: not set, no entry can be a configuration", ErrConfig)
	}
	if err := next.Validate(); err != nil {
		return 0, err
	}
	m, isCfg, err := n.configOf(data)
	switch {
	case err != nil:
		return 0, err
	case !isCfg:
		return 0, fmt.Errorf("%w: ConfigOf does not recognise the data as a configuration", ErrConfig)
	case !m.Equal(next):
		return 0, fmt.Errorf("%w: the data sets %s, not %s", ErrConfig, m, next.Clone())
	}
	return n.Propose(data)
}

// checkReconfig applies ProposeConfig's rules to next.
func (n *Node) checkReconfig(next Membership) error {
	if !n.isVoter[n.id] {
		return fmt.Errorf("%w: this leader is leaving the voters", ErrNotLeader)
	}
	if n.configPending() {
		return fmt.Errorf("%w: %s is not committed (commit %s)", ErrReconfigInProgress, n.configZxid(), n.commit)
	}
	if c := votersChanged(n.cur, next); c > 1 {
		return fmt.Errorf("%w: %d voters change from %v to %v", ErrReconfigTooLarge, c, n.cur.Voters, next.Clone().Voters)
	}
	have := 0
	if next.IsVoter(n.id) {
		have++
	}
	for _, h := range n.lead.handlers {
		if !h.observer && h.phase >= handlerSynced && next.IsVoter(h.id) &&
			n.now-h.lastHeard <= uint64(n.cfg.SyncLimitTicks) {
			have++
		}
	}
	if need := len(next.Voters)/2 + 1; have < need {
		return fmt.Errorf("%w: %d of the new voters %v are synced followers, %d needed", ErrNewConfigNoQuorum, have, next.Clone().Voters, need)
	}
	return nil
}

// Membership returns the membership in use: the latest configuration in
// the log, committed or not (or Config's, if there is none).
func (n *Node) Membership() Membership { return n.cur.Clone() }

// CheckConfig reports whether ProposeConfig would accept a configuration
// entry setting next now, with the error it would return; it changes
// nothing. A driver calls it to answer a reconfig request before it
// prepares the txn.
func (n *Node) CheckConfig(next Membership) error {
	if n.role != RoleLeading || n.lead.phase != leadBroadcast {
		return ErrNotLeader
	}
	if err := next.Validate(); err != nil {
		return err
	}
	return n.checkReconfig(next)
}
