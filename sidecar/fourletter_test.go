package sidecar

import (
	"strings"
	"testing"
	"time"
)

// The expected outputs below are what Debian's ZooKeeper 3.8.0 printed
// (/work/shared/golden/zookeeper-3.8.0-wire.txt, and a standalone server
// plus a 3-voter + 1-observer ensemble run on loopback with
// 4lw.commands.whitelist=*), with the numbers of that run fed to the
// formatter. Only the version line differs: zkmesh reports its own build
// after ZooKeeper's 3.8.0.

// allWords is a config with every word enabled, as the captures used.
func allWords(t *testing.T) *Config {
	t.Helper()
	c := parse(t, "clientPort=32181\ndataDir=/tmp/cfgeng/zk/data/version-2\n4lw.commands.whitelist=*\n")
	c.ServerID = 0 // ZooKeeper's standalone serverId, to compare with the capture
	return c
}

func ask(t *testing.T, word string, c *Config, src FourLetterSource) string {
	t.Helper()
	out, known := FourLetter(word, c, src)
	if !known {
		t.Fatalf("%s: not known", word)
	}
	return out
}

func versionLine() string { return "Zookeeper version: " + FullVersion() + "\n" }

// captured is the state of the standalone run: two sessions with watches
// and ephemerals, and the connection asking.
func captured() *StaticFourLetterSource {
	loc := time.UTC
	return &StaticFourLetterSource{
		Stats: ServerStats{
			Serving: true, Mode: "standalone", LastZxid: 0x6, NodeCount: 9,
			MinLatencyMs: 1, AvgLatencyMs: 46.0 / 11, MaxLatencyMs: 17,
			PacketsReceived: 20, PacketsSent: 20, AliveConnections: 3,
			WatchCount: 5, EphemeralsCount: 3, ApproximateDataSizeBytes: 69,
			GlobalSessions: 2, OpenFileDescriptors: 41, MaxFileDescriptors: 20000,
			UptimeMs: 32892, LastClientResponseBytes: 89, MinClientResponseBytes: 16, MaxClientResponseBytes: 89,
			DataDirBytes: 457, LogDirBytes: 457,
			LastProposalBytes: -1, MinProposalBytes: -1, MaxProposalBytes: -1,
		},
		Conns: []ConnStats{
			{RemoteAddr: "127.0.0.1:47656", InterestOps: 1, PacketsReceived: 6, PacketsSent: 6,
				SessionID: 0x100000938030000, LastOperation: "GETC", EstablishedAt: time.UnixMilli(1795429255749),
				SessionTimeoutMs: 30000, LastCxid: 5, LastZxid: 6, LastResponseMs: 627308,
				LastLatencyMs: 3, MinLatencyMs: 0, AvgLatencyMs: 6, MaxLatencyMs: 17},
			{RemoteAddr: "127.0.0.1:47660", InterestOps: 1, PacketsReceived: 5, PacketsSent: 5,
				SessionID: 0x100000938030001, LastOperation: "GETD", EstablishedAt: time.UnixMilli(1795429255785),
				SessionTimeoutMs: 10000, LastCxid: 4, LastZxid: 6, LastResponseMs: 627313,
				LastLatencyMs: 1, MinLatencyMs: 0, AvgLatencyMs: 1, MaxLatencyMs: 2},
			{RemoteAddr: "127.0.0.1:47666", PacketsReceived: 1},
		},
		Watches: map[int64][]string{
			0x100000938030000: {"/svc"},
			0x100000938030001: {"/svc/e1", "/svc", "/nope"},
		},
		Ephemerals: map[int64][]string{
			0x100000938030000: {"/svc/e2", "/svc/e1"},
			0x100000938030001: {"/b1"},
		},
		Sessions: []SessionBucket{
			{ExpireAt: time.Date(2026, 11, 23, 10, 21, 26, 0, loc), SessionIDs: []int64{0x100000938030000}},
			{ExpireAt: time.Date(2026, 11, 23, 10, 21, 6, 0, loc), SessionIDs: []int64{0x100000938030001}},
		},
		ConnExpiry: []ConnBucket{
			{ExpireAt: time.Date(2026, 11, 23, 10, 21, 8, 0, loc), Conns: []ConnRef{
				{RemoteAddr: "127.0.0.1:47732"}, {RemoteAddr: "127.0.0.1:47660", SessionID: 0x100000938030001}}},
			{ExpireAt: time.Date(2026, 11, 23, 10, 21, 28, 0, loc), Conns: []ConnRef{
				{RemoteAddr: "127.0.0.1:47656", SessionID: 0x100000938030000}}},
		},
		Env: []EnvEntry{{"host.name", "localhost"}, {"os.name", "Linux"}},
	}
}

