package zab

import "errors"

var (
	// ErrConfig is wrapped by Config.Validate with the name of the bad field.
	ErrConfig = errors.New("zab: invalid config")
	// ErrNotLeader is returned by Propose on a member that is not an
	// established leader.
	ErrNotLeader = errors.New("zab: not the established leader")
	// ErrEpochExhausted is wrapped with ErrNotLeader when the zxid counter
	// of the current epoch would wrap: the leader steps down so that a new
	// epoch starts.
	ErrEpochExhausted = errors.New("zab: zxid counter exhausted, new epoch needed")
	// ErrNoLeader is returned by SendToLeader when the member is not synced
	// with a leader.
	ErrNoLeader = errors.New("zab: no synced leader")
	// ErrUnknownPeer is returned by Send when the leader has no connection
	// to that learner.
	ErrUnknownPeer = errors.New("zab: no connection to that peer")
	// ErrReadyInFlight is returned when Ready is called before the previous
	// Ready was advanced.
	ErrReadyInFlight = errors.New("zab: previous Ready not advanced")
)

var (
	// ErrReconfigInProgress is returned by ProposeConfig (and Propose of a
	// configuration entry) while a configuration entry is not committed.
	ErrReconfigInProgress = errors.New("zab: a configuration change is in progress")
	// ErrReconfigTooLarge is returned when a new configuration adds or
	// removes more than one voter.
	ErrReconfigTooLarge = errors.New("zab: a configuration change may add or remove at most one voter")
	// ErrNewConfigNoQuorum is returned when a quorum of the new
	// configuration's voters is not connected and synced to the leader.
	ErrNewConfigNoQuorum = errors.New("zab: no quorum of the new voters is synced with the leader")
)
