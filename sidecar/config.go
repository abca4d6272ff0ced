package sidecar

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/zkmesh/zkmesh/zab"
)

// Configuration errors. Every error from ParseZooCfg, LoadZooCfg, Set,
// ReadMyID and Validate is a *ConfigError wrapping one of these.
var (
	// ErrInvalidConfig: a key has a malformed or out-of-range value, or
	// values contradict each other.
	ErrInvalidConfig = errors.New("sidecar: invalid configuration")
	// ErrUnsupportedConfig: a ZooKeeper key zkmesh deliberately does not
	// implement (TLS client port, dynamic config file, hierarchical quorums).
	ErrUnsupportedConfig = errors.New("sidecar: unsupported configuration")
)

// ConfigError names the zoo.cfg key at fault, the value it had and where
// that value came from ("zoo.cfg:12", "flag --data-dir", "default").
type ConfigError struct {
	Key    string
	Value  string
	Origin string
	Reason string
	Err    error // ErrInvalidConfig or ErrUnsupportedConfig
}

// Error formats the error as `sidecar: invalid configuration: zoo.cfg:3:
// tickTime="2s": not an integer`.
func (e *ConfigError) Error() string {
	where := ""
	if e.Origin != "" {
		where = e.Origin + ": "
	}
	return fmt.Sprintf("%v: %s%s=%q: %s", e.Err, where, e.Key, e.Value, e.Reason)
}

// Unwrap returns the sentinel (ErrInvalidConfig or ErrUnsupportedConfig).
func (e *ConfigError) Unwrap() error { return e.Err }

// PeerType is the role a member plays in the ensemble. The values are
// ZooKeeper's LearnerType ordinals, which the conf four-letter word prints.
type PeerType int

const (
	// PeerParticipant votes in elections and on proposals.
	PeerParticipant PeerType = 0
	// PeerObserver replicates the tree and serves clients without voting.
	PeerObserver PeerType = 1
)

// String returns "participant" or "observer", as in zoo.cfg.
func (p PeerType) String() string {
	if p == PeerObserver {
		return "observer"
	}
	return "participant"
}

// ServerSpec is one `server.N=host:peerPort:electionPort[:role][;[clientHost:]clientPort]`
// line of zoo.cfg.
type ServerSpec struct {
	ID           zab.ServerID
	Host         string // peer host (name or IP, no brackets)
	PeerPort     int    // port followers and observers connect to the leader on
	ElectionPort int    // port of leader election
	Role         PeerType
	// ClientHost and ClientPort are the optional client address after ';'.
	// ClientPort is 0 when the line has none; ClientHost is "0.0.0.0" when
	// only a port was given (as ZooKeeper reads it).
	ClientHost string
	ClientPort int
}

// PeerAddr returns host:peerPort.
func (s ServerSpec) PeerAddr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.PeerPort)) }

// ElectionAddr returns host:electionPort.
func (s ServerSpec) ElectionAddr() string {
	return net.JoinHostPort(s.Host, strconv.Itoa(s.ElectionPort))
}

// String formats s as ZooKeeper prints its membership (conf, the dynamic
// config): `server.3=127.0.0.1:2888:3888:participant;0.0.0.0:2181`.
func (s ServerSpec) String() string {
	host := s.Host
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	out := fmt.Sprintf("server.%d=%s:%d:%d:%s", s.ID, host, s.PeerPort, s.ElectionPort, s.Role)
	if s.ClientPort != 0 {
		out += ";" + net.JoinHostPort(s.ClientHost, strconv.Itoa(s.ClientPort))
	}
	return out
}

