package sidecar

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/zkmesh/zkmesh/zab"
)

// parse parses text as a zoo.cfg with no base directory and fails the test
// on error.
func parse(t *testing.T, text string) *Config {
	t.Helper()
	c, err := ParseZooCfg(strings.NewReader(text), "")
	if err != nil {
		t.Fatalf("ParseZooCfg: %v", err)
	}
	return c
}

// configErr asserts err is a *ConfigError for key with the sentinel want,
// and that its message names the key and contains every fragment.
func configErr(t *testing.T, err error, want error, key string, fragments ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want error for %s, got nil", key)
	}
	var ce *ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("error %v (%T) is not a *ConfigError", err, err)
	}
	if !errors.Is(err, want) {
		t.Fatalf("error %v does not wrap %v", err, want)
	}
	if ce.Key != key {
		t.Fatalf("error names key %q, want %q (%v)", ce.Key, key, err)
	}
	msg := err.Error()
	for _, f := range append([]string{key}, fragments...) {
		if !strings.Contains(msg, f) {
			t.Fatalf("error %q does not contain %q", msg, f)
		}
	}
}

func TestDefaultConfigIsValidStandalone(t *testing.T) {
	c := DefaultConfig()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := c.ClientAddr(); got != "127.0.0.1:2181" {
		t.Errorf("ClientAddr = %q", got)
	}
	if c.DataDir != "./zkmesh-data" || c.TickTimeMs != 2000 || c.ServerID != 1 || !c.Standalone() {
		t.Errorf("defaults: %+v", c)
	}
	if minMs, maxMs := c.SessionTimeoutBoundsMs(); minMs != 4000 || maxMs != 40000 {
		t.Errorf("session bounds = %d, %d; want 4000, 40000", minMs, maxMs)
	}
	if c.MaxClientCnxnsPerIP != 60 || c.GlobalOutstandingLimit != 1000 || c.JuteMaxBufferBytes != 0xfffff ||
		c.SnapCountTxns != 100000 || c.AutopurgeSnapRetainCount != 3 || c.AutopurgePurgeIntervalHours != 0 {
		t.Errorf("limits: %+v", c)
	}
	if c.XDSAddress != "127.0.0.1:18000" || c.GossipAddress != "" || c.LogLevel != "info" || c.LogFormat != "" {
		t.Errorf("zkmesh keys: %+v", c)
	}
	if c.ReconfigEnabled || !c.StandaloneEnabled || c.Role() != PeerParticipant {
		t.Errorf("modes: %+v", c)
	}
	if c.DataLogDirOrDefault() != c.DataDir {
		t.Errorf("DataLogDirOrDefault = %q", c.DataLogDirOrDefault())
	}
}

// debianZooCfg is /etc/zookeeper/conf/zoo.cfg as Debian ships it (comments
// shortened).
const debianZooCfg = `# http://hadoop.apache.org/zookeeper/docs/current/zookeeperAdmin.html

# The number of milliseconds of each tick
tickTime=2000
# The number of ticks that the initial
# synchronization phase can take
initLimit=10
# The number of ticks that can pass between
# sending a request and getting an acknowledgement
syncLimit=5
# the directory where the snapshot is stored.
dataDir=/var/lib/zookeeper
# Place the dataLogDir to a separate physical disc for better performance
# dataLogDir=/disk2/zookeeper

# the port at which the clients will connect
clientPort=2181

# specify all zookeeper servers
# The fist port is used by followers to connect to the leader
# The second one is used for leader election
#server.1=zookeeper1:2888:3888
#server.2=zookeeper2:2888:3888
#server.3=zookeeper3:2888:3888

# To avoid seeks ZooKeeper allocates space in the transaction log file in
# blocks of preAllocSize kilobytes. The default block size is 64M.
#preAllocSize=65536

# The number of snapshots to retain in dataDir
#autopurge.snapRetainCount=3
# Purge task interval in hours
# Set to "0" to disable auto purge feature
#autopurge.purgeInterval=1
`

func TestParseDebianZooCfg(t *testing.T) {
	c := parse(t, debianZooCfg)
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.DataDir != "/var/lib/zookeeper" || c.ClientPort != 2181 || c.TickTimeMs != 2000 ||
		c.InitLimitTicks != 10 || c.SyncLimitTicks != 5 {
		t.Errorf("parsed %+v", c)
	}
	if !c.Standalone() || len(c.Servers) != 0 || c.ServerID != 1 {
		t.Errorf("want standalone server 1, got servers=%v id=%d", c.Servers, c.ServerID)
	}
	// Debian sets no whitelist: only srvr runs, as in ZooKeeper 3.8.
	for _, w := range FourLetterWords() {
		if got := c.FourLetterEnabled(w); got != (w == "srvr") {
			t.Errorf("FourLetterEnabled(%q) = %v", w, got)
		}
	}
	if len(c.System) != 0 {
		t.Errorf("System = %v, want empty", c.System)
	}
}