func check(t *testing.T, word, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("%s:\n got %q\nwant %q", word, got, want)
	}
}

func TestStatAndSrvr(t *testing.T) {
	c, src := allWords(t), captured()
	tail := "Latency min/avg/max: 1/4.1818/17\nReceived: 20\nSent: 20\nConnections: 3\nOutstanding: 0\nZxid: 0x6\nMode: standalone\nNode count: 9\n"
	check(t, "srvr", ask(t, "srvr", c, src), versionLine()+tail)
	check(t, "stat", ask(t, "stat", c, src), versionLine()+"Clients:\n"+
		" /127.0.0.1:47656[1](queued=0,recved=6,sent=6)\n"+
		" /127.0.0.1:47660[1](queued=0,recved=5,sent=5)\n"+
		" /127.0.0.1:47666[0](queued=0,recved=1,sent=0)\n\n"+tail)
}

func TestStatFreshServer(t *testing.T) {
	c := allWords(t)
	src := &StaticFourLetterSource{Stats: ServerStats{Serving: true, Mode: "standalone", NodeCount: 5, PacketsReceived: 3, PacketsSent: 2, AliveConnections: 1}}
	check(t, "srvr", ask(t, "srvr", c, src), versionLine()+
		"Latency min/avg/max: 0/0.0/0\nReceived: 3\nSent: 2\nConnections: 1\nOutstanding: 0\nZxid: 0x0\nMode: standalone\nNode count: 5\n")
}

func TestStatLeaderAndReadOnly(t *testing.T) {
	c := allWords(t)
	src := &StaticFourLetterSource{Stats: ServerStats{Serving: true, Mode: "leader", LastZxid: 0x100000000, NodeCount: 5,
		PacketsReceived: 1, AliveConnections: 1, LastProposalBytes: -1, MinProposalBytes: -1, MaxProposalBytes: -1}}
	check(t, "srvr leader", ask(t, "srvr", c, src), versionLine()+
		"Latency min/avg/max: 0/0.0/0\nReceived: 1\nSent: 0\nConnections: 1\nOutstanding: 0\nZxid: 0x100000000\nMode: leader\nNode count: 5\nProposal sizes last/min/max: -1/-1/-1\n")
	src.Stats = ServerStats{Serving: true, ReadOnly: true, Mode: "read-only"}
	out := ask(t, "srvr", c, src)
	if !strings.HasPrefix(out, versionLine()+"READ-ONLY mode; serving only read-only clients\nLatency") {
		t.Errorf("read-only srvr: %q", out)
	}
	if got := ask(t, "isro", c, src); got != "ro" {
		t.Errorf("isro = %q", got)
	}
}

