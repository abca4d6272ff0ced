package zab

import "fmt"

// ServerID identifies an ensemble member (the N of zoo.cfg's server.N, the
// content of myid).
type ServerID uint64

// Zxid is a ZooKeeper transaction id: epoch in the high 32 bits, a counter
// in the low 32 bits.
type Zxid uint64

// MakeZxid builds a zxid from an epoch and a counter.
func MakeZxid(epoch, counter uint32) Zxid { return Zxid(uint64(epoch)<<32 | uint64(counter)) }

// Epoch returns the epoch part of z.
func (z Zxid) Epoch() uint32 { return uint32(z >> 32) }

// Counter returns the counter part of z.
func (z Zxid) Counter() uint32 { return uint32(z) }

// String formats z as ZooKeeper does in logs and file names (0x%x).
func (z Zxid) String() string { return fmt.Sprintf("0x%x", uint64(z)) }

// Entry is one transaction in the replicated log. Data is opaque to zab: the
// state machine's encoding of the txn (header and body).
type Entry struct {
	Zxid Zxid
	Data []byte
}

// HardState is what a member must persist, atomically, before it may act
// on it: the epoch it has accepted from a prospective leader and the epoch
// of the leader it has last synced with (ZooKeeper's acceptedEpoch and
// currentEpoch files).
type HardState struct {
	AcceptedEpoch uint32
	CurrentEpoch  uint32
}

// Snapshot is a serialized state-machine image that reflects every txn up
// to and including Zxid.
type Snapshot struct {
	Zxid Zxid
	Data []byte
	// Membership, if non-nil, is the membership as of Zxid. A leader fills
	// it in the snapshots it sends for SNAP sync (from its own log), and a
	// learner that installs the snapshot uses it as the membership below
	// the log that follows; a transport must carry it. When nil, the
	// learner keeps the membership it had. A StateMachine may leave it nil.
	Membership *Membership
}
