// Package zab is the consensus core of zkmesh: ZooKeeper's atomic broadcast
// (leader election, epoch agreement, synchronisation of learners by DIFF,
// TRUNC or SNAP, and broadcast of proposals) as a pure, deterministic state
// machine in the manner of etcd's raft.
//
// zab never starts goroutines, opens sockets, touches the disk, reads the
// clock or uses a global random source. It moves only on Step and Tick, and
// what it wants done comes out of Ready as data. The same inputs always give
// the same outputs, which is what makes internal/sim possible.
//
// zab imports nothing but the standard library. It never encodes messages
// (Message is a plain struct for the transport to encode) and never writes
// Storage (the driver persists what Ready hands out).
//
// # Phases
//
// A member starts LOOKING and runs fast leader election: notifications carry
// (round, proposed leader, its currentEpoch and last zxid, sender's state);
// votes are ordered by (epoch, zxid, server id); a member decides once a
// quorum of voters agrees and one more tick brought nothing better, or when a
// quorum of voters already follows a leader that says it leads. Observers
// only listen for the latter.
//
// The chosen leader collects FOLLOWERINFO (acceptedEpoch) from a quorum,
// proposes max+1 in LEADERINFO, and collects ACKEPOCH (currentEpoch, last
// zxid) from a quorum, stepping down if a voter is ahead of it. A member
// accepts an epoch once: a learner that had already accepted it (from
// another leader that picked the same epoch, say) acks with ReackEpoch,
// which never counts toward the quorum (ZooKeeper's -1). It then
// syncs each learner (DIFF, TRUNC or SNAP, then NEWLEADER), and is
// established once a quorum acked NEWLEADER: its whole history is then
// committed, and learners get UPTODATE. Proposals are acked by followers
// once durable and committed in zxid order once a quorum of voters acked;
// observers get committed txns by INFORM. PINGs flow both ways; a learner
// that does not hear its leader for SyncLimitTicks, and a leader that does
// not hear a quorum, go back to LOOKING.
//
// # Membership
//
// Members are voters or observers. With Config.ConfigOf set, some entries
// of the log are configurations, and every member uses the latest one in
// its log, committed or not, for everything: elections, who may lead, the
// quorums of epoch agreement, NEWLEADER and commit, which learners are
// observers, which senders it hears (Raft's single-server membership
// change, ZooKeeper's last seen configuration). A TRUNC that drops a
// configuration falls back to the one before; a SNAP carries the
// membership as of its zxid (Snapshot.Membership). ProposeConfig allows
// one change at a time (the previous one committed), by at most one voter,
// and only when a quorum of the new voters already follows the leader, so
// any two quorums of consecutive configurations intersect. A learner whose
// log changes its kind goes back to LOOKING and rejoins as what it now is;
// a leader drops the connections of learners that changed kind or left. A
// leader that leaves the voters leads, without counting itself, until the
// change and its txns commit, then steps down.
//
// Members may therefore disagree on the membership while a change is in
// flight, and elections account for it: a member that a pending
// configuration of its own log removes may still run (it may hold the only
// copy of that configuration) but loses ties to voters; votes are heard
// from any member; a candidate that withdraws carries its supporters with
// it; and a voter counts itself among the followers of a leader it joins.
// The election is only a hint: epoch agreement over a quorum of the
// leader's configuration decides.
//
// # Durability by construction
//
// Every outgoing message waits in an outbox tagged with the write
// generation it depends on, and leaves only in a Ready handed out after
// Advance confirmed that generation durable. So an ACK, an ACKEPOCH or an
// ACK of NEWLEADER can never precede the writes it acknowledges
// (ZOOKEEPER-3911, 4646, 4785), whatever the driver does. The new
// currentEpoch of a learner is only written once the txns of its sync are
// durable, never in the same Ready (ZOOKEEPER-4643). COMMIT carries a zxid
// checked against the log, never a lookup in a queue (ZOOKEEPER-4394).
// Learner connections carry a connection id and per-direction sequence
// numbers, so loss, duplication and reordering of the network become either
// ignored duplicates or a broken connection, as with TCP.
package zab