// Config is the whole configuration of one zkmesh member. Field names carry
// units; each field's comment names the zoo.cfg key it is read from and its
// default (DefaultConfig). Fields are plain data: a Config may be copied,
// and is read-only once handed to New.
type Config struct {
	// DataDir holds snapshots and myid. zoo.cfg: dataDir. Default "./zkmesh-data".
	DataDir string
	// DataLogDir holds the txn log. zoo.cfg: dataLogDir. Default "": same as DataDir.
	DataLogDir string
	// ClientPortAddress is the address the ZooKeeper client port listens on.
	// zoo.cfg: clientPortAddress. Default "127.0.0.1".
	ClientPortAddress string
	// ClientPort is the ZooKeeper client port. zoo.cfg: clientPort. Default
	// 2181; 0 lets the system pick a free port (used by tests).
	ClientPort int
	// ClientPortListenBacklog is the listen backlog; -1 is the system
	// default. zoo.cfg: clientPortListenBacklog. Default -1.
	ClientPortListenBacklog int
	// TickTimeMs is the length of one tick, the unit of the other timeouts.
	// zoo.cfg: tickTime. Default 2000.
	TickTimeMs int
	// InitLimitTicks bounds, in ticks, how long a learner may take to
	// connect to and sync with the leader. zoo.cfg: initLimit. Default 10.
	InitLimitTicks int
	// SyncLimitTicks bounds, in ticks, how far a learner may fall behind
	// the leader before it is dropped. zoo.cfg: syncLimit. Default 5.
	SyncLimitTicks int
	// MinSessionTimeoutMs is the smallest session timeout granted; -1 means
	// 2 × TickTimeMs. zoo.cfg: minSessionTimeout. Default -1.
	// Use SessionTimeoutBoundsMs for the effective value.
	MinSessionTimeoutMs int
	// MaxSessionTimeoutMs is the largest session timeout granted; -1 means
	// 20 × TickTimeMs. zoo.cfg: maxSessionTimeout. Default -1.
	MaxSessionTimeoutMs int
	// MaxClientCnxnsPerIP limits concurrent client connections from one IP;
	// 0 is unlimited. zoo.cfg: maxClientCnxns. Default 60.
	MaxClientCnxnsPerIP int
	// GlobalOutstandingLimit is the number of requests in flight beyond
	// which the server stops reading from clients. zoo.cfg:
	// globalOutstandingLimit. Default 1000.
	GlobalOutstandingLimit int
	// JuteMaxBufferBytes is the largest request or znode payload accepted.
	// zoo.cfg: jute.maxbuffer. Default 0xfffff.
	JuteMaxBufferBytes int
	// FourLetterWhitelist lists the enabled four-letter words; "*" enables
	// all. srvr is always enabled (as in ZooKeeper, whose scripts need it).
	// zoo.cfg: 4lw.commands.whitelist. Default: none besides srvr.
	FourLetterWhitelist []string
	// SnapCountTxns is the number of txns logged between snapshots.
	// zoo.cfg: snapCount. Default 100000.
	SnapCountTxns int
	// AutopurgeSnapRetainCount is how many snapshots (and their logs) purge
	// keeps; at least 3. zoo.cfg: autopurge.snapRetainCount. Default 3.
	AutopurgeSnapRetainCount int
	// AutopurgePurgeIntervalHours is the purge period; 0 disables purging.
	// zoo.cfg: autopurge.purgeInterval. Default 0.
	AutopurgePurgeIntervalHours int
	// ReconfigEnabled allows the reconfig operation. zoo.cfg:
	// reconfigEnabled. Default false.
	ReconfigEnabled bool
	// StandaloneEnabled lets an ensemble of one run standalone. zoo.cfg:
	// standaloneEnabled. Default true.
	StandaloneEnabled bool
	// Servers are the server.N lines, sorted by ID. Empty: standalone.
	// Invariant (after Validate): IDs are unique and at least one is a
	// participant.
	Servers []ServerSpec
	// PeerType is the role this member asked for with peerType; the role in
	// its own server.N line wins (see Role). zoo.cfg: peerType. Default
	// participant.
	PeerType PeerType
	// ServerID is this member's id, read from DataDir/myid when there are
	// server lines (0 until ReadMyID finds the file). Default 1, and always
	// 1 when there are no server lines.
	ServerID zab.ServerID
	// XDSAddress is where the xDS (ADS) gRPC server listens. zoo.cfg:
	// xds.address. Default "127.0.0.1:18000".
	XDSAddress string
	// XDSLocalZone is the zone Envoy on this host is in, for zone-aware
	// load balancing; "" means Zone. zoo.cfg: xds.localZone. Default "".
	XDSLocalZone string
	// XDSCoalesceDelayMs is how long the xDS server waits after a change
	// before publishing, so that a burst of registrations is pushed once.
	// zoo.cfg: xds.coalesceDelayMs, 0 to 10000. Default 10.
	XDSCoalesceDelayMs int
	// GossipAddress is the memberlist bind address; "" disables gossip.
	// zoo.cfg: gossip.address. Default "".
	GossipAddress string
	// GossipSeeds are host:port addresses of members to join through.
	// zoo.cfg: gossip.seeds (comma separated). Default none.
	GossipSeeds []string
	// GossipKeyFile names the file holding the shared gossip encryption key
	// (16, 24 or 32 raw bytes or their base64, see discovery.LoadKey); ""
	// leaves gossip unencrypted. zoo.cfg: gossip.keyFile. Default "".
	GossipKeyFile string
	// GossipName is this member's gossip node name, unique in the fleet and
	// stable across restarts; "" means "<hostname>-<server id>".
	// zoo.cfg: gossip.name. Default "".
	GossipName string
	// GossipTiming selects the failure detector's pacing: "" or "lan"
	// (memberlist's LAN profile, a dead member is noticed in seconds to tens
	// of seconds) or "fast" (discovery.FastTiming, for tests on loopback).
	// zoo.cfg: gossip.timing. Default "".
	GossipTiming string
	// BootstrapExpect is the number of voter candidates that form the first
	// voters through gossip, for a member with no server lines (see
	// Bootstrapping). zoo.cfg: bootstrap.expect. Default 0: off.
	BootstrapExpect int
	// JoinPeerAddress and JoinElectionAddress are the peer and election
	// addresses (host:port) a member that joins through gossip, with no
	// server lines, advertises for its server line. zoo.cfg:
	// join.peerAddress, join.electionAddress. Default: the host gossip
	// advertises, ports 2888 and 3888.
	JoinPeerAddress     string
	JoinElectionAddress string
	// Zone is the failure zone of this host, announced over gossip.
	// zoo.cfg: zone. Default "".
	Zone string
	// Region is the region of this host, announced over gossip.
	// zoo.cfg: region. Default "".
	Region string
	// AdminEnableServer turns the admin HTTP server on or off. When
	// admin.enableServer is not given, the server runs exactly when gossip
	// does (see AdminEnabled). zoo.cfg: admin.enableServer. Default false.
	AdminEnableServer bool
	// AdminServerAddress is the admin HTTP server's listen host.
	// zoo.cfg: admin.serverAddress. Default "127.0.0.1".
	AdminServerAddress string
	// AdminServerPort is the admin HTTP server's port; 0 lets the system
	// pick one. zoo.cfg: admin.serverPort. Default 8080.
	AdminServerPort int
	// LogFormat is "json", "console", or "" to choose console on a
	// terminal and JSON otherwise. zoo.cfg: log.format. Default "".
	LogFormat string
	// LogLevel is a zerolog level name. zoo.cfg: log.level. Default "info".
	LogLevel string
	// System holds every other key as a ZooKeeper system property named
	// `zookeeper.<key>` (keys already starting with `zookeeper.` are kept as
	// they are), as ZooKeeper does with unknown zoo.cfg keys.
	System map[string]string
	// Warnings are notes about accepted but ignored keys, for the caller to
	// log at startup.
	Warnings []string

	// origin maps a key to where its value came from, for error messages.
	origin map[string]string
	// clientAddrSet records that clientPort or clientPortAddress was given
	// explicitly (a server.N client address then must agree with it).
	clientAddrSet bool
}

