package sidecar

import (
	"fmt"
	"math"
	"os"
	"os/user"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/zkmesh/zkmesh/discovery"
	"github.com/zkmesh/zkmesh/zab"
)

// Build identification, set with -ldflags "-X github.com/zkmesh/zkmesh/sidecar.Version=v0.2.0
// -X github.com/zkmesh/zkmesh/sidecar.GitCommit=abc123 -X 'github.com/zkmesh/zkmesh/sidecar.BuildDate=2026-11-23 10:00 UTC'".
// GitCommit and BuildDate fall back to what the Go toolchain embedded
// (vcs.revision, vcs.time) when not set.
var (
	Version   = "0.1.0-dev"
	GitCommit = ""
	BuildDate = ""
)

// ZooKeeperVersion is the Apache ZooKeeper release whose client protocol
// and four-letter-word formats zkmesh speaks.
const ZooKeeperVersion = "3.8.0"

// notServing is ZooKeeper's answer to most words while the server is not
// serving clients (electing, syncing with the leader, shutting down).
const notServing = "This ZooKeeper instance is not currently serving requests\n"

// defaultTraceMask is ZooKeeper's default trace mask, which gtmk reports;
// zkmesh has no request tracing, so it never changes.
const defaultTraceMask = 306

// Commit returns GitCommit, or the revision the Go toolchain embedded, or "".
func Commit() string {
	if GitCommit != "" {
		return GitCommit
	}
	return buildSetting("vcs.revision")
}

// FullVersion is the version string ZooKeeper prints in srvr, stat, mntr
// and envi, in ZooKeeper's shape ("3.8.0-<build>, built on <date>") so
// that tools parsing the leading x.y.z keep working:
// "3.8.0-zkmesh-0.1.0-dev-1a2b3c4, built on 2026-11-23 10:00 UTC".
func FullVersion() string {
	v := ZooKeeperVersion + "-zkmesh-" + Version
	if c := Commit(); c != "" {
		if len(c) > 12 {
			c = c[:12]
		}
		v += "-" + c
	}
	date := BuildDate
	if date == "" {
		if t, err := time.Parse(time.RFC3339, buildSetting("vcs.time")); err == nil {
			date = t.UTC().Format("2006-01-02 15:04 MST")
		} else {
			date = "unknown"
		}
	}
	return v + ", built on " + date
}

func buildSetting(key string) string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	for _, s := range info.Settings {
		if s.Key == key {
			return s.Value
		}
	}
	return ""
}

