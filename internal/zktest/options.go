package zktest

import (
	"errors"
	"fmt"
	"time"
)

// ErrBadOptions is wrapped by Options.Validate.
var ErrBadOptions = errors.New("zktest: bad options")

// Options configure a server started by StartApacheZK or StartZkmesh. Both
// servers get the same zoo.cfg keys, so a test can start one of each and
// expect the same behaviour.
type Options struct {
	// Members is the ensemble size; 1 is a standalone server.
	Members int
	// Observers is how many of the Members (the last ones) are observers.
	// Invariant: Members-Observers voters remain.
	Observers int
	// TickTimeMs is zoo.cfg tickTime. Session timeouts are clamped to
	// [2, 20] ticks unless Min/MaxSessionTimeoutMs say otherwise.
	TickTimeMs int
	// InitLimitTicks and SyncLimitTicks are zoo.cfg initLimit and syncLimit:
	// how long, in ticks, a follower may take to connect and sync to the
	// leader, and to answer it afterwards. Only ensembles use them.
	InitLimitTicks int
	SyncLimitTicks int
	// MinSessionTimeoutMs and MaxSessionTimeoutMs are written when non-zero.
	MinSessionTimeoutMs int
	MaxSessionTimeoutMs int
	// MaxClientCnxns is zoo.cfg maxClientCnxns; 0 means unlimited.
	MaxClientCnxns int
	// ExtendedTypes writes extendedTypesEnabled=true (TTL nodes).
	ExtendedTypes bool
	// SuperDigest, when set, is DigestAuthenticationProvider.superDigest
	// ("super:<base64 sha1>").
	SuperDigest string
	// ContainerCheckIntervalMs, when non-zero, is how often containers and
	// TTL nodes are checked for deletion (znode.container.checkIntervalMs;
	// a JVM property for Apache, a zoo.cfg key for zkmesh).
	ContainerCheckIntervalMs int
	// Extra holds additional zoo.cfg lines, key to value.
	Extra map[string]string
	// StartTimeout bounds the wait for every member to serve requests.
	StartTimeout time.Duration
	// PartitionableLinks routes the peer connections of a zkmesh ensemble
	// through a Proxy per ordered pair of members, so that a test can cut
	// members off from each other with Server.Network. Each member then
	// gets a zoo.cfg of its own. Apache ZooKeeper is not supported: its
	// election connections carry messages both ways and it redials the
	// address a peer announces, past the proxy.
	PartitionableLinks bool
}

// DefaultOptions returns a standalone server with a 200 ms tick, unlimited
// connections, extended types on and a 60 s start timeout. An ensemble's
// followers get 10 s (50 ticks) to sync and 5 s (25 ticks) to answer the
// leader, generous enough for a loaded 2-core machine.
func DefaultOptions() Options {
	return Options{
		Members:        1,
		TickTimeMs:     200,
		InitLimitTicks: 50,
		SyncLimitTicks: 25,
		ExtendedTypes:  true,
		StartTimeout:   60 * time.Second,
	}
}

// Validate reports the first field that is out of range.
func (o Options) Validate() error {
	switch {
	case o.Members < 1 || o.Members > 9:
		return fmt.Errorf("%w: Members %d not in [1,9]", ErrBadOptions, o.Members)
	case o.Observers < 0 || o.Members-o.Observers < 1 || (o.Observers > 0 && o.Members < 2):
		return fmt.Errorf("%w: Observers %d of %d members leaves no voter ensemble", ErrBadOptions, o.Observers, o.Members)
	case o.TickTimeMs < 1:
		return fmt.Errorf("%w: TickTimeMs %d < 1", ErrBadOptions, o.TickTimeMs)
	case o.InitLimitTicks < 1:
		return fmt.Errorf("%w: InitLimitTicks %d < 1", ErrBadOptions, o.InitLimitTicks)
	case o.SyncLimitTicks < 1:
		return fmt.Errorf("%w: SyncLimitTicks %d < 1", ErrBadOptions, o.SyncLimitTicks)
	case o.MinSessionTimeoutMs < 0:
		return fmt.Errorf("%w: MinSessionTimeoutMs %d < 0", ErrBadOptions, o.MinSessionTimeoutMs)
	case o.MaxSessionTimeoutMs < 0:
		return fmt.Errorf("%w: MaxSessionTimeoutMs %d < 0", ErrBadOptions, o.MaxSessionTimeoutMs)
	case o.MaxSessionTimeoutMs != 0 && o.MaxSessionTimeoutMs < o.MinSessionTimeoutMs:
		return fmt.Errorf("%w: MaxSessionTimeoutMs %d < MinSessionTimeoutMs %d", ErrBadOptions, o.MaxSessionTimeoutMs, o.MinSessionTimeoutMs)
	case o.MaxClientCnxns < 0:
		return fmt.Errorf("%w: MaxClientCnxns %d < 0", ErrBadOptions, o.MaxClientCnxns)
	case o.ContainerCheckIntervalMs < 0:
		return fmt.Errorf("%w: ContainerCheckIntervalMs %d < 0", ErrBadOptions, o.ContainerCheckIntervalMs)
	case o.PartitionableLinks && o.Members < 2:
		return fmt.Errorf("%w: PartitionableLinks needs an ensemble, Members is %d", ErrBadOptions, o.Members)
	case o.StartTimeout <= 0:
		return fmt.Errorf("%w: StartTimeout %v <= 0", ErrBadOptions, o.StartTimeout)
	}
	return nil
}