// Names of system properties with typed accessors.
const (
	sysSuperDigest   = "zookeeper.DigestAuthenticationProvider.superDigest"
	sysExtendedTypes = "zookeeper.extendedTypesEnabled"
	sysSkipACL       = "zookeeper.skipACL"
	// sysContainerCheckMs is looked up with SystemSetting, so both
	// znode.container.checkIntervalMs and its zookeeper. form work.
	sysContainerCheckMs = "znode.container.checkIntervalMs"
)

// DefaultConfig returns the configuration of `zkmesh run` with no file and
// no flags: a standalone server 1 on 127.0.0.1:2181 with data in
// ./zkmesh-data.
func DefaultConfig() *Config {
	return &Config{
		DataDir:                  "./zkmesh-data",
		ClientPortAddress:        "127.0.0.1",
		ClientPort:               2181,
		ClientPortListenBacklog:  -1,
		TickTimeMs:               2000,
		InitLimitTicks:           10,
		SyncLimitTicks:           5,
		MinSessionTimeoutMs:      -1,
		MaxSessionTimeoutMs:      -1,
		MaxClientCnxnsPerIP:      60,
		GlobalOutstandingLimit:   1000,
		JuteMaxBufferBytes:       0xfffff,
		SnapCountTxns:            100000,
		AutopurgeSnapRetainCount: 3,
		StandaloneEnabled:        true,
		ServerID:                 1,
		XDSAddress:               "127.0.0.1:18000",
		XDSCoalesceDelayMs:       10,
		AdminServerAddress:       "127.0.0.1",
		AdminServerPort:          8080,
		LogLevel:                 "info",
		System:                   map[string]string{},
		origin:                   map[string]string{},
	}
}

// Override is one key=value applied over zoo.cfg, as Set does; Origin
// names where it came from for error messages ("flag --data-dir").
type Override struct{ Key, Value, Origin string }

// LoadZooCfg reads the zoo.cfg at path (relative dataDir and dataLogDir are
// taken relative to the file's directory), applies overrides in order
// (relative paths in them stay relative to the working directory), reads
// myid and validates the result. An empty path starts from DefaultConfig.
// Errors name path and line.
func LoadZooCfg(path string, overrides ...Override) (*Config, error) {
	c := DefaultConfig()
	if path != "" {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("sidecar: open config: %w", err)
		}
		defer f.Close()
		if c, err = parseZooCfg(f, filepath.Dir(path), path); err != nil {
			return nil, err
		}
	}
	for _, o := range overrides {
		if err := c.Set(o.Key, o.Value, o.Origin); err != nil {
			return nil, err
		}
	}
	if len(c.Servers) > 0 && c.origin["myid"] == "" {
		c.ServerID = 0
	}
	if err := c.ReadMyID(); err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// ParseZooCfg reads a zoo.cfg (Java properties syntax) over DefaultConfig.
// Relative dataDir and dataLogDir are joined to baseDir when baseDir is not
// empty. It reads DataDir/myid when present; it does not call Validate, so
// that a caller can apply overrides (Set) first, then ReadMyID and Validate.
func ParseZooCfg(r io.Reader, baseDir string) (*Config, error) {
	c, err := parseZooCfg(r, baseDir, "zoo.cfg")
	if err != nil {
		return nil, err
	}
	if err := c.ReadMyID(); err != nil {
		return nil, err
	}
	return c, nil
}

