package discovery

import (
	"fmt"
	"math"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/memberlist"
)

// DefaultGossipPort is the gossip port (UDP and TCP) used when an address
// has none: memberlist's customary 7946.
const DefaultGossipPort = 7946

// Config configures one gossip member. Build it with DefaultConfig, change
// what you need, and New validates it.
type Config struct {
	// NodeName is this member's gossip name, unique in the fleet and stable
	// across restarts (a restarted member with the same name and address
	// takes its old place). No whitespace. Default: the hostname.
	NodeName string
	// BindAddr is the IP:port the gossip listener binds, UDP and TCP
	// (--gossip-addr, zoo.cfg gossip.address). Port 0 picks a free port.
	BindAddr string
	// AdvertiseAddr is the IP:port other members use to reach this one.
	// Empty: derived from BindAddr (memberlist picks a private interface
	// address when BindAddr is 0.0.0.0).
	AdvertiseAddr string
	// Seeds are host[:port] addresses Join contacts when given none. The
	// member's own address may be listed: it is skipped.
	Seeds []string
	// KeyFile names a file holding the shared gossip key: 16, 24 or 32 raw
	// bytes (AES-128/192/256) or their base64. Empty: gossip is not
	// encrypted. Every member of a fleet must use the same key.
	KeyFile string
	// Timing is the failure detector's and gossip's pacing.
	Timing Timing
	// MetaUpdateInterval is the least time between two broadcasts of this
	// member's Meta caused by UpdateMeta; updates in between are coalesced
	// and the newest is sent when the interval has passed.
	MetaUpdateInterval time.Duration
	// EventQueue bounds the events waiting for the consumer of Events; when
	// full the oldest is dropped and counted in Stats.DroppedEvents.
	EventQueue int
	// Meta is what this member advertises at start.
	Meta Meta
}

// Timing paces memberlist. LANTiming is memberlist's own LAN profile;
// FastTiming is for tests on loopback.
type Timing struct {
	// ProbeInterval is the time between probes of a random member.
	ProbeInterval time.Duration
	// ProbeTimeout is how long a direct probe waits for an ack (about the
	// 99th percentile RTT) before indirect probes are tried.
	ProbeTimeout time.Duration
	// SuspicionMult scales how long a member stays suspect before it is
	// declared dead: SuspicionMult * max(1, log10(N)) * ProbeInterval.
	SuspicionMult int
	// SuspicionMaxTimeoutMult scales the upper bound of the suspicion
	// timeout when no other member confirms the suspicion.
	SuspicionMaxTimeoutMult int
	// GossipInterval is the time between gossip rounds (broadcast delivery).
	GossipInterval time.Duration
	// PushPullInterval is the time between full state syncs over TCP.
	PushPullInterval time.Duration
	// StreamTimeout bounds TCP connects, reads and writes (join, push/pull).
	StreamTimeout time.Duration
	// GossipToTheDead is how long a dead member is still gossiped to (to let
	// it refute) and kept in the table before it is forgotten.
	GossipToTheDead time.Duration
	// AwarenessMaxMultiplier bounds how far a member that sees itself
	// degraded stretches its ProbeInterval; 1 disables stretching.
	AwarenessMaxMultiplier int
}

// LANTiming returns memberlist's DefaultLANConfig pacing.
func LANTiming() Timing {
	c := memberlist.DefaultLANConfig()
	return Timing{
		ProbeInterval:           c.ProbeInterval,
		ProbeTimeout:            c.ProbeTimeout,
		SuspicionMult:           c.SuspicionMult,
		SuspicionMaxTimeoutMult: c.SuspicionMaxTimeoutMult,
		GossipInterval:          c.GossipInterval,
		PushPullInterval:        c.PushPullInterval,
		StreamTimeout:           c.TCPTimeout,
		GossipToTheDead:         c.GossipToTheDeadTime,
		AwarenessMaxMultiplier:  c.AwarenessMaxMultiplier,
	}
}

// FastTiming returns a profile for tests on loopback: a dead member is
// detected in a few seconds instead of tens. It stays tolerant enough of a
// loaded machine (slow scheduling, the race detector) not to flap.
func FastTiming() Timing {
	return Timing{
		ProbeInterval:           500 * time.Millisecond,
		ProbeTimeout:            250 * time.Millisecond,
		SuspicionMult:           4,
		SuspicionMaxTimeoutMult: 3,
		GossipInterval:          50 * time.Millisecond,
		PushPullInterval:        5 * time.Second,
		StreamTimeout:           2 * time.Second,
		GossipToTheDead:         15 * time.Second,
		AwarenessMaxMultiplier:  8,
	}
}

// SuspicionTimeout is how long a member of a fleet of n stays suspect before
// it is declared dead when enough others confirm the suspicion; memberlist's
// formula SuspicionMult * max(1, log10(n)) * ProbeInterval.
func (t Timing) SuspicionTimeout(n int) time.Duration {
	scale := math.Max(1, math.Log10(math.Max(1, float64(n))))
	return time.Duration(t.SuspicionMult) * time.Duration(scale*1000) * t.ProbeInterval / 1000
}

