package sidecar

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/go-zookeeper/zk"
	"github.com/rs/zerolog"
)

// candidateConfig is a bootstrapping member's configuration.
func candidateConfig(t *testing.T, dir, name, gossipAddr, seed string, expect int) *Config {
	cfg := DefaultConfig()
	cfg.DataDir = dir
	cfg.ClientPortAddress, cfg.ClientPort = "127.0.0.1", freePort(t)
	cfg.TickTimeMs = 200
	cfg.XDSAddress = "127.0.0.1:0"
	cfg.GossipAddress = gossipAddr
	if seed != "" {
		cfg.GossipSeeds = []string{seed}
	}
	cfg.GossipTiming = "fast"
	cfg.GossipName = name
	cfg.BootstrapExpect = expect
	cfg.JoinPeerAddress = fmt.Sprintf("127.0.0.1:%d", freePort(t))
	cfg.JoinElectionAddress = fmt.Sprintf("127.0.0.1:%d", freePort(t))
	return cfg
}

// runServer runs s until the test ends, once it listens, and returns its
// stop (idempotent; it reports an error Run returned).
func runServer(t *testing.T, s *Server) func() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	<-s.Ready()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// Three candidates that know one seed form the first voters by themselves:
// ids in name order, persisted; one restarted needs nobody; a fourth that
// comes later finds the ensemble and joins it as an observer.
func TestBootstrapExpect(t *testing.T) {
	const n = 3
	seed := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	cfgs := make([]*Config, n)
	for i := range cfgs {
		gossip, s := seed, seed
		if i > 0 {
			gossip = fmt.Sprintf("127.0.0.1:%d", freePort(t))
		} else {
			s = ""
		}
		cfgs[i] = candidateConfig(t, t.TempDir(), fmt.Sprintf("cand-%c", 'c'-i), gossip, s, n) // names in reverse start order
	}
	servers := make([]*Server, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range cfgs {
		wg.Go(func() { servers[i], errs[i] = New(cfgs[i], zerolog.New(io.Discard)) })
	}
	wg.Wait()
	ms := make([]*member, n)
	for i, s := range servers {
		if errs[i] != nil {
			t.Fatalf("candidate %d: %v", i, errs[i])
		}
		stop := runServer(t, s)
		ms[i] = &member{id: int(s.cfg.ServerID), dir: cfgs[i].DataDir, srv: s, addr: s.Addr().String(), stop: stop}
	}
	waitServing(t, ms...)
	for i, m := range ms {
		// cand-c started first; names sort cand-a, cand-b, cand-c.
		if want := n - i; m.id != want || m.srv.cfg.Role() != PeerParticipant || len(m.srv.cfg.Servers) != n {
			t.Fatalf("%s: server %d (want %d) role %v, %d servers", cfgs[i].GossipName, m.id, want, m.srv.cfg.Role(), len(m.srv.cfg.Servers))
		}
		b, err := os.ReadFile(filepath.Join(m.dir, "myid"))
		if err != nil || strings.TrimSpace(string(b)) != fmt.Sprint(m.id) {
			t.Fatalf("myid of %s: %q %v", cfgs[i].GossipName, b, err)
		}
	}
	c, _ := connect(t, ms[0].addr)
	if _, err := c.Create("/bootstrapped", nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}

	// Restarted, a member reads its server lines from dataDir.
	ms[1].stop()
	s, err := New(cfgs[1], zerolog.New(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	runServer(t, s)
	ms[1] = &member{id: int(s.cfg.ServerID), srv: s, addr: s.Addr().String()}
	waitServing(t, ms[1])

	// A late candidate joins the existing ensemble as an observer.
	late := candidateConfig(t, t.TempDir(), "cand-0", fmt.Sprintf("127.0.0.1:%d", freePort(t)), seed, n)
	ls, err := New(late, zerolog.New(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	runServer(t, ls)
	waitServing(t, &member{id: int(ls.cfg.ServerID), srv: ls})
	if ls.cfg.Role() != PeerObserver || ls.cfg.ServerID <= n {
		t.Fatalf("late candidate: server %d role %v", ls.cfg.ServerID, ls.cfg.Role())
	}
	lc, _ := connect(t, ls.Addr().String())
	if _, err := lc.Sync("/bootstrapped"); err != nil {
		t.Fatal(err)
	}
	if ok, _, err := lc.Exists("/bootstrapped"); err != nil || !ok {
		t.Fatalf("late observer: %v %v", ok, err)
	}
}