// ServerStats is what srvr, stat, mntr, conf and dirs report about the
// server. Latencies are in milliseconds. Sizes are -1 where ZooKeeper
// prints -1 for "no sample yet".
type ServerStats struct {
	// Serving is false while the server does not answer clients (electing,
	// syncing, stopping); most words then answer "not currently serving".
	Serving bool
	// ReadOnly is true when the server serves only read-only clients.
	ReadOnly bool
	// Mode is "standalone", "leader", "follower", "observer" or "read-only".
	Mode string
	// PeerState is ZooKeeper's detailed peer state for mntr's
	// zk_peer_state ("leading - broadcast", "following - broadcast",
	// "observing - broadcast", "looking - ..."); "" when standalone.
	PeerState string
	// LastZxid is the last zxid applied to the tree.
	LastZxid zab.Zxid
	// NodeCount counts znodes, including / and the /zookeeper subtree.
	NodeCount int
	// Latency of requests since the last srst.
	MinLatencyMs int64
	AvgLatencyMs float64
	MaxLatencyMs int64
	// Packets received from and sent to clients since the last srst.
	PacketsReceived int64
	PacketsSent     int64
	// AliveConnections counts open client connections.
	AliveConnections int
	// OutstandingRequests counts requests received and not yet answered.
	OutstandingRequests int64
	// WatchCount counts data and child watches ((path, watcher) pairs).
	WatchCount int
	// EphemeralsCount counts ephemeral znodes.
	EphemeralsCount int
	// ApproximateDataSizeBytes sums path lengths and data sizes of all znodes.
	ApproximateDataSizeBytes int64
	// GlobalSessions and LocalSessions count sessions.
	GlobalSessions int64
	LocalSessions  int64
	// File descriptors of the process.
	OpenFileDescriptors int64
	MaxFileDescriptors  int64
	// UptimeMs is the time since the server started.
	UptimeMs int64
	// Sizes of the client responses sent; -1 before the first.
	LastClientResponseBytes int64
	MinClientResponseBytes  int64
	MaxClientResponseBytes  int64
	// AuthFailedCount counts failed authentications.
	AuthFailedCount int64
	// DataDirBytes and LogDirBytes are the sizes of the snapshot and log
	// directories.
	DataDirBytes int64
	LogDirBytes  int64
	// QuorumSize counts voters; 0 when standalone (mntr then omits it).
	QuorumSize int
	// Leader only (Mode "leader"): proposal sizes (-1 before the first),
	// learners and their sync state, pending syncs and leader uptime.
	LastProposalBytes        int64
	MinProposalBytes         int64
	MaxProposalBytes         int64
	Learners                 int
	SyncedFollowers          int
	SyncedNonVotingFollowers int
	SyncedObservers          int
	PendingSyncs             int
	LeaderUptimeMs           int64
	// ObserverMasterID is the server an observer follows (Mode "observer").
	ObserverMasterID zab.ServerID
	// Members is the current membership, which conf prints; nil means the
	// server lines of the Config. ConfigVersion is its version.
	Members       []ServerSpec
	ConfigVersion int64

	// zkmesh's own figures, printed by mntr after ZooKeeper's keys and only
	// when they apply.

	// StorageError is why the server refuses writes ("" when it does not).
	StorageError string
	// Registry is set when the xDS registry feed runs; RegistryServices,
	// RegistryEndpoints and RegistryMalformed (registrations skipped as
	// malformed since start) describe it.
	Registry          bool
	RegistryServices  int
	RegistryEndpoints int
	RegistryMalformed uint64
	// Gossip holds the gossip figures (zk_gossip_members, zk_gossip_alive …)
	// in mntr's order; nil when gossip does not run.
	Gossip []discovery.StatField
}

// ConnStats is one client connection as cons and stat print it.
type ConnStats struct {
	// RemoteAddr is the client's ip:port (printed with ZooKeeper's leading "/").
	RemoteAddr string
	// InterestOps is the selector interest set: 1 reading, 0 none
	// (throttled), 5 reading and writing.
	InterestOps int
	// QueuedRequests counts requests received and not yet answered.
	QueuedRequests  int64
	PacketsReceived int64
	PacketsSent     int64
	// SessionID is 0 before the handshake; cons then prints only the
	// counters above.
	SessionID int64
	// LastOperation is ZooKeeper's short name of the last op ("GETD",
	// "CREA", "PING", "NA" before any).
	LastOperation    string
	EstablishedAt    time.Time
	SessionTimeoutMs int
	// LastCxid is the last client xid seen; -1 when none (then omitted).
	LastCxid int64
	LastZxid zab.Zxid
	// LastResponseMs is when the last response was sent, in ms of the
	// server's monotonic clock (ZooKeeper's elapsed time).
	LastResponseMs int64
	LastLatencyMs  int64
	MinLatencyMs   int64
	AvgLatencyMs   int64
	MaxLatencyMs   int64
}

// SessionBucket is a group of sessions that expire at the same tick.
type SessionBucket struct {
	ExpireAt   time.Time
	SessionIDs []int64
}

// ConnBucket is a group of connections that expire at the same tick.
type ConnBucket struct {
	ExpireAt time.Time
	Conns    []ConnRef
}

// ConnRef names a connection in dump.
type ConnRef struct {
	RemoteAddr string
	SessionID  int64
}

