package sidecar

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/zkmesh/zkmesh/discovery"
)

// DefaultGossipAddress is the gossip bind address used when gossip.seeds
// (--join) is given without gossip.address: every interface, memberlist's
// customary port.
var DefaultGossipAddress = net.JoinHostPort("0.0.0.0", strconv.Itoa(discovery.DefaultGossipPort))

// maxLocalityBytes bounds zone and region, which travel in the gossip meta
// (at most discovery.MaxMetaSize bytes with every address).
const maxLocalityBytes = 64

// GossipEnabled reports whether this member runs gossip discovery: when
// gossip.address or gossip.seeds is set.
func (c *Config) GossipEnabled() bool { return c.GossipAddress != "" || len(c.GossipSeeds) > 0 }

// GossipBindAddr is the address the gossip listener binds: gossip.address,
// or DefaultGossipAddress when only gossip.seeds was given.
func (c *Config) GossipBindAddr() string {
	if c.GossipAddress != "" {
		return c.GossipAddress
	}
	return DefaultGossipAddress
}

// GossipNodeName is gossip.name, or "<hostname>-<server id>".
func (c *Config) GossipNodeName() string {
	if c.GossipName != "" {
		return c.GossipName
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "zkmesh"
	}
	return fmt.Sprintf("%s-%d", host, c.ServerID)
}

// GossipTimingProfile returns the discovery timing gossip.timing selects.
func (c *Config) GossipTimingProfile() discovery.Timing {
	if c.GossipTiming == "fast" {
		return discovery.FastTiming()
	}
	return discovery.LANTiming()
}

// AdminEnabled reports whether the admin HTTP server runs: as
// admin.enableServer says when it was given, else exactly when gossip runs
// (its /commands/members is how `zkmesh members` reads the fleet).
func (c *Config) AdminEnabled() bool {
	if c.origin["admin.enableServer"] != "" {
		return c.AdminEnableServer
	}
	return c.GossipEnabled()
}

// AdminAddr returns the admin HTTP server's listen address, host:port.
func (c *Config) AdminAddr() string {
	return net.JoinHostPort(c.AdminServerAddress, strconv.Itoa(c.AdminServerPort))
}

// validateGossip checks the gossip, locality and admin server keys.
func (c *Config) validateGossip(bad func(key string, value any, reason string) error) error {
	if c.GossipAddress != "" {
		host, _, err := net.SplitHostPort(c.GossipAddress)
		if reason := checkHostPort(c.GossipAddress); reason != "" {
			return bad("gossip.address", c.GossipAddress, reason)
		}
		if err != nil || net.ParseIP(host) == nil {
			return bad("gossip.address", c.GossipAddress, "want IP:port with a literal IP address, e.g. 0.0.0.0:7946")
		}
	}
	for _, s := range c.GossipSeeds {
		if reason := checkHostPort(s); reason != "" {
			return bad("gossip.seeds", s, reason)
		}
	}
	if c.GossipKeyFile != "" {
		if _, err := discovery.LoadKey(c.GossipKeyFile); err != nil {
			return bad("gossip.keyFile", c.GossipKeyFile, err.Error())
		}
	}
	if strings.ContainsAny(c.GossipName, " \t\r\n") {
		return bad("gossip.name", c.GossipName, "must not contain whitespace")
	}
	switch c.GossipTiming {
	case "", "lan", "fast":
	default:
		return bad("gossip.timing", c.GossipTiming, "want lan or fast (fast is for tests on loopback)")
	}
	for _, kv := range [][2]string{{"zone", c.Zone}, {"region", c.Region}} {
		if len(kv[1]) > maxLocalityBytes || !utf8.ValidString(kv[1]) {
			return bad(kv[0], kv[1], fmt.Sprintf("want UTF-8 text of at most %d bytes", maxLocalityBytes))
		}
	}
	if c.AdminEnabled() {
		if c.AdminServerAddress == "" {
			return bad("admin.serverAddress", c.AdminServerAddress, "must not be empty")
		}
		if c.AdminServerPort < 0 || c.AdminServerPort > 65535 {
			return bad("admin.serverPort", c.AdminServerPort, "out of range 0-65535")
		}
	}
	return nil
}
