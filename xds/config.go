package xds

import (
	"fmt"
	"net"
	"time"
)

// Config configures a Server.
type Config struct {
	// Address is where the daemon listens for ADS ("127.0.0.1:18000" by
	// default; --xds-addr or zoo.cfg xds.address). The Server itself serves
	// whatever listener is handed to Serve; Address is validated here so the
	// daemon's configuration is checked in one place.
	Address string
	// LocalZone is this host's zone. Endpoints in it get priority 0 (within
	// their registered priority); other zones follow. Empty: zones are not
	// prioritised.
	LocalZone string
	// CoalesceDelay is how long Run waits after the first Update of a burst
	// before publishing the newest View. 0 publishes at once. At most 10 s.
	CoalesceDelay time.Duration
	// WarmupRefresh is how often Run republishes services that have
	// endpoints warming up (Dubbo warmup). Must be > 0.
	WarmupRefresh time.Duration
	// ConnectTimeout is the clusters' connect_timeout. Must be > 0.
	ConnectTimeout time.Duration
	// RequireNodeID rejects ADS streams whose first request carries no
	// node.id. Node ids are otherwise only logged: every node receives the
	// same resources.
	RequireNodeID bool
}

// DefaultConfig returns the configuration `zkmesh run` uses.
func DefaultConfig() Config {
	return Config{
		Address:        "127.0.0.1:18000",
		CoalesceDelay:  10 * time.Millisecond,
		WarmupRefresh:  5 * time.Second,
		ConnectTimeout: time.Second,
	}
}

// Validate reports the first invalid field.
func (c Config) Validate() error {
	if _, port, err := net.SplitHostPort(c.Address); err != nil || port == "" {
		return fmt.Errorf("%w: Address %q is not host:port", ErrConfig, c.Address)
	}
	if c.CoalesceDelay < 0 || c.CoalesceDelay > 10*time.Second {
		return fmt.Errorf("%w: CoalesceDelay %v not in [0, 10s]", ErrConfig, c.CoalesceDelay)
	}
	if c.WarmupRefresh <= 0 {
		return fmt.Errorf("%w: WarmupRefresh %v must be > 0", ErrConfig, c.WarmupRefresh)
	}
	if c.ConnectTimeout <= 0 {
		return fmt.Errorf("%w: ConnectTimeout %v must be > 0", ErrConfig, c.ConnectTimeout)
	}
	return nil
}
