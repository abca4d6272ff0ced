package bench

import (
	"fmt"
	"net"
	"strings"
	"time"
)

// Workload names the operation mix a run sends.
type Workload string

// The workloads. Every one but create works on the key space: KeySpace nodes
// of PayloadBytes each, created before the warmup.
const (
	// WorkloadCreate creates new persistent nodes with PayloadBytes of data,
	// each at a fresh path (the key space is not used).
	WorkloadCreate Workload = "create"
	// WorkloadSet sets PayloadBytes of data on a random key (version -1).
	WorkloadSet Workload = "set"
	// WorkloadGet reads a random key's data.
	WorkloadGet Workload = "get"
	// WorkloadExists asks whether a random key exists.
	WorkloadExists Workload = "exists"
	// WorkloadGetChildren lists a random key's children (ChildrenPerKey of
	// them, created before the warmup).
	WorkloadGetChildren Workload = "getChildren"
	// WorkloadMixed sends gets with probability ReadPercent/100, and sets
	// otherwise, on random keys.
	WorkloadMixed Workload = "mixed"
)

// Workloads lists every workload, in the order help shows them.
var Workloads = []Workload{WorkloadCreate, WorkloadSet, WorkloadGet, WorkloadExists, WorkloadGetChildren, WorkloadMixed}

// ParseWorkload returns the workload named s (case-insensitive).
func ParseWorkload(s string) (Workload, error) {
	for _, w := range Workloads {
		if strings.EqualFold(string(w), s) {
			return w, nil
		}
	}
	return "", fmt.Errorf("%w: Workload %q: want one of %v", ErrBadConfig, s, Workloads)
}

// usesKeySpace reports whether the workload needs the key space filled.
func (w Workload) usesKeySpace() bool { return w != WorkloadCreate }

// Config is one benchmark run. The zero value is not valid; start from
// DefaultConfig.
type Config struct {
	// Servers are the client addresses (host:port) sessions connect to;
	// session i uses Servers[i % len(Servers)]. Nothing else is contacted.
	Servers []string
	// Workload is the operation mix.
	Workload Workload
	// ReadPercent is the share of gets in WorkloadMixed, 0-100.
	ReadPercent int
	// Sessions is the number of client sessions (one TCP connection each).
	Sessions int
	// Depth is the number of requests each session keeps in flight.
	Depth int
	// SetupDepth is the number of requests each session keeps in flight
	// while filling the key space and cleaning up (not measured).
	SetupDepth int
	// PayloadBytes is the data size of created nodes and of sets.
	PayloadBytes int
	// KeySpace is the number of key nodes the read and set workloads pick
	// from uniformly at random.
	KeySpace int
	// ChildrenPerKey is the number of children created under each key for
	// WorkloadGetChildren (ignored by the other workloads).
	ChildrenPerKey int
	// Warmup is sent before the measurement and not counted.
	Warmup time.Duration
	// Duration is the measurement window.
	Duration time.Duration
	// DrainTimeout bounds the wait for replies still in flight when the
	// window closes (and for each setup and cleanup phase's last replies).
	DrainTimeout time.Duration
	// Prefix is the absolute path of the subtree the run creates and then
	// deletes. It must not exist when the run starts.
	Prefix string
	// SessionTimeoutMs is the session timeout asked for in the handshake.
	SessionTimeoutMs int
	// DialTimeout bounds each TCP connect and handshake.
	DialTimeout time.Duration
	// KeepData leaves the subtree in place after the run (for a memory
	// measurement on a server that is thrown away afterwards).
	KeepData bool
	// Seed seeds the key choice; session i uses Seed+i.
	Seed uint64
	// Window, when not nil, is called with true when the measurement
	// window opens and with false when it closes, from a goroutine of Run;
	// it must return quickly. A caller uses it to sample the server (CPU
	// time, memory) over exactly the measured interval.
	Window func(open bool) `json:"-"`
}

