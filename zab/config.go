package zab

import "fmt"

// Config is everything a Node needs. Every field is required unless it
// says otherwise; DefaultConfig fills the timing fields.
type Config struct {
	// ID is this member's id. It must appear in Voters or Observers,
	// unless ConfigOf is set (a member removed by a reconfiguration may
	// restart; it stays LOOKING unless its log makes it a member).
	ID ServerID
	// Voters are the members whose acks count toward a quorum and who may
	// lead. Invariant: non-empty, no duplicates, disjoint from Observers.
	// With ConfigOf set, Voters and Observers are the membership as of
	// Applied (the state machine's point); configuration entries of the
	// log above Applied override them.
	Voters []ServerID
	// Observers receive committed txns but never vote nor count toward a
	// quorum.
	Observers []ServerID
	// ConfigOf, optional, tells configuration entries from other txns: it
	// returns the membership an entry's Data sets and true, or false for
	// an entry that is not a configuration. It must be pure (the same
	// answer for the same bytes on every member, at any time) and must not
	// retain data. zab calls it on every entry that enters the log. Nil
	// means no entry is a configuration and the membership only changes by
	// SetObservers.
	ConfigOf func(data []byte) (Membership, bool)
	// ElectionTicks is how long a LOOKING member waits before it sends its
	// vote again; the actual wait is drawn from
	// [ElectionTicks, 2*ElectionTicks) with the seeded source.
	ElectionTicks int
	// InitLimitTicks bounds epoch agreement and synchronisation: a leader
	// not established, or a learner not up to date, within that many ticks
	// of deciding its role goes back to LOOKING (zoo.cfg initLimit).
	InitLimitTicks int
	// SyncLimitTicks is how long a member may go without hearing from its
	// peer before the link counts as dead: a learner that does not hear from
	// its leader goes LOOKING, a leader that does not hear from a quorum
	// steps down (zoo.cfg syncLimit).
	SyncLimitTicks int
	// HeartbeatTicks is the interval between the leader's PINGs.
	// Invariant: HeartbeatTicks < SyncLimitTicks.
	HeartbeatTicks int
	// Seed seeds the Node's only random source (election jitter and
	// connection ids). A process should use a fresh seed on every start;
	// the simulator derives it from its own seed.
	Seed int64
	// Storage is the durable state zab reads. The driver writes it from
	// Ready before calling Advance.
	Storage Storage
	// StateMachine produces snapshots for SNAP sync.
	StateMachine StateMachine
	// Applied is the zxid the state machine already reflects when the Node
	// is created (the driver restored it from Storage.Snapshot). Zero means
	// the storage snapshot's zxid, or nothing. Committed entries handed out
	// in Ready start after it.
	Applied Zxid
}

// DefaultConfig returns a Config with the timing fields set; the caller
// fills ID, Voters, Observers, Seed, Storage and StateMachine.
func DefaultConfig() Config {
	return Config{
		ElectionTicks:  4,
		InitLimitTicks: 20,
		SyncLimitTicks: 10,
		HeartbeatTicks: 2,
	}
}

// Validate reports the first field that is wrong, wrapping ErrConfig.
func (c Config) Validate() error {
	bad := func(field, why string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrConfig, field, fmt.Sprintf(why, args...))
	}
	if c.ID == 0 {
		return bad("ID", "must be non-zero")
	}
	if len(c.Voters) == 0 {
		return bad("Voters", "must not be empty")
	}
	seen := map[ServerID]string{}
	for _, v := range c.Voters {
		if v == 0 {
			return bad("Voters", "contains id 0")
		}
		if _, dup := seen[v]; dup {
			return bad("Voters", "lists %d twice", v)
		}
		seen[v] = "Voters"
	}
	for _, o := range c.Observers {
		if o == 0 {
			return bad("Observers", "contains id 0")
		}
		if where, dup := seen[o]; dup {
			return bad("Observers", "lists %d, already in %s", o, where)
		}
		seen[o] = "Observers"
	}
	if _, ok := seen[c.ID]; !ok && c.ConfigOf == nil {
		return bad("ID", "%d is neither in Voters nor in Observers", c.ID)
	}
	if c.ElectionTicks < 1 {
		return bad("ElectionTicks", "must be >= 1, got %d", c.ElectionTicks)
	}
	if c.HeartbeatTicks < 1 {
		return bad("HeartbeatTicks", "must be >= 1, got %d", c.HeartbeatTicks)
	}
	if c.SyncLimitTicks <= c.HeartbeatTicks {
		return bad("SyncLimitTicks", "must be > HeartbeatTicks (%d), got %d", c.HeartbeatTicks, c.SyncLimitTicks)
	}
	if c.InitLimitTicks < c.SyncLimitTicks {
		return bad("InitLimitTicks", "must be >= SyncLimitTicks (%d), got %d", c.SyncLimitTicks, c.InitLimitTicks)
	}
	if c.Storage == nil {
		return bad("Storage", "must be set")
	}
	if c.StateMachine == nil {
		return bad("StateMachine", "must be set")
	}
	return nil
}
