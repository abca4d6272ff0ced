package zab

// Status is a point-in-time view of a Node, with the figures ZooKeeper's
// srvr and mntr commands report.
type Status struct {
	ID     ServerID
	Role   Role
	Leader ServerID
	// Established: a leader whose epoch a quorum has acknowledged.
	Established bool
	// Synced: a learner that received UPTODATE.
	Synced        bool
	AcceptedEpoch uint32
	CurrentEpoch  uint32
	Round         uint64
	LastZxid      Zxid
	DurableZxid   Zxid
	Committed     Zxid
	Applied       Zxid
	// SyncedFollowers and SyncedObservers count learners that acked
	// NEWLEADER on their current connection (leader only).
	SyncedFollowers int
	SyncedObservers int
	// PendingSyncs counts learners connected but not yet synced (leader only).
	PendingSyncs int
	// Membership is the membership in use: the latest configuration in
	// the log, committed or not. ConfigZxid is the zxid of its entry (or
	// the point the base membership is known from), and ConfigPending
	// says that entry is not committed yet.
	Membership    Membership
	ConfigZxid    Zxid
	ConfigPending bool
}