func TestCons(t *testing.T) {
	c, src := allWords(t), captured()
	check(t, "cons", ask(t, "cons", c, src),
		" /127.0.0.1:47656[1](queued=0,recved=6,sent=6,sid=0x100000938030000,lop=GETC,est=1795429255749,to=30000,lcxid=0x5,lzxid=0x6,lresp=627308,llat=3,minlat=0,avglat=6,maxlat=17)\n"+
			" /127.0.0.1:47660[1](queued=0,recved=5,sent=5,sid=0x100000938030001,lop=GETD,est=1795429255785,to=10000,lcxid=0x4,lzxid=0x6,lresp=627313,llat=1,minlat=0,avglat=1,maxlat=2)\n"+
			" /127.0.0.1:47666[0](queued=0,recved=1,sent=0)\n\n")
	// Only the asking connection (golden capture).
	src.Conns = []ConnStats{{RemoteAddr: "127.0.0.1:50262", PacketsReceived: 1}}
	check(t, "cons", ask(t, "cons", c, src), " /127.0.0.1:50262[0](queued=0,recved=1,sent=0)\n\n")
	// No last cxid yet, after crst: lcxid is left out, lzxid is -1, lop NA.
	src.Conns = []ConnStats{{RemoteAddr: "127.0.0.1:1", InterestOps: 5, SessionID: 1, EstablishedAt: time.UnixMilli(7), SessionTimeoutMs: 4000}}
	src.ResetConnStats()
	check(t, "cons after crst", ask(t, "cons", c, src),
		" /127.0.0.1:1[5](queued=0,recved=0,sent=0,sid=0x1,lop=NA,est=7,to=4000,lzxid=0xffffffffffffffff,lresp=0,llat=0,minlat=0,avglat=0,maxlat=0)\n\n")
}

func TestWatchWords(t *testing.T) {
	c, src := allWords(t), captured()
	check(t, "wchs", ask(t, "wchs", c, src), "2 connections watching 3 paths\nTotal watches:4\n")
	// ZooKeeper prints sessions and paths in hash order; zkmesh sorts them.
	check(t, "wchc", ask(t, "wchc", c, src), "0x100000938030000\n\t/svc\n0x100000938030001\n\t/nope\n\t/svc\n\t/svc/e1\n\n")
	check(t, "wchp", ask(t, "wchp", c, src), "/nope\n\t0x100000938030001\n/svc\n\t0x100000938030000\n\t0x100000938030001\n/svc/e1\n\t0x100000938030001\n\n")
	src.Watches = nil
	check(t, "wchs empty", ask(t, "wchs", c, src), "0 connections watching 0 paths\nTotal watches:0\n")
	check(t, "wchc empty", ask(t, "wchc", c, src), "\n")
	check(t, "wchp empty", ask(t, "wchp", c, src), "\n")
}

func TestDump(t *testing.T) {
	c, src := allWords(t), captured()
	check(t, "dump", ask(t, "dump", c, src), "SessionTracker dump:\n"+
		"Session Sets (2)/(2):\n"+
		"1 expire at Mon Nov 23 10:21:06 UTC 2026:\n\t0x100000938030001\n"+
		"1 expire at Mon Nov 23 10:21:26 UTC 2026:\n\t0x100000938030000\n"+
		"ephemeral nodes dump:\n"+
		"Sessions with Ephemerals (2):\n"+
		"0x100000938030000:\n\t/svc/e1\n\t/svc/e2\n"+
		"0x100000938030001:\n\t/b1\n"+
		"Connections dump:\n"+
		"Connections Sets (2)/(3):\n"+
		"2 expire at Mon Nov 23 10:21:08 UTC 2026:\n\tip: /127.0.0.1:47732 sessionId: 0x0\n\tip: /127.0.0.1:47660 sessionId: 0x100000938030001\n"+
		"1 expire at Mon Nov 23 10:21:28 UTC 2026:\n\tip: /127.0.0.1:47656 sessionId: 0x100000938030000\n")

	// The golden capture: empty connection buckets still print.
	at := func(s int) time.Time { return time.Date(2026, 11, 23, 9, 0, s, 0, time.UTC) }
	src = &StaticFourLetterSource{
		Stats:      ServerStats{Serving: true, Mode: "standalone"},
		Sessions:   []SessionBucket{{at(39), []int64{0x1000040fd0d0001}}, {at(43), []int64{0x1000040fd0d0002, 0x1000040fd0d0003}}},
		Ephemerals: map[int64][]string{0x1000040fd0d0002: {"/ctr/a"}},
		ConnExpiry: []ConnBucket{{at(49), nil}, {at(29), nil}, {at(39), []ConnRef{{RemoteAddr: "127.0.0.1:50292"}}}},
	}
	check(t, "dump golden", ask(t, "dump", c, src), `SessionTracker dump:
Session Sets (2)/(3):
1 expire at Mon Nov 23 09:00:39 UTC 2026:
	0x1000040fd0d0001
2 expire at Mon Nov 23 09:00:43 UTC 2026:
	0x1000040fd0d0002
	0x1000040fd0d0003
ephemeral nodes dump:
Sessions with Ephemerals (1):
0x1000040fd0d0002:
	/ctr/a
Connections dump:
Connections Sets (3)/(1):
0 expire at Mon Nov 23 09:00:29 UTC 2026:
1 expire at Mon Nov 23 09:00:39 UTC 2026:
	ip: /127.0.0.1:50292 sessionId: 0x0
0 expire at Mon Nov 23 09:00:49 UTC 2026:
`)
}

