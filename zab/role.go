package zab

import "fmt"

// Role is a member's state in the protocol (ZooKeeper's ServerState).
type Role uint8

// Roles.
const (
	// RoleLooking: electing a leader.
	RoleLooking Role = iota + 1
	// RoleFollowing: a voter that decided on a leader other than itself.
	RoleFollowing
	// RoleLeading: a voter that decided on itself.
	RoleLeading
	// RoleObserving: an observer that found the leader.
	RoleObserving
)

func (r Role) String() string {
	switch r {
	case RoleLooking:
		return "looking"
	case RoleFollowing:
		return "following"
	case RoleLeading:
		return "leading"
	case RoleObserving:
		return "observing"
	}
	return fmt.Sprintf("Role(%d)", uint8(r))
}