func parseZooCfg(r io.Reader, baseDir, name string) (*Config, error) {
	c := DefaultConfig()
	props, err := readProperties(r)
	if err != nil {
		return nil, fmt.Errorf("sidecar: read %s: %w", name, err)
	}
	for _, p := range props {
		origin := fmt.Sprintf("%s:%d", name, p.line)
		if err := c.Set(p.key, p.value, origin); err != nil {
			return nil, err
		}
	}
	if baseDir != "" {
		if c.DataDir != "" && !filepath.IsAbs(c.DataDir) && c.origin["dataDir"] != "" {
			c.DataDir = filepath.Join(baseDir, c.DataDir)
		}
		if c.DataLogDir != "" && !filepath.IsAbs(c.DataLogDir) {
			c.DataLogDir = filepath.Join(baseDir, c.DataLogDir)
		}
	}
	if len(c.Servers) > 0 {
		c.ServerID = 0 // unknown until ReadMyID finds myid
	}
	return c, nil
}

// Set applies one zoo.cfg key=value, as if read from origin (a file
// position or a flag name, used in error messages). Later calls override
// earlier ones. Keys zkmesh does not know are kept in System.
func (c *Config) Set(key, value, origin string) error {
	if c.System == nil {
		c.System = map[string]string{}
	}
	if c.origin == nil {
		c.origin = map[string]string{}
	}
	value = strings.TrimSpace(value)
	bad := func(reason string) error {
		return &ConfigError{Key: key, Value: value, Origin: origin, Reason: reason, Err: ErrInvalidConfig}
	}
	unsupported := func(reason string) error {
		return &ConfigError{Key: key, Value: value, Origin: origin, Reason: reason, Err: ErrUnsupportedConfig}
	}
	integer := func(dst *int) error {
		n, err := strconv.Atoi(value)
		if err != nil {
			return bad("not an integer")
		}
		*dst = n
		return nil
	}
	boolean := func(dst *bool) error {
		switch strings.ToLower(value) {
		case "true":
			*dst = true
		case "false":
			*dst = false
		default:
			return bad("want true or false")
		}
		return nil
	}
	c.origin[key] = origin

	// Keys that ZooKeeper itself reads as system properties are accepted
	// with or without the "zookeeper." prefix.
	sysKey := key
	if !strings.HasPrefix(sysKey, "zookeeper.") {
		sysKey = "zookeeper." + key
	}

	switch {
	case key == "dataDir":
		if value == "" {
			return bad("must not be empty")
		}
		c.DataDir = value
	case key == "dataLogDir":
		c.DataLogDir = value
	case key == "clientPort":
		if err := integer(&c.ClientPort); err != nil {
			return err
		}
		c.clientAddrSet = true
	case key == "clientPortAddress":
		if value == "" {
			return bad("must not be empty")
		}
		c.ClientPortAddress = value
		c.clientAddrSet = true
	case key == "clientPortListenBacklog":
		return integer(&c.ClientPortListenBacklog)
	case key == "secureClientPort", key == "secureClientPortAddress":
		return unsupported("TLS client connections are not supported by zkmesh; remove this key")
	case key == "dynamicConfigFile":
		return unsupported("dynamic config files are not supported; put the server.N lines in zoo.cfg")
	case strings.HasPrefix(key, "group."), strings.HasPrefix(key, "weight."):
		return unsupported("hierarchical quorums are not supported")
	case key == "tickTime":
		return integer(&c.TickTimeMs)
	case key == "initLimit":
		return integer(&c.InitLimitTicks)
	case key == "syncLimit":
		return integer(&c.SyncLimitTicks)
	case key == "minSessionTimeout":
		return integer(&c.MinSessionTimeoutMs)
	case key == "maxSessionTimeout":
		return integer(&c.MaxSessionTimeoutMs)
	case key == "maxClientCnxns":
		return integer(&c.MaxClientCnxnsPerIP)
	case key == "electionAlg":
		if value != "3" {
			return unsupported("only electionAlg=3 (fast leader election) exists")
		}
	case key == "reconfigEnabled":
		return boolean(&c.ReconfigEnabled)
	case key == "standaloneEnabled":
		return boolean(&c.StandaloneEnabled)
	case key == "peerType":
		switch strings.ToLower(value) {
		case "participant":
			c.PeerType = PeerParticipant
		case "observer":
			c.PeerType = PeerObserver
		default:
			return bad("want participant or observer")
		}
	case strings.HasPrefix(key, "server."):
		s, reason := parseServerLine(strings.TrimPrefix(key, "server."), value)
		if reason != "" {
			return bad(reason)
		}
		for i := range c.Servers {
			if c.Servers[i].ID == s.ID {
				c.Servers[i] = s // a later line for the same id wins, like a properties file
				return nil
			}
		}
		c.Servers = append(c.Servers, s)
		sort.Slice(c.Servers, func(i, j int) bool { return c.Servers[i].ID < c.Servers[j].ID })
	case key == "autopurge.snapRetainCount":
		if err := integer(&c.AutopurgeSnapRetainCount); err != nil {
			return err
		}
		if c.AutopurgeSnapRetainCount < 3 {
			c.Warnings = append(c.Warnings, fmt.Sprintf("%s: autopurge.snapRetainCount=%d raised to the minimum, 3", origin, c.AutopurgeSnapRetainCount))
			c.AutopurgeSnapRetainCount = 3
		}
	case key == "autopurge.purgeInterval":
		return integer(&c.AutopurgePurgeIntervalHours)
	case key == "admin.enableServer":
		return boolean(&c.AdminEnableServer)
	case key == "admin.serverAddress":
		c.AdminServerAddress = value
	case key == "admin.serverPort":
		return integer(&c.AdminServerPort)
	case strings.HasPrefix(key, "admin."), strings.HasPrefix(key, "metricsProvider."),
		key == "localSessionsEnabled", key == "localSessionsUpgradingEnabled",
		key == "quorumListenOnAllIPs", key == "syncEnabled", key == "electionPortBindRetry",
		key == "observerMasterPort", key == "connectToLearnerMasterLimit",
		key == "multiAddress.enabled", key == "multiAddress.reachabilityCheckEnabled",
		key == "multiAddress.reachabilityCheckTimeoutMs", key == "maxCnxns":
		c.Warnings = append(c.Warnings, fmt.Sprintf("%s: %s is accepted and ignored by zkmesh", origin, key))
	case key == "xds.address":
		c.XDSAddress = value
	case key == "xds.localZone":
		c.XDSLocalZone = value
	case key == "xds.coalesceDelayMs":
		return integer(&c.XDSCoalesceDelayMs)
	case key == "gossip.address":
		c.GossipAddress = value
	case key == "gossip.seeds":
		c.GossipSeeds = splitList(value)
	case key == "gossip.keyFile":
		c.GossipKeyFile = value
	case key == "gossip.name":
		c.GossipName = value
	case key == "gossip.timing":
		c.GossipTiming = value
	case key == "bootstrap.expect":
		return integer(&c.BootstrapExpect)
	case key == "join.peerAddress":
		c.JoinPeerAddress = value
	case key == "join.electionAddress":
		c.JoinElectionAddress = value
	case key == "zone":
		c.Zone = value
	case key == "region":
		c.Region = value
	case key == "log.format":
		c.LogFormat = value
	case key == "log.level":
		c.LogLevel = value

	// System properties with typed fields: kept in System too.
	case sysKey == "zookeeper.globalOutstandingLimit":
		c.System[sysKey] = value
		return integer(&c.GlobalOutstandingLimit)
	case sysKey == "zookeeper.jute.maxbuffer":
		c.System[sysKey] = value
		n, err := strconv.ParseInt(value, 0, 64) // ZooKeeper users write 0x... too
		if err != nil || n > 1<<31-1 {
			return bad("not an integer")
		}
		c.JuteMaxBufferBytes = int(n)
	case sysKey == "zookeeper.snapCount":
		c.System[sysKey] = value
		return integer(&c.SnapCountTxns)
	case sysKey == "zookeeper.4lw.commands.whitelist":
		c.System[sysKey] = value
		c.FourLetterWhitelist = nil
		for _, w := range strings.Split(value, ",") {
			w = strings.TrimSpace(w)
			if w == "" {
				continue
			}
			if w == "*" {
				c.FourLetterWhitelist = []string{"*"}
				break
			}
			if _, known := fourLetterWords[w]; !known {
				c.Warnings = append(c.Warnings, fmt.Sprintf("%s: 4lw.commands.whitelist: zkmesh does not implement %q", origin, w))
				continue
			}
			c.FourLetterWhitelist = append(c.FourLetterWhitelist, w)
		}
	default:
		c.System[sysKey] = value
	}
	return nil
}

