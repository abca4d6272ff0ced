package discovery

import (
	"strconv"
	"time"
)

// State is a member's state as this member sees it.
type State uint8

// Member states.
const (
	// StateAlive: the member answers probes (or nothing says otherwise).
	StateAlive State = iota
	// StateSuspect: this member's probe of it got no ack; it is declared
	// dead unless it refutes within the suspicion timeout. Only suspicions
	// raised by this member's own prober are seen; any alive message about
	// the member clears it.
	StateSuspect
	// StateDead: the failure detector declared it dead.
	StateDead
	// StateLeft: it left on purpose (Members.Leave).
	StateLeft
)

// String returns "alive", "suspect", "dead", "left" or "state(N)".
func (s State) String() string {
	switch s {
	case StateAlive:
		return "alive"
	case StateSuspect:
		return "suspect"
	case StateDead:
		return "dead"
	case StateLeft:
		return "left"
	}
	return "state(" + strconv.Itoa(int(s)) + ")"
}

// Live reports whether the member counts as present: alive or suspect.
func (s State) Live() bool { return s == StateAlive || s == StateSuspect }

// Member is a snapshot of one member as this member sees it. It is a value:
// holding it retains nothing of the table.
type Member struct {
	Name  string    // gossip node name
	Addr  string    // gossip IP:port
	Meta  Meta      // as last advertised
	State State     // current state
	Since time.Time // when it entered State
	Local bool      // this is the member itself
}

// EventKind says what happened to a member.
type EventKind uint8

// Event kinds.
const (
	EventJoin    EventKind = iota // first seen, or back from dead/left
	EventUpdate                   // its Meta changed
	EventSuspect                  // became suspect
	EventAlive                    // back to alive from suspect
	EventDead                     // declared dead
	EventLeft                     // left on purpose
	EventRefused                  // refused: its server id is held by another live member
)

// String returns the kind's name.
func (k EventKind) String() string {
	switch k {
	case EventJoin:
		return "join"
	case EventUpdate:
		return "update"
	case EventSuspect:
		return "suspect"
	case EventAlive:
		return "alive"
	case EventDead:
		return "dead"
	case EventLeft:
		return "left"
	case EventRefused:
		return "refused"
	}
	return "event(" + strconv.Itoa(int(k)) + ")"
}

// Event reports a change of one member. Member is the snapshot just after
// the change (for EventRefused: the member that was refused, never added).
type Event struct {
	Kind   EventKind
	Member Member
}

// Stats counts members by state for the admin port (mntr). Members counts
// every member in the table, this one included.
type Stats struct {
	Members, Alive, Suspect, Dead, Left int
	// Voters and Observers count live members by advertised role.
	Voters, Observers int
	// Refused counts refusals of members whose server id was taken.
	Refused uint64
	// DroppedEvents counts events dropped because the queue was full.
	DroppedEvents uint64
	// Health is memberlist's health score of this member: 0 is healthy,
	// higher means it is not keeping up with the protocol's soft deadlines.
	Health int
}

// count adds one member to the counts by state and, for live members, by
// role.
func (s *Stats) count(m *Member) {
	switch m.State {
	case StateAlive:
		s.Alive++
	case StateSuspect:
		s.Suspect++
	case StateDead:
		s.Dead++
	case StateLeft:
		s.Left++
	}
	if m.State.Live() {
		switch m.Meta.Role {
		case RoleVoter:
			s.Voters++
		case RoleObserver:
			s.Observers++
		}
	}
}

// StatField is one mntr line: a name such as zk_gossip_alive and its value.
type StatField struct {
	Name  string
	Value int64
}

// Fields returns the stats as mntr lines, in a fixed order.
func (s Stats) Fields() []StatField {
	return []StatField{
		{"zk_gossip_members", int64(s.Members)},
		{"zk_gossip_alive", int64(s.Alive)},
		{"zk_gossip_suspect", int64(s.Suspect)},
		{"zk_gossip_dead", int64(s.Dead)},
		{"zk_gossip_left", int64(s.Left)},
		{"zk_gossip_voters", int64(s.Voters)},
		{"zk_gossip_observers", int64(s.Observers)},
		{"zk_gossip_refused", int64(s.Refused)},
		{"zk_gossip_dropped_events", int64(s.DroppedEvents)},
		{"zk_gossip_health", int64(s.Health)},
	}
}