// DeadDetectionMin is the shortest time, in a fleet of n, from a member's
// failure to its being declared dead: it is probed at once, the probe fails
// after one ProbeInterval, and the suspicion is confirmed at once.
func (t Timing) DeadDetectionMin(n int) time.Duration {
	return t.ProbeInterval + t.SuspicionTimeout(n)
}

// DeadDetectionBound is the longest time, in a fleet of n, from a member's
// failure until every other member has it dead, assuming no probe interval
// is stretched by awareness (a member that finds itself slow probes up to
// AwarenessMaxMultiplier times less often): the failed member is probed within n-1
// intervals (every prober walks all members round robin), the probe takes
// one interval, the suspicion lasts at most SuspicionMaxTimeoutMult times
// the timeout, and the verdict spreads in a few gossip rounds.
func (t Timing) DeadDetectionBound(n int) time.Duration {
	if n < 2 {
		n = 2
	}
	probe := time.Duration(n) * t.ProbeInterval
	suspect := time.Duration(t.SuspicionMaxTimeoutMult) * t.SuspicionTimeout(n)
	return probe + suspect + 10*t.GossipInterval
}

// DefaultConfig returns a Config for production: gossip on 0.0.0.0:7946,
// LAN timing, meta broadcasts at most once a second, an observer Meta.
func DefaultConfig() Config {
	host, _ := os.Hostname()
	return Config{
		NodeName:           host,
		BindAddr:           net.JoinHostPort("0.0.0.0", strconv.Itoa(DefaultGossipPort)),
		Timing:             LANTiming(),
		MetaUpdateInterval: time.Second,
		EventQueue:         1024,
		Meta:               Meta{Role: RoleObserver},
	}
}

// Validate reports the first invalid field, wrapping ErrInvalidConfig.
func (c Config) Validate() error {
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrInvalidConfig, field, fmt.Sprintf(format, args...))
	}
	if c.NodeName == "" {
		return bad("NodeName", "empty")
	}
	if strings.ContainsAny(c.NodeName, " \t\r\n") {
		return bad("NodeName", "%q contains whitespace", c.NodeName)
	}
	if _, _, err := splitIPPort(c.BindAddr); err != nil {
		return bad("BindAddr", "%v", err)
	}
	if c.AdvertiseAddr != "" {
		if _, _, err := splitIPPort(c.AdvertiseAddr); err != nil {
			return bad("AdvertiseAddr", "%v", err)
		}
	}
	for i, s := range c.Seeds {
		if strings.TrimSpace(s) == "" {
			return bad(fmt.Sprintf("Seeds[%d]", i), "empty")
		}
	}
	t := c.Timing
	switch {
	case t.ProbeInterval <= 0:
		return bad("Timing.ProbeInterval", "%v, want > 0", t.ProbeInterval)
	case t.ProbeTimeout <= 0 || t.ProbeTimeout > t.ProbeInterval:
		return bad("Timing.ProbeTimeout", "%v, want > 0 and <= ProbeInterval %v", t.ProbeTimeout, t.ProbeInterval)
	case t.SuspicionMult < 1:
		return bad("Timing.SuspicionMult", "%d, want >= 1", t.SuspicionMult)
	case t.SuspicionMaxTimeoutMult < 1:
		return bad("Timing.SuspicionMaxTimeoutMult", "%d, want >= 1", t.SuspicionMaxTimeoutMult)
	case t.GossipInterval <= 0:
		return bad("Timing.GossipInterval", "%v, want > 0", t.GossipInterval)
	case t.PushPullInterval < 0:
		return bad("Timing.PushPullInterval", "%v, want >= 0 (0 disables)", t.PushPullInterval)
	case t.StreamTimeout <= 0:
		return bad("Timing.StreamTimeout", "%v, want > 0", t.StreamTimeout)
	case t.GossipToTheDead <= 0:
		return bad("Timing.GossipToTheDead", "%v, want > 0", t.GossipToTheDead)
	case t.AwarenessMaxMultiplier < 1:
		return bad("Timing.AwarenessMaxMultiplier", "%d, want >= 1", t.AwarenessMaxMultiplier)
	}
	if c.MetaUpdateInterval <= 0 {
		return bad("MetaUpdateInterval", "%v, want > 0", c.MetaUpdateInterval)
	}
	if c.EventQueue < 1 {
		return bad("EventQueue", "%d, want >= 1", c.EventQueue)
	}
	if _, err := EncodeMeta(c.Meta); err != nil {
		return bad("Meta", "%v", err)
	}
	return nil
}

// splitIPPort splits "IP:port" where IP is a literal address.
func splitIPPort(addr string) (net.IP, int, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, 0, err
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return nil, 0, fmt.Errorf("%q is not an IP address", host)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 0 || port > 65535 {
		return nil, 0, fmt.Errorf("bad port %q", portStr)
	}
	return ip, port, nil
}