func TestConfStandalone(t *testing.T) {
	c, src := allWords(t), captured()
	check(t, "conf", ask(t, "conf", c, src), "clientPort=32181\nsecureClientPort=-1\n"+
		"dataDir=/tmp/cfgeng/zk/data/version-2\ndataDirSize=457\n"+
		"dataLogDir=/tmp/cfgeng/zk/data/version-2\ndataLogSize=457\n"+
		"tickTime=2000\nmaxClientCnxns=60\nminSessionTimeout=4000\nmaxSessionTimeout=40000\n"+
		"clientPortListenBacklog=-1\nserverId=0\n")
}

const ensembleCfg = "dataDir=/tmp/cfgeng/ens/4/data/version-2\n4lw.commands.whitelist=*\n" +
	"clientPortAddress=127.0.0.1\nclientPort=32184\n" +
	"server.1=127.0.0.1:32881:33881:participant;127.0.0.1:32181\n" +
	"server.2=127.0.0.1:32882:33882\n" +
	"server.3=127.0.0.1:32883:33883:participant\n" +
	"server.4=127.0.0.1:32884:33884:observer;127.0.0.1:32184\n"

func TestConfEnsembleObserver(t *testing.T) {
	c := parse(t, ensembleCfg)
	c.ServerID = 4
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	src := &StaticFourLetterSource{Stats: ServerStats{Serving: true, Mode: "observer", DataDirBytes: 1336, LogDirBytes: 1336}}
	check(t, "conf", ask(t, "conf", c, src), "clientPort=32184\nsecureClientPort=-1\n"+
		"dataDir=/tmp/cfgeng/ens/4/data/version-2\ndataDirSize=1336\n"+
		"dataLogDir=/tmp/cfgeng/ens/4/data/version-2\ndataLogSize=1336\n"+
		"tickTime=2000\nmaxClientCnxns=60\nminSessionTimeout=4000\nmaxSessionTimeout=40000\n"+
		"clientPortListenBacklog=-1\nserverId=4\n"+
		"initLimit=10\nsyncLimit=5\nelectionAlg=3\nelectionPort=33884\nquorumPort=32884\npeerType=1\n"+
		"membership: \n"+
		"server.1=127.0.0.1:32881:33881:participant;127.0.0.1:32181\n"+
		"server.2=127.0.0.1:32882:33882:participant\n"+
		"server.3=127.0.0.1:32883:33883:participant\n"+
		"server.4=127.0.0.1:32884:33884:observer;127.0.0.1:32184\n"+
		"version=0")

	// The membership the server reports (after a reconfig) wins over the file.
	src.Stats.Members = c.Servers[:2]
	src.Stats.ConfigVersion = 0x100000003
	out := ask(t, "conf", c, src)
	if !strings.HasSuffix(out, "membership: \nserver.1=127.0.0.1:32881:33881:participant;127.0.0.1:32181\nserver.2=127.0.0.1:32882:33882:participant\nversion=100000003") {
		t.Errorf("conf after reconfig: %q", out)
	}
}

