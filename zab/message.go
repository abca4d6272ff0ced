package zab

import "fmt"

// MessageType names a peer message. The names are ZooKeeper's packet names
// where one exists.
type MessageType uint8

// Message types.
const (
	// MsgVote is a fast-leader-election notification.
	MsgVote MessageType = iota + 1
	// MsgFollowerInfo opens a learner connection (FOLLOWERINFO or
	// OBSERVERINFO): Epoch is the learner's acceptedEpoch, Zxid its last.
	MsgFollowerInfo
	// MsgLeaderInfo proposes the new epoch (Epoch).
	MsgLeaderInfo
	// MsgAckEpoch answers LEADERINFO once the epoch is durably accepted:
	// Epoch is the learner's currentEpoch, or ReackEpoch if it had
	// accepted that epoch before; Zxid is its last zxid.
	MsgAckEpoch
	// MsgSync carries the synchronisation of one learner: Mode, TruncZxid,
	// Snapshot and Entries, and the leader's commit point (Zxid).
	MsgSync
	// MsgNewLeader ends synchronisation: Epoch is the new epoch, Zxid the
	// last zxid of the history the learner now holds.
	MsgNewLeader
	// MsgAckNewLeader acknowledges NEWLEADER (Zxid) once the synced history
	// and the new currentEpoch are durable.
	MsgAckNewLeader
	// MsgUpToDate tells a learner it may serve: Zxid is committed.
	MsgUpToDate
	// MsgProposal carries one new txn in Entries[0]; Zxid is the zxid that
	// precedes it in the leader's log.
	MsgProposal
	// MsgAck says the learner's log is durable through Zxid.
	MsgAck
	// MsgCommit says every txn through Zxid is committed.
	MsgCommit
	// MsgInform carries committed txns to an observer; Zxid precedes
	// Entries[0] in the leader's log.
	MsgInform
	// MsgPing is the heartbeat, both ways.
	MsgPing
	// MsgApp carries an opaque application payload (Data) between a
	// learner and its leader.
	MsgApp
)

var msgNames = map[MessageType]string{
	MsgVote: "VOTE", MsgFollowerInfo: "FOLLOWERINFO", MsgLeaderInfo: "LEADERINFO",
	MsgAckEpoch: "ACKEPOCH", MsgSync: "SYNC", MsgNewLeader: "NEWLEADER",
	MsgAckNewLeader: "ACKNEWLEADER", MsgUpToDate: "UPTODATE", MsgProposal: "PROPOSAL",
	MsgAck: "ACK", MsgCommit: "COMMIT", MsgInform: "INFORM", MsgPing: "PING", MsgApp: "APP",
}

func (t MessageType) String() string {
	if s, ok := msgNames[t]; ok {
		return s
	}
	return fmt.Sprintf("MessageType(%d)", uint8(t))
}

// SyncMode is how a leader brings a learner's log in line with its own.
type SyncMode uint8

// Sync modes.
const (
	// SyncDiff sends the txns the learner lacks.
	SyncDiff SyncMode = iota + 1
	// SyncTrunc drops the learner's txns after TruncZxid, then sends a diff.
	SyncTrunc
	// SyncSnap replaces the learner's state with a snapshot, then a diff.
	SyncSnap
)

func (m SyncMode) String() string {
	switch m {
	case SyncDiff:
		return "DIFF"
	case SyncTrunc:
		return "TRUNC"
	case SyncSnap:
		return "SNAP"
	}
	return fmt.Sprintf("SyncMode(%d)", uint8(m))
}

// Vote is an election vote as notifications carry it.
type Vote struct {
	// Leader is the proposed (or, once decided, the followed) leader;
	// 0 from an observer, which proposes nobody.
	Leader ServerID
	// Zxid and Epoch are the proposed leader's last zxid and currentEpoch.
	Zxid  Zxid
	Epoch uint32
	// Round is the sender's election round (ZooKeeper's logicalclock).
	Round uint64
	// State is the sender's role when it sent the notification.
	State Role
}

// Message is one peer message. It is a plain struct with exported fields so
// that a transport can encode it; zab never encodes it. Which fields are set
// depends on Type (see the MessageType constants).
//
// Conn and Seq make a learner connection behave like a stream over any
// network: the learner picks a fresh Conn for every connection attempt, and
// each side numbers its messages on the connection 1, 2, 3... A receiver
// drops duplicates and treats a gap as a broken connection.
type Message struct {
	Type     MessageType
	From, To ServerID
	Conn     uint64
	Seq      uint64

	Vote      Vote
	Epoch     uint32
	Zxid      Zxid
	Mode      SyncMode
	TruncZxid Zxid
	Snapshot  *Snapshot
	Entries   []Entry
	Data      []byte
}

func (m Message) String() string {
	s := fmt.Sprintf("%s %d->%d", m.Type, m.From, m.To)
	switch m.Type {
	case MsgVote:
		s += fmt.Sprintf(" %s leader=%d zxid=%s epoch=%d round=%d", m.Vote.State, m.Vote.Leader, m.Vote.Zxid, m.Vote.Epoch, m.Vote.Round)
	case MsgFollowerInfo, MsgLeaderInfo, MsgAckEpoch, MsgNewLeader:
		s += fmt.Sprintf(" epoch=%d zxid=%s", m.Epoch, m.Zxid)
	case MsgSync:
		s += fmt.Sprintf(" %s", m.Mode)
		if m.Mode == SyncTrunc {
			s += fmt.Sprintf(" to=%s", m.TruncZxid)
		}
		if m.Snapshot != nil {
			s += fmt.Sprintf(" snap=%s", m.Snapshot.Zxid)
		}
		s += fmt.Sprintf(" n=%d commit=%s", len(m.Entries), m.Zxid)
	case MsgProposal, MsgInform:
		for _, e := range m.Entries {
			s += " " + e.Zxid.String()
		}
	case MsgAckNewLeader, MsgUpToDate, MsgAck, MsgCommit:
		s += " " + m.Zxid.String()
	case MsgApp:
		s += fmt.Sprintf(" %dB", len(m.Data))
	}
	return s
}