func TestEveryKey(t *testing.T) {
	dir := t.TempDir()
	text := strings.Join([]string{
		"dataDir=" + dir,
		"dataLogDir=/logs",
		"clientPort=12181",
		"clientPortAddress=127.0.0.2",
		"clientPortListenBacklog=128",
		"tickTime=500",
		"initLimit=7",
		"syncLimit=3",
		"minSessionTimeout=1500",
		"maxSessionTimeout=90000",
		"maxClientCnxns=0",
		"globalOutstandingLimit=250",
		"jute.maxbuffer=0x400000",
		"4lw.commands.whitelist=ruok, mntr ,stat,,",
		"snapCount=5000",
		"autopurge.snapRetainCount=7",
		"autopurge.purgeInterval=24",
		"reconfigEnabled=true",
		"standaloneEnabled=FALSE",
		"electionAlg=3",
		"admin.enableServer=false",
		"admin.serverAddress=127.0.0.3",
		"admin.serverPort=8081",
		"admin.commandURL=/cmds",
		"metricsProvider.className=org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider",
		"peerType=observer",
		"server.1=127.0.0.1:2888:3888",
		"server.2=127.0.0.2:2888:3888:participant;127.0.0.2:12181",
		"server.3=[::1]:2889:3889:observer;2183",
		"xds.address=127.0.0.1:18001",
		"xds.localZone=zone-b",
		"xds.coalesceDelayMs=25",
		"gossip.address=127.0.0.1:7946",
		"gossip.seeds=127.0.0.1:7947, 127.0.0.1:7948",
		"zone=zone-a",
		"region=region-1",
		"gossip.keyFile=" + filepath.Join(dir, "gossip.key"),
		"gossip.name=node-2",
		"gossip.timing=fast",
		"log.format=console",
		"log.level=debug",
		"DigestAuthenticationProvider.superDigest=super:D/InIHSb7yEEbrWz8b9l71RjZJU=",
		"extendedTypesEnabled=true",
		"skipACL=yes",
		"zookeeper.znode.container.checkIntervalMs=1000",
		"preAllocSize=65536",
	}, "\n")
	if err := os.WriteFile(filepath.Join(dir, "myid"), []byte("2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "gossip.key"), []byte("0123456789abcdef"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := parse(t, text)
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	want := &Config{
		DataDir:                     dir,
		DataLogDir:                  "/logs",
		ClientPortAddress:           "127.0.0.2",
		ClientPort:                  12181,
		ClientPortListenBacklog:     128,
		TickTimeMs:                  500,
		InitLimitTicks:              7,
		SyncLimitTicks:              3,
		MinSessionTimeoutMs:         1500,
		MaxSessionTimeoutMs:         90000,
		MaxClientCnxnsPerIP:         0,
		GlobalOutstandingLimit:      250,
		JuteMaxBufferBytes:          0x400000,
		FourLetterWhitelist:         []string{"ruok", "mntr", "stat"},
		SnapCountTxns:               5000,
		AutopurgeSnapRetainCount:    7,
		AutopurgePurgeIntervalHours: 24,
		ReconfigEnabled:             true,
		StandaloneEnabled:           false,
		PeerType:                    PeerObserver,
		Servers: []ServerSpec{
			{ID: 1, Host: "127.0.0.1", PeerPort: 2888, ElectionPort: 3888},
			{ID: 2, Host: "127.0.0.2", PeerPort: 2888, ElectionPort: 3888, ClientHost: "127.0.0.2", ClientPort: 12181},
			{ID: 3, Host: "::1", PeerPort: 2889, ElectionPort: 3889, Role: PeerObserver, ClientHost: "0.0.0.0", ClientPort: 2183},
		},
		ServerID:           2,
		XDSAddress:         "127.0.0.1:18001",
		XDSLocalZone:       "zone-b",
		XDSCoalesceDelayMs: 25,
		GossipAddress:      "127.0.0.1:7946",
		GossipSeeds:        []string{"127.0.0.1:7947", "127.0.0.1:7948"},
		Zone:               "zone-a",
		Region:             "region-1",
		GossipKeyFile:      filepath.Join(dir, "gossip.key"),
		GossipName:         "node-2",
		GossipTiming:       "fast",
		AdminServerAddress: "127.0.0.3",
		AdminServerPort:    8081,
		LogFormat:          "console",
		LogLevel:           "debug",
		System: map[string]string{
			"zookeeper.globalOutstandingLimit":                   "250",
			"zookeeper.jute.maxbuffer":                           "0x400000",
			"zookeeper.4lw.commands.whitelist":                   "ruok, mntr ,stat,,",
			"zookeeper.snapCount":                                "5000",
			"zookeeper.DigestAuthenticationProvider.superDigest": "super:D/InIHSb7yEEbrWz8b9l71RjZJU=",
			"zookeeper.extendedTypesEnabled":                     "true",
			"zookeeper.skipACL":                                  "yes",
			"zookeeper.znode.container.checkIntervalMs":          "1000",
			"zookeeper.preAllocSize":                             "65536",
		},
	}
	got := *c
	got.origin, got.clientAddrSet, got.Warnings = nil, false, nil
	want.origin = nil
	if !reflect.DeepEqual(&got, want) {
		gj, _ := json.MarshalIndent(got, "", " ")
		wj, _ := json.MarshalIndent(want, "", " ")
		t.Fatalf("parsed config differs\ngot  %s\nwant %s", gj, wj)
	}
	if len(c.Warnings) != 3 || !strings.Contains(c.Warnings[2], "peerType=observer differs from the role in server.2 (participant)") {
		t.Fatalf("Warnings = %q, want 2 ignored keys (admin.commandURL, metricsProvider.className) and peerType", c.Warnings)
	}
	for _, w := range c.Warnings[:2] {
		if !strings.Contains(w, "ignored") || !strings.Contains(w, "zoo.cfg:") {
			t.Errorf("warning %q does not say where and that the key is ignored", w)
		}
	}
	if c.SuperDigest() != "super:D/InIHSb7yEEbrWz8b9l71RjZJU=" || !c.ExtendedTypesEnabled() || !c.SkipACL() {
		t.Errorf("accessors: digest=%q ext=%v skip=%v", c.SuperDigest(), c.ExtendedTypesEnabled(), c.SkipACL())
	}
	if c.containerCheckIntervalMs() != 1000 || DefaultConfig().containerCheckIntervalMs() != 60000 {
		t.Errorf("containerCheckIntervalMs = %d", c.containerCheckIntervalMs())
	}
	if v, ok := c.SystemSetting("znode.container.checkIntervalMs"); !ok || v != "1000" {
		t.Errorf("SystemSetting(znode.container.checkIntervalMs) = %q, %v", v, ok)
	}
	if minMs, maxMs := c.SessionTimeoutBoundsMs(); minMs != 1500 || maxMs != 90000 {
		t.Errorf("session bounds %d %d", minMs, maxMs)
	}
	if c.Standalone() || c.Role() != PeerParticipant {
		t.Errorf("Standalone=%v Role=%v: server.2's line says participant", c.Standalone(), c.Role())
	}
	if self, _ := c.Self(); self.ID != 2 {
		t.Errorf("Self = %+v", self)
	}
	for w, want := range map[string]bool{"ruok": true, "mntr": true, "stat": true, "srvr": true, "cons": false, "dump": false} {
		if got := c.FourLetterEnabled(w); got != want {
			t.Errorf("FourLetterEnabled(%q) = %v", w, got)
		}
	}
}

func TestSystemKeysWithAndWithoutPrefix(t *testing.T) {
	c := parse(t, "zookeeper.snapCount=10\nzookeeper.skipACL=yes\nsomething.else=x\nzookeeper.jute.maxbuffer=2048\n")
	if c.SnapCountTxns != 10 || c.JuteMaxBufferBytes != 2048 || !c.SkipACL() {
		t.Errorf("prefixed system keys not applied: %+v", c)
	}
	if c.System["zookeeper.something.else"] != "x" {
		t.Errorf("System = %v", c.System)
	}
	if _, ok := c.SystemSetting("something.else"); !ok {
		t.Error("SystemSetting without prefix did not find zookeeper.something.else")
	}
	// ZooKeeper's skipACL is "yes" only; Boolean-style "true" does not enable it.
	if parse(t, "skipACL=true").SkipACL() {
		t.Error("skipACL=true enabled skipping ACLs")
	}
	if parse(t, "extendedTypesEnabled=yes").ExtendedTypesEnabled() {
		t.Error("extendedTypesEnabled=yes enabled extended types")
	}
}

func TestWhitelistStarAndUnknownWords(t *testing.T) {
	c := parse(t, "4lw.commands.whitelist=*")
	for _, w := range FourLetterWords() {
		if !c.FourLetterEnabled(w) {
			t.Errorf("* does not enable %q", w)
		}
	}
	c = parse(t, "4lw.commands.whitelist=ruok,stmk")
	if !reflect.DeepEqual(c.FourLetterWhitelist, []string{"ruok"}) {
		t.Errorf("whitelist = %v", c.FourLetterWhitelist)
	}
	if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], `"stmk"`) || !strings.Contains(c.Warnings[0], "zoo.cfg:1") {
		t.Errorf("Warnings = %q", c.Warnings)
	}
}