// mntr key order of ZooKeeper 3.8.0 (non-summary keys), as printed by a
// leader and an observer of the capture ensemble.
var (
	zkMntrLeader = strings.Fields(`version server_state peer_state ephemerals_count num_alive_connections avg_latency
		min_proposal_size outstanding_requests znode_count global_sessions non_mtls_remote_conn_count
		last_client_response_size packets_sent packets_received max_proposal_size max_client_response_size
		synced_followers connection_drop_probability watch_count synced_non_voting_followers synced_observers
		auth_failed_count min_latency max_file_descriptor_count approximate_data_size open_file_descriptor_count
		last_proposal_size pending_syncs leader_uptime local_sessions uptime max_latency outstanding_tls_handshake
		learners min_client_response_size non_mtls_local_conn_count quorum_size`)
	zkMntrObserver = strings.Fields(`version server_state peer_state observer_master_id ephemerals_count
		num_alive_connections avg_latency outstanding_requests znode_count global_sessions non_mtls_remote_conn_count
		last_client_response_size packets_sent packets_received max_client_response_size connection_drop_probability
		watch_count auth_failed_count min_latency max_file_descriptor_count approximate_data_size
		open_file_descriptor_count local_sessions uptime max_latency outstanding_tls_handshake
		min_client_response_size non_mtls_local_conn_count quorum_size`)
)

func mntrKeys(t *testing.T, out string) (keys []string, values map[string]string) {
	t.Helper()
	values = map[string]string{}
	if !strings.HasSuffix(out, "\n") {
		t.Fatalf("mntr does not end in a newline: %q", out)
	}
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		k, v, ok := strings.Cut(line, "\t")
		if !ok || !strings.HasPrefix(k, "zk_") {
			t.Fatalf("mntr line %q is not zk_<key>\\t<value>", line)
		}
		keys = append(keys, strings.TrimPrefix(k, "zk_"))
		values[strings.TrimPrefix(k, "zk_")] = v
	}
	return keys, values
}

func TestMntrStandalone(t *testing.T) {
	c, src := allWords(t), captured()
	keys, v := mntrKeys(t, ask(t, "mntr", c, src))
	// Standalone prints the leader's keys minus leader-only and quorum keys.
	var want []string
	for _, k := range zkMntrLeader {
		switch k {
		case "peer_state", "min_proposal_size", "max_proposal_size", "synced_followers", "synced_non_voting_followers",
			"synced_observers", "last_proposal_size", "pending_syncs", "leader_uptime", "learners", "quorum_size":
			continue
		}
		want = append(want, k)
	}
	check(t, "mntr keys", strings.Join(keys, " "), strings.Join(want, " "))
	for k, w := range map[string]string{
		"version": FullVersion(), "server_state": "standalone", "ephemerals_count": "3", "num_alive_connections": "3",
		"avg_latency": "4.1818", "znode_count": "9", "global_sessions": "2", "watch_count": "5",
		"approximate_data_size": "69", "packets_sent": "20", "packets_received": "20", "min_latency": "1",
		"max_latency": "17", "uptime": "32892", "connection_drop_probability": "0.0", "open_file_descriptor_count": "41",
		"max_file_descriptor_count": "20000", "last_client_response_size": "89", "min_client_response_size": "16",
		"max_client_response_size": "89", "local_sessions": "0", "outstanding_requests": "0",
	} {
		if v[k] != w {
			t.Errorf("zk_%s = %q, want %q", k, v[k], w)
		}
	}
}