// parseServerLine parses the value of server.<id>; it returns a reason
// when malformed.
func parseServerLine(idText, value string) (ServerSpec, string) {
	var s ServerSpec
	id, err := strconv.ParseUint(idText, 10, 64)
	if err != nil || id == 0 {
		return s, fmt.Sprintf("server id %q is not a positive integer", idText)
	}
	s.ID = zab.ServerID(id)
	addr, client, hasClient := strings.Cut(value, ";")
	if strings.Contains(addr, "|") {
		return s, "multiple addresses per server are not supported"
	}
	host, rest, reason := splitHost(addr)
	if reason != "" {
		return s, reason
	}
	s.Host = host
	parts := strings.Split(rest, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return s, "want host:peerPort:electionPort[:participant|:observer][;[clientHost:]clientPort]"
	}
	if s.PeerPort, reason = parsePort(parts[0], "peer port"); reason != "" {
		return s, reason
	}
	if s.ElectionPort, reason = parsePort(parts[1], "election port"); reason != "" {
		return s, reason
	}
	if len(parts) == 3 {
		switch strings.ToLower(parts[2]) {
		case "participant":
			s.Role = PeerParticipant
		case "observer":
			s.Role = PeerObserver
		default:
			return s, fmt.Sprintf("role %q: want participant or observer", parts[2])
		}
	}
	if hasClient {
		client = strings.TrimSpace(client)
		chost, cport := "0.0.0.0", client
		if i := strings.LastIndex(client, ":"); i >= 0 {
			h, p, err := net.SplitHostPort(client)
			if err != nil {
				return s, fmt.Sprintf("client address %q: %v", client, err)
			}
			chost, cport = h, p
		}
		if s.ClientPort, reason = parsePort(cport, "client port"); reason != "" {
			return s, reason
		}
		s.ClientHost = chost
	}
	return s, ""
}

