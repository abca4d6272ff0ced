package sidecar

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zkmesh/zkmesh/internal/zktest"
	"github.com/zkmesh/zkmesh/zab"
)

// freePort returns a free port on 127.0.0.1 (see zktest.FreePort).
func freePort(t *testing.T) int { return zktest.FreePort(t) }

type member struct {
	id   int
	dir  string
	addr string
	stop func()
	srv  *Server
	// mutate changes the configuration on every start.
	mutate []func(*Config)
}

// startEnsemble starts voters and observers on loopback, each with its own
// data dir, and returns them once every member serves clients.
func startEnsemble(t *testing.T, voters, observers int, mutate ...func(*Config)) []*member {
	t.Helper()
	n := voters + observers
	var servers []ServerSpec
	ports := make([]int, n)
	for i := 0; i < n; i++ {
		ports[i] = freePort(t)
		role := PeerParticipant
		if i >= voters {
			role = PeerObserver
		}
		servers = append(servers, ServerSpec{ID: zab.ServerID(i + 1), Host: "127.0.0.1", PeerPort: freePort(t), ElectionPort: freePort(t), Role: role})
	}
	ms := make([]*member, n)
	for i := 0; i < n; i++ {
		ms[i] = &member{id: i + 1, dir: t.TempDir(), mutate: mutate}
	}
	for _, m := range ms {
		m.start(t, servers)
	}
	waitServing(t, ms...)
	return ms
}

func (m *member) start(t *testing.T, servers []ServerSpec) {
	t.Helper()
	s, addr, stop := startStoppable(t, m.dir, func(c *Config) {
		c.Servers = servers
		c.ServerID = zab.ServerID(m.id)
		c.StandaloneEnabled = false
		c.InitLimitTicks = 10
		c.SyncLimitTicks = 5
		for _, f := range m.mutate {
			f(c)
		}
	})
	m.srv, m.addr, m.stop = s, addr, stop
	t.Cleanup(stop)
}

func waitServing(t *testing.T, ms ...*member) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for _, m := range ms {
		for !m.srv.serving() {
			if time.Now().After(deadline) {
				t.Fatalf("member %d not serving after 20s", m.id)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

func leaderOf(ms []*member) *member {
	for _, m := range ms {
		if m.srv != nil && zab.Role(m.srv.ens.role.Load()) == zab.RoleLeading && m.srv.ens.serving.Load() {
			return m
		}
	}
	return nil
}

func TestEnsembleReplicatesAndFailsOver(t *testing.T) {
	ms := startEnsemble(t, 3, 1)
	acl := zk.WorldACL(zk.PermAll)

	// A write through every member is readable on every member after sync.
	for _, m := range ms {
		c, _ := connect(t, m.addr)
		if _, err := c.Create(fmt.Sprintf("/from-%d", m.id), []byte("v"), 0, acl); err != nil {
			t.Fatalf("create via member %d: %v", m.id, err)
		}
	}
	for _, m := range ms {
		c, _ := connect(t, m.addr)
		if _, err := c.Sync("/"); err != nil {
			t.Fatal(err)
		}
		kids, _, err := c.Children("/")
		if err != nil {
			t.Fatal(err)
		}
		if len(kids) != 5 {
			t.Fatalf("member %d sees %v", m.id, kids)
		}
	}

	// Kill the leader: the others elect a new one and take writes again.
	old := leaderOf(ms)
	if old == nil {
		t.Fatal("no leader")
	}
	old.stop()
	old.srv = nil
	var rest []*member
	for _, m := range ms {
		if m != old {
			rest = append(rest, m)
		}
	}
	start := time.Now()
	var c *zk.Conn
	for {
		if time.Since(start) > 20*time.Second {
			t.Fatal("no write accepted 20s after the leader stopped")
		}
		nl := leaderOf(rest)
		if nl == nil {
			time.Sleep(10 * time.Millisecond)
			continue
		}
		if c == nil {
			c, _ = connect(t, rest[0].addr)
		}
		if _, err := c.Create("/after", nil, 0, acl); err == nil || errors.Is(err, zk.ErrNodeExists) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("writes accepted %v after the leader stopped", time.Since(start))
}