func TestMntrLeaderAndObserver(t *testing.T) {
	c := parse(t, ensembleCfg)
	c.ServerID = 3
	src := &StaticFourLetterSource{Stats: ServerStats{Serving: true, Mode: "leader", PeerState: "leading - broadcast",
		QuorumSize: 3, Learners: 2, SyncedFollowers: 2, LeaderUptimeMs: 12670,
		LastProposalBytes: -1, MinProposalBytes: -1, MaxProposalBytes: -1}}
	keys, v := mntrKeys(t, ask(t, "mntr", c, src))
	check(t, "leader keys", strings.Join(keys, " "), strings.Join(zkMntrLeader, " "))
	if v["peer_state"] != "leading - broadcast" || v["quorum_size"] != "3" || v["learners"] != "2" ||
		v["synced_followers"] != "2" || v["leader_uptime"] != "12670" || v["min_proposal_size"] != "-1" {
		t.Errorf("leader values %v", v)
	}
	src.Stats = ServerStats{Serving: true, Mode: "observer", PeerState: "observing - broadcast", QuorumSize: 3, ObserverMasterID: 3}
	keys, v = mntrKeys(t, ask(t, "mntr", c, src))
	check(t, "observer keys", strings.Join(keys, " "), strings.Join(zkMntrObserver, " "))
	if v["observer_master_id"] != "3" {
		t.Errorf("observer_master_id = %q", v["observer_master_id"])
	}
}

func TestNotServing(t *testing.T) {
	c := allWords(t)
	src := &StaticFourLetterSource{Stats: ServerStats{Serving: false, Mode: "follower"}, Env: []EnvEntry{{"host.name", "h"}}}
	for _, w := range []string{"srvr", "stat", "mntr", "conf", "cons", "crst", "srst", "dirs", "wchs", "wchc", "wchp", "dump"} {
		check(t, w, ask(t, w, c, src), "This ZooKeeper instance is not currently serving requests\n")
	}
	if src.ServerResets != 0 || src.ConnResets != 0 {
		t.Error("reset while not serving")
	}
	check(t, "isro", ask(t, "isro", c, src), "null")
	check(t, "ruok", ask(t, "ruok", c, src), "imok")
	check(t, "envi", ask(t, "envi", c, src), "Environment:\nzookeeper.version="+FullVersion()+"\nhost.name=h\n")
}

func TestSmallWords(t *testing.T) {
	c, src := allWords(t), captured()
	check(t, "ruok", ask(t, "ruok", c, src), "imok")
	check(t, "isro", ask(t, "isro", c, src), "rw")
	check(t, "gtmk", ask(t, "gtmk", c, src), "306")
	check(t, "dirs", ask(t, "dirs", c, src), "datadir_size: 457\nlogdir_size: 457\n")
	check(t, "envi", ask(t, "envi", c, src), "Environment:\nzookeeper.version="+FullVersion()+"\nhost.name=localhost\nos.name=Linux\n")
	check(t, "telnet close", ask(t, "\xff\xf4\xff\xfd", c, src), "")

	check(t, "srst", ask(t, "srst", c, src), "Server stats reset.\n")
	if src.ServerResets != 1 || src.Stats.PacketsReceived != 0 || src.Stats.MaxClientResponseBytes != -1 {
		t.Errorf("srst did not reset: %+v", src.Stats)
	}
	check(t, "crst", ask(t, "crst", c, src), "Connection stats reset.\n")
	if src.ConnResets != 1 || src.Conns[0].PacketsSent != 0 || src.Conns[0].LastOperation != "NA" {
		t.Errorf("crst did not reset: %+v", src.Conns[0])
	}
}

func TestWhitelist(t *testing.T) {
	c := DefaultConfig() // ZooKeeper 3.8's default: srvr only
	src := captured()
	for _, w := range FourLetterWords() {
		out := ask(t, w, c, src)
		if w == "srvr" {
			if !strings.HasPrefix(out, "Zookeeper version: ") {
				t.Errorf("srvr is always enabled, got %q", out)
			}
			continue
		}
		check(t, w, out, w+" is not executed because it is not in the whitelist.\n")
	}
	check(t, "telnet close", ask(t, "\xff\xf4\xff\xfd", c, src), "telnet close is not executed because it is not in the whitelist.\n")
	if src.ServerResets != 0 || src.ConnResets != 0 {
		t.Error("a word outside the whitelist ran")
	}
	c = parse(t, "4lw.commands.whitelist=ruok,stat")
	check(t, "ruok", ask(t, "ruok", c, src), "imok")
	check(t, "mntr", ask(t, "mntr", c, src), "mntr is not executed because it is not in the whitelist.\n")
}