// splitHost splits "host:rest" or "[v6]:rest".
func splitHost(addr string) (host, rest, reason string) {
	addr = strings.TrimSpace(addr)
	if strings.HasPrefix(addr, "[") {
		end := strings.Index(addr, "]")
		if end < 0 || end+1 >= len(addr) || addr[end+1] != ':' {
			return "", "", fmt.Sprintf("address %q: unterminated [IPv6] host", addr)
		}
		return addr[1:end], addr[end+2:], ""
	}
	host, rest, ok := strings.Cut(addr, ":")
	if !ok || host == "" {
		return "", "", fmt.Sprintf("address %q: want host:peerPort:electionPort", addr)
	}
	return host, rest, ""
}

func parsePort(text, what string) (int, string) {
	n, err := strconv.Atoi(strings.TrimSpace(text))
	if err != nil {
		return 0, fmt.Sprintf("%s %q is not an integer", what, text)
	}
	if n < 1 || n > 65535 {
		return 0, fmt.Sprintf("%s %d is out of range 1-65535", what, n)
	}
	return n, ""
}

// MyIDPath returns DataDir/myid.
func (c *Config) MyIDPath() string { return filepath.Join(c.DataDir, "myid") }

// ReadMyID reads ServerID from DataDir/myid when there are server lines
// and the file exists; a missing file leaves ServerID as it is (Validate
// reports it). Like ZooKeeper, a standalone server ignores myid (Debian
// ships one holding placeholder text). ReadMyID then takes the client
// address from this member's server line when zoo.cfg gave none.
func (c *Config) ReadMyID() error {
	if len(c.Servers) == 0 {
		return nil
	}
	b, err := os.ReadFile(c.MyIDPath())
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return &ConfigError{Key: "myid", Value: c.MyIDPath(), Origin: "dataDir", Reason: err.Error(), Err: ErrInvalidConfig}
	default:
		text := strings.TrimSpace(string(b))
		id, perr := strconv.ParseUint(text, 10, 64)
		if perr != nil || id == 0 {
			return &ConfigError{Key: "myid", Value: text, Origin: c.MyIDPath(), Reason: "not a positive integer", Err: ErrInvalidConfig}
		}
		c.ServerID = zab.ServerID(id)
		c.setOrigin("myid", c.MyIDPath())
	}
	self, ok := c.Self()
	if ok && self.ClientPort != 0 && !c.clientAddrSet {
		c.ClientPortAddress, c.ClientPort = self.ClientHost, self.ClientPort
	}
	if ok && c.origin["peerType"] != "" && c.PeerType != self.Role {
		c.Warnings = append(c.Warnings, fmt.Sprintf("%s: peerType=%s differs from the role in server.%d (%s); the server line wins",
			c.origin["peerType"], c.PeerType, self.ID, self.Role))
	}
	return nil
}

func (c *Config) setOrigin(key, origin string) {
	if c.origin == nil {
		c.origin = map[string]string{}
	}
	c.origin[key] = origin
}

// Self returns this member's server line, if any.
func (c *Config) Self() (ServerSpec, bool) {
	for _, s := range c.Servers {
		if s.ID == c.ServerID {
			return s, true
		}
	}
	return ServerSpec{}, false
}

// Standalone reports whether this member runs without an ensemble: no
// server lines, or a single one with standaloneEnabled=true.
func (c *Config) Standalone() bool {
	if c.Joining() || c.Bootstrapping() {
		return false
	}
	return len(c.Servers) == 0 || (len(c.Servers) == 1 && c.StandaloneEnabled)
}

// Role is this member's role: its server line's when it has one, else
// PeerType.
func (c *Config) Role() PeerType {
	if s, ok := c.Self(); ok {
		return s.Role
	}
	return c.PeerType
}

// ClientAddr returns the client port's listen address, host:port.
func (c *Config) ClientAddr() string {
	return net.JoinHostPort(c.ClientPortAddress, strconv.Itoa(c.ClientPort))
}

// DataLogDirOrDefault returns DataLogDir, or DataDir when it is empty.
func (c *Config) DataLogDirOrDefault() string {
	if c.DataLogDir == "" {
		return c.DataDir
	}
	return c.DataLogDir
}

// SessionTimeoutBoundsMs returns the effective minimum and maximum session
// timeouts: the configured values, or 2 and 20 ticks where they are -1.
func (c *Config) SessionTimeoutBoundsMs() (minMs, maxMs int) {
	minMs, maxMs = c.MinSessionTimeoutMs, c.MaxSessionTimeoutMs
	if minMs == -1 {
		minMs = 2 * c.TickTimeMs
	}
	if maxMs == -1 {
		maxMs = 20 * c.TickTimeMs
	}
	return minMs, maxMs
}

// FourLetterEnabled reports whether the four-letter word w may run: it is
// in FourLetterWhitelist, the whitelist is "*", or w is srvr.
func (c *Config) FourLetterEnabled(w string) bool {
	if w == "srvr" {
		return true
	}
	for _, x := range c.FourLetterWhitelist {
		if x == "*" || x == w {
			return true
		}
	}
	return false
}

