package sidecar

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/rs/zerolog"

	"github.com/zkmesh/zkmesh/discovery"
	"github.com/zkmesh/zkmesh/zab"
)

func TestGossipConfigDefaults(t *testing.T) {
	c := DefaultConfig()
	if c.GossipEnabled() || c.AdminEnabled() {
		t.Fatalf("default config: gossip %v admin %v, want both off", c.GossipEnabled(), c.AdminEnabled())
	}
	// --join alone turns gossip on, on the default address, and with it
	// the admin server on its default address.
	c, err := LoadZooCfg("", Override{Key: "dataDir", Value: t.TempDir(), Origin: "flag --data-dir"},
		Override{Key: "gossip.seeds", Value: "10.0.0.1:7946, 10.0.0.2:7946", Origin: "flag --join"})
	if err != nil {
		t.Fatal(err)
	}
	if !c.GossipEnabled() || c.GossipBindAddr() != "0.0.0.0:7946" || len(c.GossipSeeds) != 2 {
		t.Fatalf("--join only: enabled %v bind %q seeds %q", c.GossipEnabled(), c.GossipBindAddr(), c.GossipSeeds)
	}
	if !c.AdminEnabled() || c.AdminAddr() != "127.0.0.1:8080" {
		t.Fatalf("admin with gossip: %v %q", c.AdminEnabled(), c.AdminAddr())
	}
	if c.GossipTimingProfile() != discovery.LANTiming() {
		t.Errorf("default timing is not LAN")
	}
	if !strings.HasSuffix(c.GossipNodeName(), "-1") {
		t.Errorf("default node name %q does not end in the server id", c.GossipNodeName())
	}
	// admin.enableServer given wins either way.
	c = parse(t, "gossip.address=127.0.0.1:7946\nadmin.enableServer=false\ngossip.timing=fast\ngossip.name=n1")
	if c.AdminEnabled() || c.GossipTimingProfile() != discovery.FastTiming() || c.GossipNodeName() != "n1" {
		t.Errorf("admin %v timing %+v name %q", c.AdminEnabled(), c.GossipTimingProfile(), c.GossipNodeName())
	}
	c = parse(t, "admin.enableServer=true\nadmin.serverPort=0")
	if c.GossipEnabled() || !c.AdminEnabled() || c.AdminAddr() != "127.0.0.1:0" {
		t.Errorf("admin without gossip: gossip %v admin %v %q", c.GossipEnabled(), c.AdminEnabled(), c.AdminAddr())
	}
	// Flag values that are wrong name the key and the flag.
	_, err = LoadZooCfg("", Override{Key: "dataDir", Value: t.TempDir(), Origin: "flag --data-dir"},
		Override{Key: "gossip.seeds", Value: "10.0.0.1", Origin: "flag --join"})
	configErr(t, err, ErrInvalidConfig, "gossip.seeds", "flag --join", "host:port")
	_, err = LoadZooCfg("", Override{Key: "dataDir", Value: t.TempDir(), Origin: "flag --data-dir"},
		Override{Key: "gossip.keyFile", Value: t.TempDir(), Origin: "flag --gossip-key-file"})
	configErr(t, err, ErrInvalidConfig, "gossip.keyFile", "flag --gossip-key-file")
}

func TestZxidLag(t *testing.T) {
	z := func(epoch, counter uint32) int64 { return int64(zab.Zxid(uint64(epoch)<<32 | uint64(counter))) }
	cases := []struct {
		ref, zxid     int64
		lag, lagEpoch int64
	}{
		{z(1, 10), z(1, 10), 0, 0},
		{z(1, 10), z(1, 7), 3, 0},
		{z(1, 10), z(1, 12), 0, 0},
		{z(3, 1), z(1, 7), z(3, 1) - z(1, 7), 2},
		{0, 0, 0, 0},
	}
	for _, tc := range cases {
		lag, ep := zxidLag(tc.ref, tc.zxid)
		if lag != tc.lag || ep != tc.lagEpoch {
			t.Errorf("zxidLag(%#x, %#x) = %d, %d; want %d, %d", tc.ref, tc.zxid, lag, ep, tc.lag, tc.lagEpoch)
		}
	}
}