// EnvEntry is one key=value line of envi.
type EnvEntry struct{ Key, Value string }

// FourLetterSource is what the four-letter words read from and reset on
// the running server. The server implements it; every method may be
// called from any goroutine and returns data the caller may keep.
type FourLetterSource interface {
	// ServerStats returns the server-wide statistics.
	ServerStats() ServerStats
	// Connections returns the open client connections in the order to print.
	Connections() []ConnStats
	// ResetServerStats zeroes latency, packet and response-size statistics (srst).
	ResetServerStats()
	// ResetConnStats zeroes every connection's counters and latencies (crst).
	ResetConnStats()
	// DataWatches returns, per session, the paths with a data (or exists)
	// watch; like ZooKeeper's wchs, wchc and wchp, child watches are left out.
	DataWatches() map[int64][]string
	// EphemeralsBySession returns the ephemeral paths of each session.
	EphemeralsBySession() map[int64][]string
	// SessionExpiry returns the session expiry buckets, any order.
	SessionExpiry() []SessionBucket
	// ConnectionExpiry returns the connection expiry buckets, any order.
	ConnectionExpiry() []ConnBucket
	// Environment returns envi's lines after zookeeper.version (see
	// ProcessEnvironment).
	Environment() []EnvEntry
}

// fourLetterWords maps each word zkmesh answers to its formatter. The key
// "telnet close" is the telnet close sequence, as ZooKeeper names it.
var fourLetterWords = map[string]func(*Config, FourLetterSource) string{
	"ruok": func(*Config, FourLetterSource) string { return "imok" },
	"srvr": func(c *Config, s FourLetterSource) string { return formatStat(c, s, false) },
	"stat": func(c *Config, s FourLetterSource) string { return formatStat(c, s, true) },
	"mntr": formatMntr,
	"conf": formatConf,
	"cons": formatCons,
	"crst": serving(func(_ *Config, s FourLetterSource) string {
		s.ResetConnStats()
		return "Connection stats reset.\n"
	}),
	"srst": serving(func(_ *Config, s FourLetterSource) string {
		s.ResetServerStats()
		return "Server stats reset.\n"
	}),
	"envi": formatEnvi,
	"dirs": serving(func(_ *Config, s FourLetterSource) string {
		st := s.ServerStats()
		return fmt.Sprintf("datadir_size: %d\nlogdir_size: %d\n", st.DataDirBytes, st.LogDirBytes)
	}),
	"wchs": serving(formatWchs),
	"wchc": serving(formatWchc),
	"wchp": serving(formatWchp),
	"dump": serving(formatDump),
	"isro": func(_ *Config, s FourLetterSource) string {
		st := s.ServerStats()
		switch {
		case !st.Serving:
			return "null"
		case st.ReadOnly:
			return "ro"
		}
		return "rw"
	},
	"gtmk":             func(*Config, FourLetterSource) string { return strconv.Itoa(defaultTraceMask) },
	"\xff\xf4\xff\xfd": func(*Config, FourLetterSource) string { return "" },
}

// fourLetterNames maps a word to the name ZooKeeper uses in the whitelist
// and its messages; only the telnet close sequence differs.
func fourLetterName(word string) string {
	if word == "\xff\xf4\xff\xfd" {
		return "telnet close"
	}
	return word
}

// FourLetter answers the four-letter word word (the first four bytes a
// client sent) as ZooKeeper 3.8 does. known is false when word is not a
// four-letter word, and the bytes are then the start of a client frame.
// When known, the server writes out and closes the connection. A word not
// enabled by cfg's whitelist gets "<word> is not executed because it is not
// in the whitelist.". FourLetter calls src only for the word asked (crst
// and srst reset statistics).
func FourLetter(word string, cfg *Config, src FourLetterSource) (out string, known bool) {
	f, ok := fourLetterWords[word]
	if !ok {
		return "", false
	}
	name := fourLetterName(word)
	if !cfg.FourLetterEnabled(name) {
		return name + " is not executed because it is not in the whitelist.\n", true
	}
	return f(cfg, src), true
}

