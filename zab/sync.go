package zab

import (
	"errors"
	"fmt"
)

// syncPlan is how the leader brings one learner to its history.
type syncPlan struct {
	mode  SyncMode
	trunc Zxid
	snap  *Snapshot
	ents  []Entry
}

// planSync chooses DIFF, TRUNC or SNAP for a learner whose last zxid is
// peerLast, so that it ends up holding exactly the leader's log up to upto:
//
//   - DIFF when the leader's log holds peerLast: the entries after it;
//   - TRUNC when it does not (the learner has txns the leader never
//     committed): drop the learner's entries above the largest zxid of the
//     leader's log below peerLast, then DIFF from there;
//   - SNAP when the leader's log no longer reaches back that far
//     (ErrCompacted): a state-machine snapshot, then DIFF from its zxid.
func (n *Node) planSync(peerLast, upto Zxid) (syncPlan, error) {
	if peerLast == upto {
		return syncPlan{mode: SyncDiff}, nil
	}
	has, err := n.hasEntry(peerLast)
	if err != nil {
		return syncPlan{}, err
	}
	if has && peerLast < upto {
		ents, err := n.entriesBetween(peerLast, upto)
		if err == nil {
			return syncPlan{mode: SyncDiff, ents: ents}, nil
		}
		if !errors.Is(err, ErrCompacted) {
			return syncPlan{}, err
		}
		return n.planSnap(upto)
	}
	t, found, err := n.largestBelow(peerLast, upto)
	if err != nil {
		return syncPlan{}, err
	}
	if !found {
		return n.planSnap(upto)
	}
	ents, err := n.entriesBetween(t, upto)
	if err != nil {
		return n.planSnap(upto)
	}
	return syncPlan{mode: SyncTrunc, trunc: t, ents: ents}, nil
}

// largestBelow finds the largest zxid of the leader's log (up to upto) that
// is below z. found is false when that point is covered by a snapshot.
func (n *Node) largestBelow(z, upto Zxid) (Zxid, bool, error) {
	base, err := snapshotZxid(n.store)
	if err != nil {
		return 0, false, err
	}
	if z <= base && base != 0 {
		return 0, false, nil
	}
	ents, err := n.entriesBetween(base, upto)
	if errors.Is(err, ErrCompacted) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	best := base
	for _, e := range ents {
		if e.Zxid >= z {
			break
		}
		best = e.Zxid
	}
	if best == 0 && base == 0 {
		return 0, true, nil
	}
	return best, best != 0, nil
}

func (n *Node) planSnap(upto Zxid) (syncPlan, error) {
	snap, err := n.sm.Snapshot()
	if err != nil {
		return syncPlan{}, fmt.Errorf("zab: snapshot for SNAP sync: %w", err)
	}
	if snap.Zxid > upto {
		return syncPlan{}, fmt.Errorf("zab: state machine at %s is past the log end %s", snap.Zxid, upto)
	}
	m, ok := n.membershipAt(snap.Zxid)
	if !ok {
		return syncPlan{}, fmt.Errorf("zab: membership as of snapshot %s unknown (known from %s)", snap.Zxid, n.baseFrom)
	}
	snap.Membership = &m
	ents, err := n.entriesBetween(snap.Zxid, upto)
	if err != nil {
		return syncPlan{}, fmt.Errorf("zab: entries after snapshot %s: %w", snap.Zxid, err)
	}
	return syncPlan{mode: SyncSnap, snap: &snap, ents: ents}, nil
}