// getMembers asks a server's admin HTTP server, as `zkmesh members` does.
func getMembers(t *testing.T, s *Server) MembersReport {
	t.Helper()
	a := s.AdminAddr()
	if a == nil {
		t.Fatal("admin server not running")
	}
	resp, err := http.Get("http://" + a.String() + "/commands/members")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /commands/members: %s %q: %s", resp.Status, resp.Header.Get("Content-Type"), body)
	}
	var r MembersReport
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	return r
}

// waitMembers polls member s's admin server until cond holds for its report.
func waitMembers(t *testing.T, s *Server, what string, cond func(MembersReport) bool) MembersReport {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		r := getMembers(t, s)
		if cond(r) {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("not %s after 20s: %+v", what, r)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestGossipEnsemble runs three voters and an observer that gossip on
// loopback: each lists the others with their ids, roles, zones and client
// addresses, the leader is marked, the advertised zxid follows writes,
// mntr prints the gossip figures, and a stopped member is recorded as left.
func TestGossipEnsemble(t *testing.T) {
	const n = 4
	var servers []ServerSpec
	for i := 1; i <= n; i++ {
		role := PeerParticipant
		if i == n {
			role = PeerObserver
		}
		servers = append(servers, ServerSpec{ID: zab.ServerID(i), Host: "127.0.0.1", PeerPort: freePort(t), ElectionPort: freePort(t), Role: role})
	}
	ms := make([]*member, n)
	var seed string
	for i := range ms {
		m := &member{id: i + 1, dir: t.TempDir()}
		s, addr, stop := startStoppable(t, m.dir, func(c *Config) {
			c.Servers = servers
			c.ServerID = zab.ServerID(m.id)
			c.StandaloneEnabled = false
			c.GossipAddress = "127.0.0.1:0"
			c.GossipTiming = "fast"
			c.GossipName = fmt.Sprintf("m%d", m.id)
			c.Zone = fmt.Sprintf("zone-%c", 'a'+i%2)
			c.Region = "r1"
			c.AdminServerPort = 0
			c.FourLetterWhitelist = []string{"mntr"}
			if seed != "" {
				c.GossipSeeds = []string{seed}
			}
		})
		m.srv, m.addr, m.stop = s, addr, stop
		t.Cleanup(stop)
		ms[i] = m
		if seed == "" {
			seed = s.GossipAddr()
		}
	}
	waitServing(t, ms...)

	allSeen := func(r MembersReport) bool {
		if len(r.Members) != n || r.LeaderID == 0 {
			return false
		}
		for _, m := range r.Members {
			if m.State != "alive" {
				return false
			}
		}
		return true
	}
	for _, m := range ms {
		r := waitMembers(t, m.srv, "seeing every member", allSeen)
		if !r.Gossip || r.Local != fmt.Sprintf("m%d", m.id) {
			t.Errorf("member %d: gossip %v local %q", m.id, r.Gossip, r.Local)
		}
		leaders := 0
		for i, mr := range r.Members {
			id := i + 1
			wantRole := "voter"
			if id == n {
				wantRole = "observer"
			}
			if mr.Name != fmt.Sprintf("m%d", id) || mr.ServerID != uint64(id) || mr.Role != wantRole ||
				mr.Zone != fmt.Sprintf("zone-%c", 'a'+(id-1)%2) || mr.Region != "r1" || mr.Version != Version ||
				mr.ClientAddr != ms[i].addr || mr.PeerAddr != servers[i].PeerAddr() || mr.XDSAddr == "" ||
				mr.Local != (id == m.id) || mr.GossipAddr != ms[i].srv.GossipAddr() {
				t.Errorf("member %d lists %+v", m.id, mr)
			}
			if mr.Leader {
				leaders++
				if mr.ServerID != r.LeaderID {
					t.Errorf("member %d marks %d leader, leader id %d", m.id, mr.ServerID, r.LeaderID)
				}
			}
		}
		if leaders != 1 {
			t.Errorf("member %d marks %d leaders", m.id, leaders)
		}
	}

	// Writes move every member's advertised zxid; once applied everywhere
	// the lags are 0 and the reference is the last write's zxid.
	c, _ := connect(t, ms[0].addr)
	var last int64
	for i := 0; i < 5; i++ {
		if _, err := c.Create(fmt.Sprintf("/g%d", i), nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
			t.Fatal(err)
		}
	}
	_, st, err := c.Get("/g4")
	if err != nil {
		t.Fatal(err)
	}
	last = st.Mzxid
	for _, m := range ms {
		waitMembers(t, m.srv, "seeing the last write everywhere", func(r MembersReport) bool {
			if r.ReferenceZxid < last {
				return false
			}
			for _, mr := range r.Members {
				if mr.Zxid < last || mr.Lag != 0 {
					return false
				}
			}
			return true
		})
	}

	// mntr carries the gossip figures. (A loaded machine may cost a member
	// its leader for a moment; mntr then answers "not serving".)
	out := fourLetterTCP(t, ms[1].addr, "mntr")
	for end := time.Now().Add(20 * time.Second); strings.Contains(out, "not currently serving") && time.Now().Before(end); {
		time.Sleep(20 * time.Millisecond)
		out = fourLetterTCP(t, ms[1].addr, "mntr")
	}
	for _, want := range []string{"zk_gossip_members\t4\n", "zk_gossip_alive\t4\n", "zk_gossip_suspect\t0\n", "zk_gossip_dead\t0\n",
		"zk_gossip_voters\t3\n", "zk_gossip_observers\t1\n", "zk_gossip_refused\t0\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("mntr lacks %q:\n%s", want, out)
		}
	}

	// A member that stops leaves: the others record it as left, not dead.
	ms[n-1].stop()
	for _, m := range ms[:n-1] {
		waitMembers(t, m.srv, "seeing the observer leave", func(r MembersReport) bool {
			for _, mr := range r.Members {
				if mr.ServerID == n {
					return mr.State == "left"
				}
			}
			return false
		})
	}

	// Unknown admin commands answer 404 in JSON.
	resp, err := http.Get("http://" + ms[0].srv.AdminAddr().String() + "/commands/ruok")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), `"error"`) {
		t.Errorf("unknown command: %s %s", resp.Status, body)
	}
}