// SystemSetting looks a system property up by its full name, or by name
// with "zookeeper." prepended (so both "zookeeper.skipACL" and "skipACL"
// find the zoo.cfg key skipACL).
func (c *Config) SystemSetting(name string) (string, bool) {
	if v, ok := c.System[name]; ok {
		return v, true
	}
	v, ok := c.System["zookeeper."+name]
	return v, ok
}

// SuperDigest is the digest ("super:<base64 sha1>") that authenticates as
// the super user; "" when unset. zoo.cfg: DigestAuthenticationProvider.superDigest.
func (c *Config) SuperDigest() string { return c.System[sysSuperDigest] }

// ReadOnlyModeEnabled reports whether a member that lost its quorum serves
// read-only clients, as ZooKeeper's readonlymode.enabled system property
// turns on. zoo.cfg: readonlymode.enabled (or zookeeper.readonlymode.enabled).
// Default false.
func (c *Config) ReadOnlyModeEnabled() bool {
	return c.System["zookeeper.readonlymode.enabled"] == "true" || c.System["readonlymode.enabled"] == "true"
}

// ExtendedTypesEnabled reports whether TTL nodes may be created (and
// session ids leave room for them). zoo.cfg: extendedTypesEnabled, "true"
// to enable, as Java's Boolean.getBoolean reads it.
func (c *Config) ExtendedTypesEnabled() bool {
	return strings.EqualFold(c.System[sysExtendedTypes], "true")
}

// SkipACL reports whether ACL checks are skipped. zoo.cfg: skipACL; as in
// ZooKeeper only the value "yes" enables it.
func (c *Config) SkipACL() bool { return c.System[sysSkipACL] == "yes" }

// containerCheckIntervalMs is how often container and TTL nodes are checked
// for deletion, in ms. zoo.cfg: znode.container.checkIntervalMs (kept in
// System). Default 60000, as in ZooKeeper. Validate rejects a value that is
// not a positive integer.
func (c *Config) containerCheckIntervalMs() int {
	if v, ok := c.SystemSetting(sysContainerCheckMs); ok {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			return n
		}
	}
	return 60000
}

// Validate checks every field and the fields against each other. The error
// is a *ConfigError naming the zoo.cfg key and where its value came from.
func (c *Config) Validate() error {
	bad := func(key string, value any, reason string) error {
		origin := c.origin[key]
		if origin == "" {
			origin = "default"
		}
		return &ConfigError{Key: key, Value: fmt.Sprint(value), Origin: origin, Reason: reason, Err: ErrInvalidConfig}
	}
	if c.DataDir == "" {
		return bad("dataDir", c.DataDir, "must not be empty")
	}
	if c.ClientPortAddress == "" {
		return bad("clientPortAddress", c.ClientPortAddress, "must not be empty")
	}
	if c.ClientPort < 0 || c.ClientPort > 65535 {
		return bad("clientPort", c.ClientPort, "out of range 0-65535")
	}
	if c.TickTimeMs <= 0 {
		return bad("tickTime", c.TickTimeMs, "must be a positive number of milliseconds")
	}
	if c.InitLimitTicks <= 0 {
		return bad("initLimit", c.InitLimitTicks, "must be a positive number of ticks")
	}
	if c.SyncLimitTicks <= 0 {
		return bad("syncLimit", c.SyncLimitTicks, "must be a positive number of ticks")
	}
	if c.MinSessionTimeoutMs != -1 && c.MinSessionTimeoutMs <= 0 {
		return bad("minSessionTimeout", c.MinSessionTimeoutMs, "must be positive, or -1 for 2 ticks")
	}
	if c.MaxSessionTimeoutMs != -1 && c.MaxSessionTimeoutMs <= 0 {
		return bad("maxSessionTimeout", c.MaxSessionTimeoutMs, "must be positive, or -1 for 20 ticks")
	}
	if minMs, maxMs := c.SessionTimeoutBoundsMs(); minMs > maxMs {
		return bad("minSessionTimeout", c.MinSessionTimeoutMs,
			fmt.Sprintf("effective minimum %d ms is larger than maxSessionTimeout's %d ms", minMs, maxMs))
	}
	if c.MaxClientCnxnsPerIP < 0 {
		return bad("maxClientCnxns", c.MaxClientCnxnsPerIP, "must be 0 (unlimited) or positive")
	}
	if c.GlobalOutstandingLimit <= 0 {
		return bad("globalOutstandingLimit", c.GlobalOutstandingLimit, "must be positive")
	}
	if c.JuteMaxBufferBytes <= 0 {
		return bad("jute.maxbuffer", c.JuteMaxBufferBytes, "must be a positive number of bytes")
	}
	if c.SnapCountTxns < 2 {
		return bad("snapCount", c.SnapCountTxns, "must be at least 2")
	}
	if c.AutopurgeSnapRetainCount < 3 {
		return bad("autopurge.snapRetainCount", c.AutopurgeSnapRetainCount, "must be at least 3")
	}
	if c.AutopurgePurgeIntervalHours < 0 {
		return bad("autopurge.purgeInterval", c.AutopurgePurgeIntervalHours, "must be 0 (off) or a positive number of hours")
	}
	if reason := checkHostPort(c.XDSAddress); reason != "" {
		return bad("xds.address", c.XDSAddress, reason)
	}
	if c.XDSCoalesceDelayMs < 0 || c.XDSCoalesceDelayMs > 10000 {
		return bad("xds.coalesceDelayMs", c.XDSCoalesceDelayMs, "must be between 0 and 10000")
	}
	if err := c.validateGossip(bad); err != nil {
		return err
	}
	switch c.LogFormat {
	case "", "json", "console":
	default:
		return bad("log.format", c.LogFormat, "want json or console")
	}
	if _, err := parseLogLevel(c.LogLevel); err != nil {
		return bad("log.level", c.LogLevel, "want trace, debug, info, warn, error, fatal, panic or disabled")
	}
	if v, ok := c.SystemSetting(sysContainerCheckMs); ok {
		if n, err := strconv.Atoi(v); err != nil || n <= 0 {
			return bad(sysContainerCheckMs, v, "must be a positive number of milliseconds")
		}
	}
	return c.validateServers(bad)
}