func TestSessionTimeoutMinusOneMeansTicks(t *testing.T) {
	c := parse(t, "tickTime=100\nminSessionTimeout=-1\nmaxSessionTimeout=-1\n")
	if minMs, maxMs := c.SessionTimeoutBoundsMs(); minMs != 200 || maxMs != 2000 {
		t.Errorf("bounds = %d, %d", minMs, maxMs)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	// Only the maximum set: the minimum still follows tickTime.
	c = parse(t, "tickTime=1000\nmaxSessionTimeout=5000\n")
	if minMs, maxMs := c.SessionTimeoutBoundsMs(); minMs != 2000 || maxMs != 5000 {
		t.Errorf("bounds = %d, %d", minMs, maxMs)
	}
}

func TestPropertiesSyntax(t *testing.T) {
	text := "  # indented comment\n" +
		"! bang comment\n" +
		"tickTime : 3000\n" +
		"initLimit 12\n" +
		"dataDir=/a\\\n" +
		"    /b\n" +
		"zone=with\\u0020space\\tand\\=equals\n" +
		"syncLimit=4   \n" +
		"syncLimit=6\n" +
		"emptyKey=\n" +
		"\n"
	c := parse(t, text)
	if c.TickTimeMs != 3000 || c.InitLimitTicks != 12 {
		t.Errorf("separators: tick=%d init=%d", c.TickTimeMs, c.InitLimitTicks)
	}
	if c.DataDir != "/a/b" {
		t.Errorf("continuation: dataDir=%q", c.DataDir)
	}
	if c.Zone != "with space\tand=equals" {
		t.Errorf("escapes: zone=%q", c.Zone)
	}
	if c.SyncLimitTicks != 6 {
		t.Errorf("later key should win: syncLimit=%d", c.SyncLimitTicks)
	}
	if v, ok := c.System["zookeeper.emptyKey"]; !ok || v != "" {
		t.Errorf("empty value: %q %v", v, ok)
	}
}

func TestErrorsNameKeyValueAndLine(t *testing.T) {
	cases := []struct {
		name, text, key string
		want            error
		fragments       []string
	}{
		{"tickTime not int", "dataDir=/x\ntickTime=2s\n", "tickTime", ErrInvalidConfig, []string{`"2s"`, "zoo.cfg:2", "not an integer"}},
		{"initLimit not int", "initLimit=ten", "initLimit", ErrInvalidConfig, []string{`"ten"`, "zoo.cfg:1"}},
		{"syncLimit not int", "\n\nsyncLimit=5.5", "syncLimit", ErrInvalidConfig, []string{"zoo.cfg:3"}},
		{"clientPort not int", "clientPort=http", "clientPort", ErrInvalidConfig, nil},
		{"clientPortListenBacklog not int", "clientPortListenBacklog=x", "clientPortListenBacklog", ErrInvalidConfig, nil},
		{"minSessionTimeout not int", "minSessionTimeout=4s", "minSessionTimeout", ErrInvalidConfig, nil},
		{"maxSessionTimeout not int", "maxSessionTimeout=4s", "maxSessionTimeout", ErrInvalidConfig, nil},
		{"maxClientCnxns not int", "maxClientCnxns=many", "maxClientCnxns", ErrInvalidConfig, nil},
		{"globalOutstandingLimit not int", "globalOutstandingLimit=x", "globalOutstandingLimit", ErrInvalidConfig, nil},
		{"jute.maxbuffer not int", "jute.maxbuffer=1M", "jute.maxbuffer", ErrInvalidConfig, nil},
		{"snapCount not int", "snapCount=1e5", "snapCount", ErrInvalidConfig, nil},
		{"retain not int", "autopurge.snapRetainCount=x", "autopurge.snapRetainCount", ErrInvalidConfig, nil},
		{"purge not int", "autopurge.purgeInterval=1h", "autopurge.purgeInterval", ErrInvalidConfig, nil},
		{"reconfigEnabled not bool", "reconfigEnabled=yes", "reconfigEnabled", ErrInvalidConfig, []string{"true or false"}},
		{"standaloneEnabled not bool", "standaloneEnabled=1", "standaloneEnabled", ErrInvalidConfig, nil},
		{"peerType", "peerType=voter", "peerType", ErrInvalidConfig, []string{"participant or observer"}},
		{"empty dataDir", "dataDir=", "dataDir", ErrInvalidConfig, nil},
		{"empty clientPortAddress", "clientPortAddress=", "clientPortAddress", ErrInvalidConfig, nil},
		{"secureClientPort", "secureClientPort=2182", "secureClientPort", ErrUnsupportedConfig, []string{"TLS"}},
		{"secureClientPortAddress", "secureClientPortAddress=0.0.0.0", "secureClientPortAddress", ErrUnsupportedConfig, nil},
		{"dynamicConfigFile", "dynamicConfigFile=/etc/zk/zoo.cfg.dynamic", "dynamicConfigFile", ErrUnsupportedConfig, nil},
		{"group", "group.1=1:2:3", "group.1", ErrUnsupportedConfig, nil},
		{"weight", "weight.1=2", "weight.1", ErrUnsupportedConfig, nil},
		{"electionAlg", "electionAlg=0", "electionAlg", ErrUnsupportedConfig, nil},
		{"server id", "server.x=127.0.0.1:2888:3888", "server.x", ErrInvalidConfig, []string{"positive integer"}},
		{"server id zero", "server.0=127.0.0.1:2888:3888", "server.0", ErrInvalidConfig, nil},
		{"server one port", "server.1=127.0.0.1:2888", "server.1", ErrInvalidConfig, []string{"peerPort:electionPort"}},
		{"server no host", "server.1=:2888:3888", "server.1", ErrInvalidConfig, nil},
		{"server no colon", "server.1=localhost", "server.1", ErrInvalidConfig, nil},
		{"server port range", "server.1=127.0.0.1:70000:3888", "server.1", ErrInvalidConfig, []string{"70000", "out of range"}},
		{"server port zero", "server.1=127.0.0.1:2888:0", "server.1", ErrInvalidConfig, []string{"election port"}},
		{"server port text", "server.1=127.0.0.1:a:3888", "server.1", ErrInvalidConfig, []string{"peer port"}},
		{"server role", "server.1=127.0.0.1:2888:3888:voter", "server.1", ErrInvalidConfig, []string{"voter"}},
		{"server too many parts", "server.1=127.0.0.1:2888:3888:observer:x", "server.1", ErrInvalidConfig, nil},
		{"server client port", "server.1=127.0.0.1:2888:3888;99999", "server.1", ErrInvalidConfig, []string{"client port"}},
		{"server client addr", "server.1=127.0.0.1:2888:3888;[::1", "server.1", ErrInvalidConfig, []string{"client address"}},
		{"server ipv6", "server.1=[::1:2888:3888", "server.1", ErrInvalidConfig, []string{"IPv6"}},
		{"admin.serverPort text", "admin.serverPort=http", "admin.serverPort", ErrInvalidConfig, []string{"not an integer"}},
		{"admin.enableServer", "admin.enableServer=yes", "admin.enableServer", ErrInvalidConfig, []string{"true or false"}},
		{"server multi address", "server.1=127.0.0.1:2888:3888|127.0.0.2:2888:3888", "server.1", ErrInvalidConfig, []string{"multiple addresses"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseZooCfg(strings.NewReader(tc.text), "")
			configErr(t, err, tc.want, tc.key, tc.fragments...)
		})
	}
}

func TestValidateErrors(t *testing.T) {
	cases := []struct {
		name, text, key string
		fragments       []string
	}{
		{"tickTime zero", "tickTime=0", "tickTime", []string{"zoo.cfg:1", `"0"`}},
		{"initLimit zero", "initLimit=0", "initLimit", nil},
		{"syncLimit negative", "syncLimit=-1", "syncLimit", nil},
		{"clientPort range", "\nclientPort=65536", "clientPort", []string{"zoo.cfg:2", "65536", "out of range"}},
		{"clientPort negative", "clientPort=-5", "clientPort", nil},
		{"min > max", "minSessionTimeout=50000\nmaxSessionTimeout=40000", "minSessionTimeout", []string{"50000", "larger", "40000"}},
		{"min > default max", "tickTime=100\nminSessionTimeout=3000", "minSessionTimeout", []string{"2000"}},
		{"min zero", "minSessionTimeout=0", "minSessionTimeout", nil},
		{"max negative", "maxSessionTimeout=-2", "maxSessionTimeout", nil},
		{"maxClientCnxns negative", "maxClientCnxns=-1", "maxClientCnxns", nil},
		{"globalOutstandingLimit zero", "globalOutstandingLimit=0", "globalOutstandingLimit", nil},
		{"jute.maxbuffer zero", "jute.maxbuffer=0", "jute.maxbuffer", nil},
		{"snapCount one", "snapCount=1", "snapCount", nil},
		{"purge negative", "autopurge.purgeInterval=-1", "autopurge.purgeInterval", nil},
		{"xds.address", "xds.address=localhost", "xds.address", []string{"host:port"}},
		{"xds.address port", "xds.address=127.0.0.1:99999", "xds.address", []string{"out of range"}},
		{"gossip.address", "gossip.address=nohost", "gossip.address", nil},
		{"gossip.seeds bad", "gossip.address=127.0.0.1:7946\ngossip.seeds=a", "gossip.seeds", nil},
		{"gossip.address name", "gossip.address=localhost:7946", "gossip.address", []string{"literal IP"}},
		{"gossip.address port", "gossip.address=127.0.0.1:70000", "gossip.address", []string{"out of range"}},
		{"gossip.keyFile missing", "gossip.address=127.0.0.1:0\ngossip.keyFile=/nonexistent/gossip.key", "gossip.keyFile", []string{"no such file"}},
		{"gossip.name space", "gossip.name=a b", "gossip.name", []string{"whitespace"}},
		{"gossip.timing", "gossip.timing=slow", "gossip.timing", []string{"lan or fast"}},
		{"zone too long", "zone=" + strings.Repeat("z", 65), "zone", []string{"64 bytes"}},
		{"region too long", "region=" + strings.Repeat("r", 65), "region", []string{"64 bytes"}},
		{"admin.serverPort", "admin.enableServer=true\nadmin.serverPort=65536", "admin.serverPort", []string{"out of range"}},
		{"log.format", "log.format=xml", "log.format", []string{"json or console"}},
		{"log.level", "log.level=loud", "log.level", nil},
		{"container check interval", "znode.container.checkIntervalMs=soon", "znode.container.checkIntervalMs", nil},
		{"no participant", "server.1=127.0.0.1:2888:3888:observer", "server.1", []string{"no participant"}},
		{"same ports", "server.1=127.0.0.1:2888:2888", "server.1", []string{"differ"}},
		{"missing myid", "server.1=127.0.0.1:2888:3888\nserver.2=127.0.0.1:2889:3889", "myid", []string{"missing"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := parse(t, tc.text)
			configErr(t, c.Validate(), ErrInvalidConfig, tc.key, tc.fragments...)
		})
	}
}

func TestValidateDefaultOrigin(t *testing.T) {
	c := DefaultConfig()
	c.TickTimeMs = -3
	configErr(t, c.Validate(), ErrInvalidConfig, "tickTime", "default", "-3")
	c = DefaultConfig()
	c.ServerID = 0
	configErr(t, c.Validate(), ErrInvalidConfig, "myid")
}

func TestRetainCountRaisedToThree(t *testing.T) {
	c := parse(t, "autopurge.snapRetainCount=1")
	if c.AutopurgeSnapRetainCount != 3 || len(c.Warnings) != 1 {
		t.Errorf("retain=%d warnings=%q", c.AutopurgeSnapRetainCount, c.Warnings)
	}
}

func writeEnsemble(t *testing.T, myid string, extra string) (cfgPath, dataDir string) {
	t.Helper()
	dir := t.TempDir()
	dataDir = filepath.Join(dir, "data")
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if myid != "" {
		if err := os.WriteFile(filepath.Join(dataDir, "myid"), []byte(myid), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfgPath = filepath.Join(dir, "zoo.cfg")
	text := "dataDir=data\n" + extra +
		"server.1=127.0.0.1:32881:33881:participant;127.0.0.1:32181\n" +
		"server.2=127.0.0.1:32882:33882\n" +
		"server.3=127.0.0.1:32883:33883:participant\n" +
		"server.4=127.0.0.1:32884:33884:observer;32184\n"
	if err := os.WriteFile(cfgPath, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return cfgPath, dataDir
}

func TestLoadZooCfgEnsemble(t *testing.T) {
	cfgPath, dataDir := writeEnsemble(t, "1\n", "")
	c, err := LoadZooCfg(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	if c.DataDir != dataDir {
		t.Errorf("relative dataDir resolved to %q, want %q", c.DataDir, dataDir)
	}
	if c.ServerID != 1 || c.Standalone() || c.Role() != PeerParticipant {
		t.Errorf("id=%d standalone=%v role=%v", c.ServerID, c.Standalone(), c.Role())
	}
	// No clientPort in the file: the member's own server line supplies it.
	if c.ClientAddr() != "127.0.0.1:32181" {
		t.Errorf("ClientAddr = %q", c.ClientAddr())
	}
	want := []string{
		"server.1=127.0.0.1:32881:33881:participant;127.0.0.1:32181",
		"server.2=127.0.0.1:32882:33882:participant",
		"server.3=127.0.0.1:32883:33883:participant",
		"server.4=127.0.0.1:32884:33884:observer;0.0.0.0:32184",
	}
	for i, s := range c.Servers {
		if s.String() != want[i] {
			t.Errorf("server %d prints %q, want %q (as ZooKeeper's conf)", i, s.String(), want[i])
		}
	}
	if s := c.Servers[0]; s.PeerAddr() != "127.0.0.1:32881" || s.ElectionAddr() != "127.0.0.1:33881" {
		t.Errorf("addrs %s %s", s.PeerAddr(), s.ElectionAddr())
	}
	if got := (ServerSpec{ID: 9, Host: "::1", PeerPort: 1, ElectionPort: 2}).String(); got != "server.9=[::1]:1:2:participant" {
		t.Errorf("IPv6 server prints %q", got)
	}
}

func TestLoadZooCfgObserverRoleFromServerLine(t *testing.T) {
	// The observer's client address in its server line is 0.0.0.0:32184 and
	// the file sets clientPortAddress=127.0.0.1: ZooKeeper refuses that.
	cfgPath, _ := writeEnsemble(t, "4", "clientPortAddress=127.0.0.1\nclientPort=32184\n")
	_, err := LoadZooCfg(cfgPath)
	configErr(t, err, ErrInvalidConfig, "server.4", "differs", "0.0.0.0:32184")

	cfgPath, _ = writeEnsemble(t, "4", "peerType=participant\n")
	c, err := LoadZooCfg(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	if c.Role() != PeerObserver || c.PeerType != PeerParticipant {
		t.Errorf("Role=%v PeerType=%v: the server line wins", c.Role(), c.PeerType)
	}
	if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "peerType=participant differs") || !strings.Contains(c.Warnings[0], "zoo.cfg:2") {
		t.Errorf("Warnings = %q, want one about peerType", c.Warnings)
	}
	if c.ClientAddr() != "0.0.0.0:32184" {
		t.Errorf("ClientAddr = %q", c.ClientAddr())
	}
}

func TestLoadZooCfgMyIDErrors(t *testing.T) {
	cfgPath, dataDir := writeEnsemble(t, "", "")
	_, err := LoadZooCfg(cfgPath)
	configErr(t, err, ErrInvalidConfig, "myid", "missing", dataDir)

	cfgPath, _ = writeEnsemble(t, "one", "")
	_, err = LoadZooCfg(cfgPath)
	configErr(t, err, ErrInvalidConfig, "myid", `"one"`, "positive integer")

	cfgPath, _ = writeEnsemble(t, "7", "")
	_, err = LoadZooCfg(cfgPath)
	configErr(t, err, ErrInvalidConfig, "myid", "no server.N line")

	if _, err := LoadZooCfg(filepath.Join(t.TempDir(), "absent.cfg")); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	// A config error from LoadZooCfg names the file, not "zoo.cfg".
	p := filepath.Join(t.TempDir(), "my.cfg")
	if err := os.WriteFile(p, []byte("tickTime=x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = LoadZooCfg(p)
	configErr(t, err, ErrInvalidConfig, "tickTime", p+":1")
}

func TestStandaloneIgnoresMyID(t *testing.T) {
	// Debian's /var/lib/zookeeper/myid holds placeholder text; ZooKeeper
	// reads myid only for an ensemble.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "myid"), []byte("replace this text with the cluster-unique zookeeper's instance id (1-255)"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := parse(t, "dataDir="+dir)
	if c.ServerID != 1 {
		t.Errorf("ServerID = %d", c.ServerID)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestSingleServerLineStandaloneEnabled(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "myid"), []byte("1"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := parse(t, "dataDir="+dir+"\nserver.1=127.0.0.1:2888:3888")
	if !c.Standalone() {
		t.Error("one server line with standaloneEnabled (default true) should be standalone")
	}
	c = parse(t, "dataDir="+dir+"\nstandaloneEnabled=false\nserver.1=127.0.0.1:2888:3888")
	if c.Standalone() {
		t.Error("standaloneEnabled=false should run an ensemble of one")
	}
}

func TestSetOverridesWithFlagOrigin(t *testing.T) {
	c := parse(t, "clientPort=2181\n")
	if err := c.Set("clientPort", "3000", "flag --client-addr"); err != nil {
		t.Fatal(err)
	}
	if c.ClientPort != 3000 {
		t.Errorf("ClientPort = %d", c.ClientPort)
	}
	err := c.Set("tickTime", "soon", "flag --tick")
	configErr(t, err, ErrInvalidConfig, "tickTime", "flag --tick")
	if err := c.Set("clientPort", "70000", "flag --client-addr"); err != nil {
		t.Fatal(err)
	}
	configErr(t, c.Validate(), ErrInvalidConfig, "clientPort", "flag --client-addr")
}

func TestServerLineOverriddenBySameID(t *testing.T) {
	c := parse(t, "server.2=127.0.0.1:1:2\nserver.1=127.0.0.1:3:4\nserver.2=127.0.0.1:5:6\n")
	if len(c.Servers) != 2 || c.Servers[0].ID != 1 || c.Servers[1].PeerPort != 5 {
		t.Errorf("Servers = %+v", c.Servers)
	}
	if c.ServerID != 0 {
		t.Errorf("ServerID = %d before myid is known, want 0", c.ServerID)
	}
	_ = zab.ServerID(0)
}

func TestNewLogger(t *testing.T) {
	var buf bytes.Buffer
	log, err := NewLogger(&buf, "", "")
	if err != nil {
		t.Fatal(err)
	}
	log.Info().Str("k", "v").Msg("hello")
	log.Debug().Msg("hidden")
	var rec map[string]any
	if err := json.Unmarshal(bytes.TrimSpace(buf.Bytes()), &rec); err != nil {
		t.Fatalf("default format on a non-terminal is not one JSON record: %q: %v", buf.String(), err)
	}
	if rec["message"] != "hello" || rec["k"] != "v" || rec["level"] != "info" || rec["time"] == nil {
		t.Errorf("record = %v", rec)
	}

	buf.Reset()
	log, err = NewLogger(&buf, "console", "debug")
	if err != nil {
		t.Fatal(err)
	}
	log.Debug().Str("k", "v").Msg("hello")
	out := buf.String()
	if strings.HasPrefix(out, "{") || !strings.Contains(out, "hello") || !strings.Contains(out, "k=v") || !strings.Contains(out, "DBG") {
		t.Errorf("console output = %q", out)
	}

	buf.Reset()
	log, err = NewLogger(&buf, "json", "WARN")
	if err != nil {
		t.Fatal(err)
	}
	log.Info().Msg("dropped")
	if buf.Len() != 0 {
		t.Errorf("warn level logged info: %q", buf.String())
	}

	if _, err := NewLogger(&buf, "xml", "info"); !errors.Is(err, ErrLogSetting) || !strings.Contains(err.Error(), "xml") {
		t.Errorf("bad format: %v", err)
	}
	if _, err := NewLogger(&buf, "json", "loud"); !errors.Is(err, ErrLogSetting) || !strings.Contains(err.Error(), "loud") {
		t.Errorf("bad level: %v", err)
	}
}

func TestIsTerminal(t *testing.T) {
	if isTerminal(&bytes.Buffer{}) {
		t.Error("a buffer is not a terminal")
	}
	f, err := os.CreateTemp(t.TempDir(), "log")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if isTerminal(f) {
		t.Error("a regular file is not a terminal")
	}
}

// FuzzParseZooCfg: any text either parses or fails with a *ConfigError
// (or a read error); a parsed config never panics in Validate.
func FuzzParseZooCfg(f *testing.F) {
	f.Add(debianZooCfg)
	f.Add("server.1=[::1]:2888:3888:observer;[::1]:2181\nserver.2=h:1:2\n")
	f.Add("tickTime=\\\n2000\nzone=\\u00e9\\\n")
	f.Add("4lw.commands.whitelist=*\njute.maxbuffer=0x10\n")
	f.Add("a\\")
	f.Add("server.1=127.0.0.1:2888:3888;")
	f.Fuzz(func(t *testing.T, text string) {
		c, err := ParseZooCfg(strings.NewReader(text), "")
		if err != nil {
			var ce *ConfigError
			if errors.As(err, &ce) && ce.Key == "" {
				t.Fatalf("ConfigError without key: %v", err)
			}
			return
		}
		_ = c.Validate()
		for _, s := range c.Servers {
			_ = s.String()
		}
	})
}

func TestLoadZooCfgOverrides(t *testing.T) {
	// Flags override the file; a --data-dir override is where myid is read.
	cfgPath, _ := writeEnsemble(t, "1", "tickTime=1000\n")
	other := t.TempDir()
	if err := os.WriteFile(filepath.Join(other, "myid"), []byte("3"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := LoadZooCfg(cfgPath,
		Override{Key: "dataDir", Value: other, Origin: "flag --data-dir"},
		Override{Key: "clientPortAddress", Value: "127.0.0.1", Origin: "flag --client-addr"},
		Override{Key: "clientPort", Value: "32183", Origin: "flag --client-addr"},
		Override{Key: "log.level", Value: "warn", Origin: "flag --log-level"})
	if err != nil {
		t.Fatal(err)
	}
	if c.DataDir != other || c.ServerID != 3 || c.TickTimeMs != 1000 || c.ClientAddr() != "127.0.0.1:32183" || c.LogLevel != "warn" {
		t.Errorf("overridden config: dir=%q id=%d tick=%d addr=%s level=%s", c.DataDir, c.ServerID, c.TickTimeMs, c.ClientAddr(), c.LogLevel)
	}
	// A bad override names the flag.
	_, err = LoadZooCfg(cfgPath, Override{Key: "clientPort", Value: "x", Origin: "flag --client-addr"})
	configErr(t, err, ErrInvalidConfig, "clientPort", "flag --client-addr")
	// An override that breaks a cross-field rule names the flag in Validate.
	_, err = LoadZooCfg(cfgPath, Override{Key: "minSessionTimeout", Value: "900000", Origin: "flag --min"})
	configErr(t, err, ErrInvalidConfig, "minSessionTimeout", "flag --min")
	// No file: defaults plus overrides.
	dir := t.TempDir()
	c, err = LoadZooCfg("", Override{Key: "dataDir", Value: dir, Origin: "flag --data-dir"})
	if err != nil {
		t.Fatal(err)
	}
	if c.DataDir != dir || c.ClientAddr() != "127.0.0.1:2181" || c.ServerID != 1 {
		t.Errorf("defaults+override: %+v", c)
	}
}

func TestRelativeDirsFollowTheFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "zoo.cfg")
	if err := os.WriteFile(p, []byte("dataDir=data\ndataLogDir=../logs\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := LoadZooCfg(p)
	if err != nil {
		t.Fatal(err)
	}
	if c.DataDir != filepath.Join(dir, "data") || c.DataLogDir != filepath.Join(filepath.Dir(dir), "logs") {
		t.Errorf("dataDir %q dataLogDir %q", c.DataDir, c.DataLogDir)
	}
	// Absolute paths are kept; without a base directory relative ones too.
	c = parse(t, "dataDir=rel\ndataLogDir=/abs\n")
	if c.DataDir != "rel" || c.DataLogDir != "/abs" {
		t.Errorf("dataDir %q dataLogDir %q", c.DataDir, c.DataLogDir)
	}
}

// TestHarnessZooCfg parses the zoo.cfg the integration harness
// (internal/zktest) writes for both Apache ZooKeeper and zkmesh.
func TestHarnessZooCfg(t *testing.T) {
	dir := t.TempDir()
	for id := 1; id <= 3; id++ {
		data := filepath.Join(dir, strconv.Itoa(id))
		if err := os.MkdirAll(data, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(data, "myid"), []byte(strconv.Itoa(id)+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		text := "tickTime=200\ninitLimit=10\nsyncLimit=5\ndataDir=" + data + "\nclientPort=2200" + strconv.Itoa(id) +
			"\nclientPortAddress=127.0.0.1\nmaxClientCnxns=0\n4lw.commands.whitelist=*\nadmin.enableServer=false\n" +
			"minSessionTimeout=400\nmaxSessionTimeout=8000\nextendedTypesEnabled=true\n" +
			"DigestAuthenticationProvider.superDigest=super:D/InIHSb7yEEbrWz8b9l71RjZJU=\n" +
			"znode.container.checkIntervalMs=100\n" +
			"server.1=127.0.0.1:23001:24001:participant\nserver.2=127.0.0.1:23002:24002:participant\nserver.3=127.0.0.1:23003:24003:participant\n"
		p := filepath.Join(data, "zoo.cfg")
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := LoadZooCfg(p)
		if err != nil {
			t.Fatalf("member %d: %v", id, err)
		}
		if int(c.ServerID) != id || c.Standalone() || c.ClientAddr() != "127.0.0.1:2200"+strconv.Itoa(id) ||
			c.containerCheckIntervalMs() != 100 || !c.ExtendedTypesEnabled() || c.MaxClientCnxnsPerIP != 0 {
			t.Errorf("member %d: %+v", id, c)
		}
	}
}

// TestReadmeDocumentsEveryKeyAndWord keeps the README's configuration
// reference and four-letter-word table in step with the code.
func TestReadmeDocumentsEveryKeyAndWord(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Skipf("README.md: %v", err)
	}
	readme := string(b)
	keys := []string{
		"dataDir", "dataLogDir", "clientPort", "clientPortAddress", "clientPortListenBacklog", "tickTime",
		"initLimit", "syncLimit", "minSessionTimeout", "maxSessionTimeout", "maxClientCnxns",
		"globalOutstandingLimit", "jute.maxbuffer", "4lw.commands.whitelist", "snapCount",
		"autopurge.snapRetainCount", "autopurge.purgeInterval", "reconfigEnabled", "standaloneEnabled",
		"electionAlg", "server.N", "peerType", "myid", "admin.enableServer", "secureClientPort",
		"dynamicConfigFile", "DigestAuthenticationProvider.superDigest", "extendedTypesEnabled", "skipACL",
		"znode.container.checkIntervalMs", "xds.address", "xds.localZone", "gossip.address", "gossip.seeds",
		"zone", "log.format", "log.level", "gossip.keyFile", "gossip.name", "gossip.timing", "region",
		"admin.serverAddress", "admin.serverPort",
	}
	for _, k := range keys {
		if !strings.Contains(readme, "`"+k+"`") {
			t.Errorf("README does not document `%s`", k)
		}
	}
	for _, w := range FourLetterWords() {
		if !strings.Contains(readme, "| `"+w+"` |") {
			t.Errorf("README's four-letter-word table lacks %s", w)
		}
	}
}
