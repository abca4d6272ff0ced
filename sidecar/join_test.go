package sidecar

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zkmesh/zkmesh/discovery"
	"github.com/zkmesh/zkmesh/zab"
)

// startGossipVoters runs n voters that gossip on loopback (fast timing);
// it returns them and the first one's gossip address, the seed.
func startGossipVoters(t *testing.T, n int, mutate ...func(id int, c *Config)) ([]*member, string) {
	t.Helper()
	var servers []ServerSpec
	for i := 1; i <= n; i++ {
		servers = append(servers, ServerSpec{ID: zab.ServerID(i), Host: "127.0.0.1", PeerPort: freePort(t), ElectionPort: freePort(t), Role: PeerParticipant})
	}
	ms := make([]*member, n)
	var seed string
	for i := range ms {
		m := &member{id: i + 1, dir: t.TempDir()}
		s, addr, stop := startStoppable(t, m.dir, func(c *Config) {
			c.Servers = servers
			c.ServerID = zab.ServerID(m.id)
			c.InitLimitTicks, c.SyncLimitTicks = 10, 5
			c.GossipAddress = "127.0.0.1:0"
			c.GossipTiming = "fast"
			c.GossipName = fmt.Sprintf("v%d", m.id)
			if seed != "" {
				c.GossipSeeds = []string{seed}
			}
			for _, f := range mutate {
				f(m.id, c)
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
	return ms, seed
}

// joiner is the configuration of a member started with only a seed.
func joinerConfig(t *testing.T, seed, name string, clientPort int) func(*Config) {
	peer, election := freePort(t), freePort(t)
	return func(c *Config) {
		c.ClientPort = clientPort
		c.GossipAddress = "127.0.0.1:0"
		c.GossipSeeds = []string{seed}
		c.GossipTiming = "fast"
		c.GossipName = name
		c.JoinPeerAddress = fmt.Sprintf("127.0.0.1:%d", peer)
		c.JoinElectionAddress = fmt.Sprintf("127.0.0.1:%d", election)
	}
}

// An observer started with only a seed address gets an id, is admitted by
// the leader, and serves a read of a write committed before it started;
// restarted, it rejoins with the same id by itself.
func TestJoinAsObserverThroughGossip(t *testing.T) {
	voters, seed := startGossipVoters(t, 3)
	vc, _ := connect(t, voters[0].addr)
	createRetry(t, vc, "/before-join", "v1")

	dir := t.TempDir()
	port := freePort(t)
	start := time.Now()
	s, addr, stop := startStoppable(t, dir, joinerConfig(t, seed, "joiner", port))
	t.Cleanup(stop)
	o := &member{id: 0, dir: dir, srv: s, addr: addr, stop: stop}
	waitServing(t, o)
	oc, _ := connect(t, addr)
	data, _, err := oc.Get("/before-join")
	elapsed := time.Since(start)
	if err != nil || string(data) != "v1" {
		t.Fatalf("read on the joined observer: %q %v", data, err)
	}
	t.Logf("joined observer served the read %v after it started", elapsed.Round(time.Millisecond))
	id := s.cfg.ServerID
	if id <= 3 || s.cfg.Role() != PeerObserver {
		t.Fatalf("joined as server %d role %v", id, s.cfg.Role())
	}
	b, err := os.ReadFile(filepath.Join(dir, discovery.ObserverIDFile))
	if err != nil || strings.TrimSpace(string(b)) != fmt.Sprint(id) {
		t.Fatalf("observer.id: %q %v", b, err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, DynamicConfigFile)); err != nil || !strings.Contains(string(b), fmt.Sprintf("server.%d=", id)) {
		t.Fatalf("%s: %q %v", DynamicConfigFile, b, err)
	}
	cfgData := configData(t, vc)
	if !strings.Contains(cfgData, fmt.Sprintf("server.%d=", id)) {
		t.Fatalf("leader's /zookeeper/config lacks the observer:\n%s", cfgData)
	}

	// Restarted, it rejoins by itself with the same id and catches up.
	stop()
	createRetry(t, vc, "/while-away")
	s2, addr2, stop2 := startStoppable(t, dir, joinerConfig(t, seed, "joiner", port))
	t.Cleanup(stop2)
	if s2.cfg.ServerID != id {
		t.Fatalf("restarted as server %d, was %d", s2.cfg.ServerID, id)
	}
	waitServing(t, &member{id: int(id), srv: s2})
	oc2, _ := connect(t, addr2)
	if _, err := oc2.Sync("/while-away"); err != nil {
		t.Fatal(err)
	}
	if ok, _, err := oc2.Exists("/while-away"); err != nil || !ok {
		t.Fatalf("restarted observer did not catch up: %v %v", ok, err)
	}
}

// createRetry creates path (with data, if given) through c, again after a
// lost connection (a loaded machine may cost a member its leader for a
// moment); a retry that finds the node counts as done.
func createRetry(t *testing.T, c *zk.Conn, path string, data ...string) {
	t.Helper()
	var b []byte
	if len(data) > 0 {
		b = []byte(data[0])
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, err := c.Create(path, b, 0, zk.WorldACL(zk.PermAll))
		if err == nil || (errors.Is(err, zk.ErrNodeExists) && time.Now().Before(deadline)) {
			return
		}
		if !errors.Is(err, zk.ErrConnectionClosed) || time.Now().After(deadline) {
			t.Fatalf("create %s: %v", path, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