func (c *Config) validateServers(bad func(key string, value any, reason string) error) error {
	if len(c.Servers) == 0 {
		if c.ServerID == 0 {
			return bad("myid", c.ServerID, "must be positive")
		}
		return nil
	}
	voters := 0
	seen := map[zab.ServerID]bool{}
	for _, s := range c.Servers {
		key := fmt.Sprintf("server.%d", s.ID)
		if seen[s.ID] {
			return bad(key, s, "duplicate server id")
		}
		seen[s.ID] = true
		if s.Role == PeerParticipant {
			voters++
		}
		if s.PeerPort == s.ElectionPort {
			return bad(key, s, "peer port and election port must differ")
		}
	}
	if voters == 0 {
		return bad(fmt.Sprintf("server.%d", c.Servers[0].ID), c.Servers[0], "no participant: at least one server must vote")
	}
	if c.ServerID == 0 {
		return bad("myid", c.MyIDPath(), "missing: a member of an ensemble needs its id in dataDir/myid")
	}
	self, ok := c.Self()
	if !ok {
		return bad("myid", c.ServerID, "no server.N line has this id")
	}
	if self.ClientPort != 0 && c.clientAddrSet {
		mine := net.JoinHostPort(self.ClientHost, strconv.Itoa(self.ClientPort))
		if mine != c.ClientAddr() {
			return bad(fmt.Sprintf("server.%d", self.ID), self,
				fmt.Sprintf("client address %s differs from clientPortAddress:clientPort %s", mine, c.ClientAddr()))
		}
	}
	return nil
}

// checkHostPort returns a reason when addr is not host:port with a port in
// 0-65535.
func checkHostPort(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "want host:port"
	}
	_ = host
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return fmt.Sprintf("port %q out of range 0-65535", port)
	}
	return ""
}

// property is one logical line of a Java properties file.
type property struct {
	line       int
	key, value string
}

// readProperties reads Java properties syntax: '#' and '!' comments,
// key=value, key:value or key value, backslash continuation lines and
// backslash escapes. Keys keep their order; the caller lets later ones win.
func readProperties(r io.Reader) ([]property, error) {
	var out []property
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	lineNo := 0
	for sc.Scan() {
		lineNo++
		start := lineNo
		line := strings.TrimLeft(sc.Text(), " \t\f")
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		for continues(line) && sc.Scan() {
			lineNo++
			line = line[:len(line)-1] + strings.TrimLeft(sc.Text(), " \t\f")
		}
		if continues(line) {
			line = line[:len(line)-1]
		}
		key, value := splitProperty(line)
		out = append(out, property{line: start, key: unescape(key), value: unescape(value)})
	}
	return out, sc.Err()
}

// continues reports whether line ends in an odd number of backslashes.
func continues(line string) bool {
	n := 0
	for i := len(line) - 1; i >= 0 && line[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}

// splitProperty splits at the first unescaped '=', ':' or whitespace.
func splitProperty(line string) (key, value string) {
	i := 0
	for i < len(line) {
		ch := line[i]
		if ch == '\\' {
			i += 2
			continue
		}
		if ch == '=' || ch == ':' || ch == ' ' || ch == '\t' || ch == '\f' {
			break
		}
		i++
	}
	if i >= len(line) {
		return line, ""
	}
	key, rest := line[:i], line[i:]
	rest = strings.TrimLeft(rest, " \t\f")
	if rest != "" && (rest[0] == '=' || rest[0] == ':') {
		rest = strings.TrimLeft(rest[1:], " \t\f")
	}
	return key, rest
}

// unescape resolves Java properties escapes (\t \n \r \f \uXXXX, and \x
// for any other x).
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'f':
			b.WriteByte('\f')
		case 'u':
			if i+4 < len(s) {
				if r, err := strconv.ParseUint(s[i+1:i+5], 16, 32); err == nil {
					b.WriteRune(rune(r))
					i += 4
					continue
				}
			}
			b.WriteByte('u')
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