// FourLetterWords returns the words FourLetter answers, sorted (without
// the telnet close sequence).
func FourLetterWords() []string {
	var out []string
	for w := range fourLetterWords {
		if len(w) == 4 && w[0] != 0xff {
			out = append(out, w)
		}
	}
	sort.Strings(out)
	return out
}

// serving wraps f to answer "not currently serving" when the server is not.
func serving(f func(*Config, FourLetterSource) string) func(*Config, FourLetterSource) string {
	return func(c *Config, s FourLetterSource) string {
		if !s.ServerStats().Serving {
			return notServing
		}
		return f(c, s)
	}
}

func formatStat(_ *Config, s FourLetterSource, withClients bool) string {
	st := s.ServerStats()
	if !st.Serving {
		return notServing
	}
	var b strings.Builder
	b.WriteString("Zookeeper version: " + FullVersion() + "\n")
	if st.ReadOnly {
		b.WriteString("READ-ONLY mode; serving only read-only clients\n")
	}
	if withClients {
		b.WriteString("Clients:\n")
		for _, c := range s.Connections() {
			writeConn(&b, c, true)
			b.WriteString("\n")
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "Latency min/avg/max: %d/%s/%d\n", st.MinLatencyMs, javaDouble(round4(st.AvgLatencyMs)), st.MaxLatencyMs)
	fmt.Fprintf(&b, "Received: %d\n", st.PacketsReceived)
	fmt.Fprintf(&b, "Sent: %d\n", st.PacketsSent)
	fmt.Fprintf(&b, "Connections: %d\n", st.AliveConnections)
	fmt.Fprintf(&b, "Outstanding: %d\n", st.OutstandingRequests)
	fmt.Fprintf(&b, "Zxid: 0x%x\n", uint64(st.LastZxid))
	fmt.Fprintf(&b, "Mode: %s\n", st.Mode)
	fmt.Fprintf(&b, "Node count: %d\n", st.NodeCount)
	if st.Mode == "leader" {
		fmt.Fprintf(&b, "Proposal sizes last/min/max: %d/%d/%d\n", st.LastProposalBytes, st.MinProposalBytes, st.MaxProposalBytes)
	}
	return b.String()
}

// writeConn writes one connection as ZooKeeper's ServerCnxn.dumpConnectionInfo.
func writeConn(b *strings.Builder, c ConnStats, brief bool) {
	ops := "0"
	if c.InterestOps != 0 {
		ops = strconv.FormatInt(int64(c.InterestOps), 16)
	}
	fmt.Fprintf(b, " /%s[%s](queued=%d,recved=%d,sent=%d", c.RemoteAddr, ops, c.QueuedRequests, c.PacketsReceived, c.PacketsSent)
	if !brief && c.SessionID != 0 {
		lop := c.LastOperation
		if lop == "" {
			lop = "NA"
		}
		fmt.Fprintf(b, ",sid=0x%x,lop=%s,est=%d,to=%d", uint64(c.SessionID), lop, c.EstablishedAt.UnixMilli(), c.SessionTimeoutMs)
		if c.LastCxid >= 0 {
			fmt.Fprintf(b, ",lcxid=0x%x", uint64(c.LastCxid))
		}
		fmt.Fprintf(b, ",lzxid=0x%x,lresp=%d,llat=%d,minlat=%d,avglat=%d,maxlat=%d",
			uint64(c.LastZxid), c.LastResponseMs, c.LastLatencyMs, c.MinLatencyMs, c.AvgLatencyMs, c.MaxLatencyMs)
	}
	b.WriteString(")")
}

func formatCons(_ *Config, s FourLetterSource) string {
	if !s.ServerStats().Serving {
		return notServing
	}
	var b strings.Builder
	for _, c := range s.Connections() {
		writeConn(&b, c, false)
		b.WriteString("\n")
	}
	b.WriteString("\n")
	return b.String()
}

// formatMntr prints ZooKeeper's mntr keys for the values zkmesh keeps, in
// the order ZooKeeper 3.8 prints them. ZooKeeper's per-processor summary
// metrics (zk_avg_*, zk_p99_* of its pipeline stages) are not emitted.
func formatMntr(_ *Config, s FourLetterSource) string {
	st := s.ServerStats()
	if !st.Serving {
		return notServing
	}
	var b strings.Builder
	kv := func(k string, v any) {
		switch x := v.(type) {
		case float64:
			fmt.Fprintf(&b, "zk_%s\t%s\n", k, javaDouble(x))
		default:
			fmt.Fprintf(&b, "zk_%s\t%v\n", k, x)
		}
	}
	leader := st.Mode == "leader"
	quorum := st.Mode != "standalone"
	kv("version", FullVersion())
	kv("server_state", st.Mode)
	if quorum && st.PeerState != "" {
		kv("peer_state", st.PeerState)
	}
	if st.Mode == "observer" {
		kv("observer_master_id", uint64(st.ObserverMasterID))
	}
	kv("ephemerals_count", st.EphemeralsCount)
	kv("num_alive_connections", st.AliveConnections)
	kv("avg_latency", round4(st.AvgLatencyMs))
	if leader {
		kv("min_proposal_size", st.MinProposalBytes)
	}
	kv("outstanding_requests", st.OutstandingRequests)
	kv("znode_count", st.NodeCount)
	kv("global_sessions", st.GlobalSessions)
	kv("non_mtls_remote_conn_count", 0)
	kv("last_client_response_size", st.LastClientResponseBytes)
	kv("packets_sent", st.PacketsSent)
	kv("packets_received", st.PacketsReceived)
	if leader {
		kv("max_proposal_size", st.MaxProposalBytes)
	}
	kv("max_client_response_size", st.MaxClientResponseBytes)
	if leader {
		kv("synced_followers", st.SyncedFollowers)
	}
	kv("connection_drop_probability", 0.0)
	kv("watch_count", st.WatchCount)
	if leader {
		kv("synced_non_voting_followers", st.SyncedNonVotingFollowers)
		kv("synced_observers", st.SyncedObservers)
	}
	kv("auth_failed_count", st.AuthFailedCount)
	kv("min_latency", st.MinLatencyMs)
	kv("max_file_descriptor_count", st.MaxFileDescriptors)
	kv("approximate_data_size", st.ApproximateDataSizeBytes)
	kv("open_file_descriptor_count", st.OpenFileDescriptors)
	if leader {
		kv("last_proposal_size", st.LastProposalBytes)
		kv("pending_syncs", st.PendingSyncs)
		kv("leader_uptime", st.LeaderUptimeMs)
	}
	kv("local_sessions", st.LocalSessions)
	kv("uptime", st.UptimeMs)
	kv("max_latency", st.MaxLatencyMs)
	kv("outstanding_tls_handshake", 0)
	if leader {
		kv("learners", st.Learners)
	}
	kv("min_client_response_size", st.MinClientResponseBytes)
	kv("non_mtls_local_conn_count", 0)
	if quorum {
		kv("quorum_size", st.QuorumSize)
	}
	if st.StorageError != "" {
		kv("zkmesh_writes_refused", 1)
		kv("zkmesh_storage_error", strings.Join(strings.Fields(st.StorageError), " "))
	}
	if st.Registry {
		kv("zkmesh_registry_services", st.RegistryServices)
		kv("zkmesh_registry_endpoints", st.RegistryEndpoints)
		kv("zkmesh_registry_malformed_total", st.RegistryMalformed)
	}
	for _, f := range st.Gossip {
		kv(strings.TrimPrefix(f.Name, "zk_"), f.Value)
	}
	return b.String()
}

func formatConf(c *Config, s FourLetterSource) string {
	st := s.ServerStats()
	if !st.Serving {
		return notServing
	}
	minMs, maxMs := c.SessionTimeoutBoundsMs()
	var b strings.Builder
	fmt.Fprintf(&b, "clientPort=%d\n", c.ClientPort)
	b.WriteString("secureClientPort=-1\n")
	fmt.Fprintf(&b, "dataDir=%s\n", c.DataDir)
	fmt.Fprintf(&b, "dataDirSize=%d\n", st.DataDirBytes)
	fmt.Fprintf(&b, "dataLogDir=%s\n", c.DataLogDirOrDefault())
	fmt.Fprintf(&b, "dataLogSize=%d\n", st.LogDirBytes)
	fmt.Fprintf(&b, "tickTime=%d\n", c.TickTimeMs)
	fmt.Fprintf(&b, "maxClientCnxns=%d\n", c.MaxClientCnxnsPerIP)
	fmt.Fprintf(&b, "minSessionTimeout=%d\n", minMs)
	fmt.Fprintf(&b, "maxSessionTimeout=%d\n", maxMs)
	fmt.Fprintf(&b, "clientPortListenBacklog=%d\n", c.ClientPortListenBacklog)
	fmt.Fprintf(&b, "serverId=%d\n", uint64(c.ServerID))
	if st.Mode == "standalone" {
		return b.String()
	}
	members := st.Members
	if members == nil {
		members = c.Servers
	}
	fmt.Fprintf(&b, "initLimit=%d\n", c.InitLimitTicks)
	fmt.Fprintf(&b, "syncLimit=%d\n", c.SyncLimitTicks)
	b.WriteString("electionAlg=3\n")
	self, _ := c.Self()
	for _, m := range members {
		if m.ID == c.ServerID {
			self = m
		}
	}
	fmt.Fprintf(&b, "electionPort=%d\n", self.ElectionPort)
	fmt.Fprintf(&b, "quorumPort=%d\n", self.PeerPort)
	fmt.Fprintf(&b, "peerType=%d\n", int(self.Role))
	b.WriteString("membership: \n")
	for _, m := range members {
		b.WriteString(m.String() + "\n")
	}
	fmt.Fprintf(&b, "version=%x", uint64(st.ConfigVersion))
	return b.String()
}

func formatEnvi(_ *Config, s FourLetterSource) string {
	var b strings.Builder
	b.WriteString("Environment:\n")
	b.WriteString("zookeeper.version=" + FullVersion() + "\n")
	for _, e := range s.Environment() {
		b.WriteString(e.Key + "=" + e.Value + "\n")
	}
	return b.String()
}

// ProcessEnvironment returns envi's lines for this process, under the
// names ZooKeeper uses where one fits (host.name, os.*, user.*) and go.*
// where ZooKeeper has java.*. A FourLetterSource may return it from
// Environment. It reads the host name, the user and the memory statistics
// (a short stop-the-world).
func ProcessEnvironment() []EnvEntry {
	host, _ := os.Hostname()
	wd, _ := os.Getwd()
	home, _ := os.UserHomeDir()
	userName := os.Getenv("USER")
	if u, err := user.Current(); err == nil {
		userName = u.Username
	}
	osName := runtime.GOOS
	if osName != "" {
		osName = strings.ToUpper(osName[:1]) + osName[1:]
	}
	osVersion := ""
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		osVersion = strings.TrimSpace(string(b))
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	mb := func(n uint64) string { return strconv.FormatUint(n>>20, 10) + "MB" }
	limit := debug.SetMemoryLimit(-1)
	maxMem := mb(ms.Sys)
	if limit != math.MaxInt64 {
		maxMem = mb(uint64(limit))
	}
	return []EnvEntry{
		{"host.name", host},
		{"go.version", runtime.Version()},
		{"go.maxprocs", strconv.Itoa(runtime.GOMAXPROCS(0))},
		{"os.name", osName},
		{"os.arch", runtime.GOARCH},
		{"os.version", osVersion},
		{"user.name", userName},
		{"user.home", home},
		{"user.dir", wd},
		{"os.memory.free", mb(ms.HeapIdle)},
		{"os.memory.max", maxMem},
		{"os.memory.total", mb(ms.Sys)},
	}
}

// watchIndex sorts a session → paths map, both levels ascending.
func sortedSessions(m map[int64][]string) []int64 {
	ids := make([]int64, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

func sortedCopy(paths []string) []string {
	out := append([]string(nil), paths...)
	sort.Strings(out)
	return out
}

func formatWchs(_ *Config, s FourLetterSource) string {
	w := s.DataWatches()
	paths := map[string]bool{}
	total, conns := 0, 0
	for _, ps := range w {
		if len(ps) > 0 {
			conns++
		}
		for _, p := range ps {
			paths[p] = true
			total++
		}
	}
	return fmt.Sprintf("%d connections watching %d paths\nTotal watches:%d\n", conns, len(paths), total)
}

func formatWchc(_ *Config, s FourLetterSource) string {
	w := s.DataWatches()
	var b strings.Builder
	for _, id := range sortedSessions(w) {
		if len(w[id]) == 0 {
			continue
		}
		fmt.Fprintf(&b, "0x%x\n", uint64(id))
		for _, p := range sortedCopy(w[id]) {
			b.WriteString("\t" + p + "\n")
		}
	}
	b.WriteString("\n")
	return b.String()
}

func formatWchp(_ *Config, s FourLetterSource) string {
	byPath := map[string][]int64{}
	for id, ps := range s.DataWatches() {
		for _, p := range ps {
			byPath[p] = append(byPath[p], id)
		}
	}
	paths := make([]string, 0, len(byPath))
	for p := range byPath {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var b strings.Builder
	for _, p := range paths {
		ids := byPath[p]
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
		b.WriteString(p + "\n")
		for _, id := range ids {
			fmt.Fprintf(&b, "\t0x%x\n", uint64(id))
		}
	}
	b.WriteString("\n")
	return b.String()
}

// javaDate formats t as Java's Date.toString does.
func javaDate(t time.Time) string { return t.Format("Mon Jan 02 15:04:05 MST 2006") }

func formatDump(_ *Config, s FourLetterSource) string {
	var b strings.Builder
	b.WriteString("SessionTracker dump:\n")
	sb := s.SessionExpiry()
	sort.Slice(sb, func(i, j int) bool { return sb[i].ExpireAt.Before(sb[j].ExpireAt) })
	n := 0
	for _, x := range sb {
		n += len(x.SessionIDs)
	}
	fmt.Fprintf(&b, "Session Sets (%d)/(%d):\n", len(sb), n)
	for _, x := range sb {
		fmt.Fprintf(&b, "%d expire at %s:\n", len(x.SessionIDs), javaDate(x.ExpireAt))
		for _, id := range x.SessionIDs {
			fmt.Fprintf(&b, "\t0x%x\n", uint64(id))
		}
	}
	b.WriteString("ephemeral nodes dump:\n")
	eph := s.EphemeralsBySession()
	ids := sortedSessions(eph)
	fmt.Fprintf(&b, "Sessions with Ephemerals (%d):\n", len(ids))
	for _, id := range ids {
		fmt.Fprintf(&b, "0x%x:\n", uint64(id))
		for _, p := range sortedCopy(eph[id]) {
			b.WriteString("\t" + p + "\n")
		}
	}
	b.WriteString("Connections dump:\n")
	cb := s.ConnectionExpiry()
	sort.Slice(cb, func(i, j int) bool { return cb[i].ExpireAt.Before(cb[j].ExpireAt) })
	n = 0
	for _, x := range cb {
		n += len(x.Conns)
	}
	fmt.Fprintf(&b, "Connections Sets (%d)/(%d):\n", len(cb), n)
	for _, x := range cb {
		fmt.Fprintf(&b, "%d expire at %s:\n", len(x.Conns), javaDate(x.ExpireAt))
		for _, c := range x.Conns {
			fmt.Fprintf(&b, "\tip: /%s sessionId: 0x%x\n", c.RemoteAddr, uint64(c.SessionID))
		}
	}
	return b.String()
}

// round4 rounds to 4 decimals, half up, as ZooKeeper's AvgMinMaxCounter.
func round4(v float64) float64 { return math.Round(v*1e4) / 1e4 }

// javaDouble formats v as Java's Double.toString: "0.0", "2.9091",
// "1.0E7", "1.0E-4".
func javaDouble(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "Infinity"
	case math.IsInf(v, -1):
		return "-Infinity"
	}
	a := math.Abs(v)
	if a == 0 || (a >= 1e-3 && a < 1e7) {
		s := strconv.FormatFloat(v, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(v, 'E', -1, 64) // 1E+07, 1.5E-04
	mant, exp, _ := strings.Cut(s, "E")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	e, _ := strconv.Atoi(exp)
	return mant + "E" + strconv.Itoa(e)
}

// StaticFourLetterSource is an in-memory FourLetterSource holding fixed
// data, for tests and tools. Reset methods zero the counters they name.
// It is not safe for concurrent use.
type StaticFourLetterSource struct {
	Stats      ServerStats
	Conns      []ConnStats
	Watches    map[int64][]string
	Ephemerals map[int64][]string
	Sessions   []SessionBucket
	ConnExpiry []ConnBucket
	Env        []EnvEntry
	// ServerResets and ConnResets count calls to the reset methods.
	ServerResets, ConnResets int
}

var _ FourLetterSource = (*StaticFourLetterSource)(nil)

// ServerStats returns s.Stats.
func (s *StaticFourLetterSource) ServerStats() ServerStats { return s.Stats }

// Connections returns s.Conns.
func (s *StaticFourLetterSource) Connections() []ConnStats { return s.Conns }

// ResetServerStats zeroes latencies and packet counts and sets response
// sizes to -1, as srst does.
func (s *StaticFourLetterSource) ResetServerStats() {
	s.ServerResets++
	s.Stats.MinLatencyMs, s.Stats.AvgLatencyMs, s.Stats.MaxLatencyMs = 0, 0, 0
	s.Stats.PacketsReceived, s.Stats.PacketsSent, s.Stats.AuthFailedCount = 0, 0, 0
	s.Stats.LastClientResponseBytes, s.Stats.MinClientResponseBytes, s.Stats.MaxClientResponseBytes = -1, -1, -1
}

// ResetConnStats zeroes every connection's counters and latencies, as crst does.
func (s *StaticFourLetterSource) ResetConnStats() {
	s.ConnResets++
	for i := range s.Conns {
		c := &s.Conns[i]
		c.PacketsReceived, c.PacketsSent = 0, 0
		c.LastCxid, c.LastZxid, c.LastResponseMs, c.LastOperation = -1, zab.Zxid(math.MaxUint64), 0, "NA"
		c.LastLatencyMs, c.MinLatencyMs, c.AvgLatencyMs, c.MaxLatencyMs = 0, 0, 0, 0
	}
}

// DataWatches returns s.Watches.
func (s *StaticFourLetterSource) DataWatches() map[int64][]string { return s.Watches }

// EphemeralsBySession returns s.Ephemerals.
func (s *StaticFourLetterSource) EphemeralsBySession() map[int64][]string { return s.Ephemerals }

// SessionExpiry returns s.Sessions.
func (s *StaticFourLetterSource) SessionExpiry() []SessionBucket { return s.Sessions }

// ConnectionExpiry returns s.ConnExpiry.
func (s *StaticFourLetterSource) ConnectionExpiry() []ConnBucket { return s.ConnExpiry }

// Environment returns s.Env.
func (s *StaticFourLetterSource) Environment() []EnvEntry { return s.Env }