// DefaultConfig returns a get workload on 127.0.0.1:2181 with 4 sessions of
// 8 requests in flight, 100-byte payloads, 1000 keys, 2 s warmup and 10 s
// measurement under /zkmesh-bench.
func DefaultConfig() Config {
	return Config{
		Servers:          []string{"127.0.0.1:2181"},
		Workload:         WorkloadGet,
		ReadPercent:      90,
		Sessions:         4,
		Depth:            8,
		SetupDepth:       64,
		PayloadBytes:     100,
		KeySpace:         1000,
		ChildrenPerKey:   10,
		Warmup:           2 * time.Second,
		Duration:         10 * time.Second,
		DrainTimeout:     30 * time.Second,
		Prefix:           "/zkmesh-bench",
		SessionTimeoutMs: 30000,
		DialTimeout:      5 * time.Second,
		Seed:             1,
	}
}

// maxPayloadBytes keeps a request under jute.maxbuffer's default with room
// for the header and path.
const maxPayloadBytes = 1 << 19

// Validate reports the first field that is wrong, naming it.
func (c Config) Validate() error {
	bad := func(field string, v any, why string) error {
		return fmt.Errorf("%w: %s %v: %s", ErrBadConfig, field, v, why)
	}
	if len(c.Servers) == 0 {
		return bad("Servers", c.Servers, "want at least one host:port")
	}
	for _, s := range c.Servers {
		if _, _, err := net.SplitHostPort(s); err != nil {
			return bad("Servers", s, "want host:port")
		}
	}
	if _, err := ParseWorkload(string(c.Workload)); err != nil {
		return err
	}
	switch {
	case c.ReadPercent < 0 || c.ReadPercent > 100:
		return bad("ReadPercent", c.ReadPercent, "want 0-100")
	case c.Sessions < 1 || c.Sessions > 10000:
		return bad("Sessions", c.Sessions, "want 1-10000")
	case c.Depth < 1 || c.Depth > 100000:
		return bad("Depth", c.Depth, "want 1-100000")
	case c.SetupDepth < 1 || c.SetupDepth > 100000:
		return bad("SetupDepth", c.SetupDepth, "want 1-100000")
	case c.PayloadBytes < 0 || c.PayloadBytes > maxPayloadBytes:
		return bad("PayloadBytes", c.PayloadBytes, fmt.Sprintf("want 0-%d", maxPayloadBytes))
	case c.KeySpace < 1 || c.KeySpace > 100_000_000:
		return bad("KeySpace", c.KeySpace, "want 1-100000000")
	case c.ChildrenPerKey < 0 || c.ChildrenPerKey > 10000:
		return bad("ChildrenPerKey", c.ChildrenPerKey, "want 0-10000")
	case c.Warmup < 0:
		return bad("Warmup", c.Warmup, "must not be negative")
	case c.Duration <= 0:
		return bad("Duration", c.Duration, "must be positive")
	case c.DrainTimeout <= 0:
		return bad("DrainTimeout", c.DrainTimeout, "must be positive")
	case c.SessionTimeoutMs <= 0:
		return bad("SessionTimeoutMs", c.SessionTimeoutMs, "must be positive")
	case c.DialTimeout <= 0:
		return bad("DialTimeout", c.DialTimeout, "must be positive")
	}
	if reason := checkPrefix(c.Prefix); reason != "" {
		return bad("Prefix", fmt.Sprintf("%q", c.Prefix), reason)
	}
	return nil
}

// checkPrefix returns why p is not a usable prefix path, or "".
func checkPrefix(p string) string {
	switch {
	case !strings.HasPrefix(p, "/"):
		return "must be an absolute path"
	case p == "/":
		return "must not be the root"
	case strings.HasSuffix(p, "/"):
		return "must not end with /"
	case strings.Contains(p, "//"):
		return "must not contain an empty element"
	case p == "/zookeeper" || strings.HasPrefix(p, "/zookeeper/"):
		return "must not be under /zookeeper"
	}
	for _, el := range strings.Split(p[1:], "/") {
		if el == "." || el == ".." {
			return "must not contain . or .."
		}
	}
	return ""
}