// TestAdminWithoutGossip runs the admin server alone: members reports no
// gossip, and mntr prints no gossip figures.
func TestAdminWithoutGossip(t *testing.T) {
	s, addr := startServer(t, t.TempDir(), func(c *Config) {
		c.AdminEnableServer = true
		c.setOrigin("admin.enableServer", "test")
		c.AdminServerPort = 0
		c.FourLetterWhitelist = []string{"mntr"}
	})
	r := getMembers(t, s)
	if r.Gossip || len(r.Members) != 0 || r.Command != "members" || r.Error != nil {
		t.Errorf("report %+v", r)
	}
	if out := fourLetterTCP(t, addr, "mntr"); strings.Contains(out, "gossip") {
		t.Errorf("mntr without gossip prints gossip figures:\n%s", out)
	}
}

// TestAdminPortTakenIsFatalWhenConfigured: a configured admin address that
// is taken stops startup, naming admin.serverPort.
func TestAdminPortTakenIsFatalWhenConfigured(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.ClientPort = 0
	cfg.XDSAddress = "127.0.0.1:0"
	port := l.Addr().(*net.TCPAddr).Port
	if err := cfg.Set("admin.enableServer", "true", "zoo.cfg:1"); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Set("admin.serverPort", fmt.Sprint(port), "zoo.cfg:2"); err != nil {
		t.Fatal(err)
	}
	s, err := New(cfg, zerolog.New(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	err = s.Run(t.Context())
	configErr(t, err, ErrInvalidConfig, "admin.serverPort", "zoo.cfg:2", "address already in use")
}

// fourLetterTCP sends word to the client port at addr and returns the answer.
func fourLetterTCP(t *testing.T, addr, word string) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte(word)); err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestGossipPortTakenIsFatal: a gossip address in use stops startup with
// an error naming gossip.address and where it was set.
func TestGossipPortTakenIsFatal(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.ClientPort = 0
	cfg.XDSAddress = "127.0.0.1:0"
	if err := cfg.Set("gossip.address", l.Addr().String(), "flag --gossip-addr"); err != nil {
		t.Fatal(err)
	}
	s, err := New(cfg, zerolog.New(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	err = s.Run(t.Context())
	configErr(t, err, ErrInvalidConfig, "gossip.address", "flag --gossip-addr", l.Addr().String())
}