func TestUnknownWords(t *testing.T) {
	c, src := allWords(t), captured()
	// icfg and sysp came after 3.8.0; stmk needs an argument zkmesh does not read.
	for _, w := range []string{"xxxx", "icfg", "sysp", "stmk", "RUOK", "ruo", "ruokk", "\x00\x00\x00\x2c", ""} {
		if out, known := FourLetter(w, c, src); known || out != "" {
			t.Errorf("FourLetter(%q) = %q, %v; want unknown", w, out, known)
		}
	}
	want := "conf cons crst dirs dump envi gtmk isro mntr ruok srst srvr stat wchc wchp wchs"
	if got := strings.Join(FourLetterWords(), " "); got != want {
		t.Errorf("FourLetterWords = %q", got)
	}
}

func TestFullVersion(t *testing.T) {
	v := FullVersion()
	if !strings.HasPrefix(v, "3.8.0-zkmesh-"+Version) || !strings.Contains(v, ", built on ") {
		t.Errorf("FullVersion = %q", v)
	}
	old := [3]string{Version, GitCommit, BuildDate}
	defer func() { Version, GitCommit, BuildDate = old[0], old[1], old[2] }()
	Version, GitCommit, BuildDate = "1.2.3", "0123456789abcdef0123", "2026-11-23 10:00 UTC"
	check(t, "FullVersion", FullVersion(), "3.8.0-zkmesh-1.2.3-0123456789ab, built on 2026-11-23 10:00 UTC")
	if Commit() != "0123456789abcdef0123" {
		t.Errorf("Commit = %q", Commit())
	}
}

func TestJavaDouble(t *testing.T) {
	for in, want := range map[float64]string{
		0: "0.0", 1: "1.0", 2.9091: "2.9091", 4.1818: "4.1818", 3.1667: "3.1667", 19: "19.0",
		1e7: "1.0E7", 12345678.9: "1.23456789E7", 0.0001: "1.0E-4", 0.001: "0.001", -2.5: "-2.5",
	} {
		if got := javaDouble(in); got != want {
			t.Errorf("javaDouble(%v) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[float64]float64{46.0 / 11: 4.1818, 19.0 / 6: 3.1667, 2.90905: 2.9091, 0: 0} {
		if got := round4(in); got != want {
			t.Errorf("round4(%v) = %v, want %v", in, got, want)
		}
	}
}

func TestProcessEnvironment(t *testing.T) {
	env := ProcessEnvironment()
	got := map[string]string{}
	for _, e := range env {
		got[e.Key] = e.Value
	}
	for _, k := range []string{"host.name", "go.version", "os.name", "os.arch", "user.name", "user.dir", "os.memory.total"} {
		if got[k] == "" {
			t.Errorf("%s missing from %v", k, env)
		}
	}
	if !strings.HasSuffix(got["os.memory.total"], "MB") {
		t.Errorf("os.memory.total = %q", got["os.memory.total"])
	}
}

// FuzzFourLetter: the first four bytes of any connection either are a word
// (answered, never panicking, whatever the source holds) or are not.
func FuzzFourLetter(f *testing.F) {
	for _, w := range FourLetterWords() {
		f.Add(w)
	}
	f.Add("\xff\xf4\xff\xfd")
	f.Add("\x00\x00\x00\x2c")
	f.Add("xxxx")
	c := DefaultConfig()
	c.FourLetterWhitelist = []string{"*"}
	f.Fuzz(func(t *testing.T, word string) {
		src := captured()
		out, known := FourLetter(word, c, src)
		_, isWord := fourLetterWords[word]
		if known != isWord {
			t.Fatalf("FourLetter(%q) known=%v, want %v", word, known, isWord)
		}
		if !known && out != "" {
			t.Fatalf("unknown word %q answered %q", word, out)
		}
		src.Stats.Serving = false
		FourLetter(word, c, src)
		FourLetter(word, c, &StaticFourLetterSource{})
	})
}
