package discovery

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// These tests run real memberlist members over 127.0.0.1 UDP and TCP, on
// ports the kernel picks, with FastTiming. They wait on membership events
// with deadlines, never on sleeps.

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type timedEvent struct {
	Event
	at time.Time
}

// node is a Members under test with its log and the events it received.
type node struct {
	t    *testing.T
	m    *Members
	logs *syncBuf

	mu      sync.Mutex
	events  []timedEvent
	changed chan struct{} // closed and replaced on every event
	done    chan struct{} // closed when Events is closed
}

func startNode(t *testing.T, name string, meta Meta, mod func(*Config)) *node {
	t.Helper()
	cfg := DefaultConfig()
	cfg.NodeName = name
	cfg.BindAddr = "127.0.0.1:0"
	cfg.Timing = FastTiming()
	cfg.MetaUpdateInterval = 50 * time.Millisecond
	cfg.Meta = meta
	if mod != nil {
		mod(&cfg)
	}
	logs := &syncBuf{}
	m, err := New(cfg, zerolog.New(logs).Level(testLogLevel))
	if err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	n := &node{t: t, m: m, logs: logs, changed: make(chan struct{}), done: make(chan struct{})}
	go n.drain()
	t.Cleanup(n.stop)
	return n
}

func (n *node) drain() {
	for ev := range n.m.Events() {
		n.mu.Lock()
		n.events = append(n.events, timedEvent{ev, time.Now()})
		close(n.changed)
		n.changed = make(chan struct{})
		n.mu.Unlock()
	}
	close(n.done)
}

func (n *node) stop() {
	if err := n.m.Shutdown(); err != nil {
		n.t.Errorf("shutdown %s: %v", n.m.Name(), err)
	}
	<-n.done
}

// waitFor waits until cond holds for n's member list, re-checking on every
// event n receives, and fails the test after d.
func (n *node) waitFor(t *testing.T, what string, d time.Duration, cond func(map[string]Member) bool) {
	t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		n.mu.Lock()
		ch := n.changed
		n.mu.Unlock()
		if cond(byName(n.m.Members())) {
			return
		}
		select {
		case <-ch:
		case <-timer.C:
			t.Logf("%s's log:\n%s", n.m.Name(), n.logs.String())
			t.Fatalf("%s: not %s after %v; members: %v", n.m.Name(), what, d, describe(n.m.Members()))
		}
	}
}

// waitEvent waits until n has received an event of kind about name.
func (n *node) waitEvent(t *testing.T, kind EventKind, name string, d time.Duration) {
	t.Helper()
	n.waitEventSince(t, kind, name, time.Time{}, d)
}

// waitEventSince waits until n has received an event of kind about name at
// or after since, and returns when it was received.
func (n *node) waitEventSince(t *testing.T, kind EventKind, name string, since time.Time, d time.Duration) time.Time {
	t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		n.mu.Lock()
		ch := n.changed
		n.mu.Unlock()
		if at, ok := n.firstEvent(kind, name, since); ok {
			return at
		}
		select {
		case <-ch:
		case <-timer.C:
			t.Fatalf("%s: no %s event about %s after %v; log:\n%s", n.m.Name(), kind, name, d, n.logs.String())
		}
	}
}

// firstEvent returns the time n received the first event of kind about name
// at or after since.
func (n *node) firstEvent(kind EventKind, name string, since time.Time) (time.Time, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, ev := range n.events {
		if ev.Kind == kind && ev.Member.Name == name && !ev.at.Before(since) {
			return ev.at, true
		}
	}
	return time.Time{}, false
}

func (n *node) countEvents(kind EventKind, name string) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	c := 0
	for _, ev := range n.events {
		if ev.Kind == kind && ev.Member.Name == name {
			c++
		}
	}
	return c
}

func byName(ms []Member) map[string]Member {
	out := make(map[string]Member, len(ms))
	for _, m := range ms {
		out[m.Name] = m
	}
	return out
}

func describe(ms []Member) string {
	var b strings.Builder
	for _, m := range ms {
		fmt.Fprintf(&b, "%s(%s id=%d) ", m.Name, m.State, m.Meta.ServerID)
	}
	return b.String()
}

func join(t *testing.T, n *node, seed *node) {
	t.Helper()
	if _, err := n.m.Join([]string{seed.m.Addr()}); err != nil {
		t.Fatalf("%s joins %s: %v", n.m.Name(), seed.m.Name(), err)
	}
}

func fleetMeta(i int) Meta {
	role := RoleObserver
	if i <= 3 {
		role = RoleVoter
	}
	return Meta{
		ServerID:     uint64(i),
		Role:         role,
		PeerAddr:     fmt.Sprintf("127.0.0.%d:2888", i),
		ElectionAddr: fmt.Sprintf("127.0.0.%d:3888", i),
		ClientAddr:   "127.0.0.1:2181",
		XDSAddr:      "127.0.0.1:18000",
		Zone:         fmt.Sprintf("zone-%d", i%2),
		Region:       "region-1",
		Version:      "test",
		LastZxid:     int64(i) << 32,
		DataEmpty:    i > 3,
	}
}

// allAlive holds when the members named in want are all alive with their
// expected Meta.
func allAlive(want map[string]Meta) func(map[string]Member) bool {
	return func(got map[string]Member) bool {
		for name, meta := range want {
			m, ok := got[name]
			if !ok || m.State != StateAlive || m.Meta != meta {
				return false
			}
		}
		return true
	}
}

func TestFleet(t *testing.T) {
	const size = 6
	parent := t
	nodes := make([]*node, size+1) // 1-based: node i has server id i
	want := map[string]Meta{}
	for i := 1; i <= size; i++ {
		nodes[i] = startNode(t, fmt.Sprintf("n%d", i), fleetMeta(i), nil)
		want[fmt.Sprintf("n%d", i)] = fleetMeta(i)
	}
	seed := nodes[1]
	if n, err := seed.m.Join([]string{seed.m.Addr()}); n != 0 || err != nil {
		t.Fatalf("seed joining only itself: %d, %v; want 0, nil", n, err)
	}
	for i := 2; i <= size; i++ {
		join(t, nodes[i], seed)
	}

	t.Run("all see all with their meta", func(t *testing.T) {
		for i := 1; i <= size; i++ {
			nodes[i].waitFor(t, "seeing all 6 alive", 10*time.Second, allAlive(want))
		}
		// Stats follow the same table; waited on, as a loaded machine may
		// make a member suspect for a moment.
		seed.waitFor(t, "counting 6 alive: 3 voters, 3 observers", 10*time.Second, func(map[string]Member) bool {
			s := seed.m.Stats()
			return s.Members == size && s.Alive == size && s.Voters == 3 && s.Observers == 3 && s.Suspect+s.Dead+s.Left == 0
		})
		if me := nodes[4].m.Local(); !me.Local || me.Name != "n4" || me.Meta != fleetMeta(4) {
			t.Fatalf("Local() = %+v", me)
		}
	})

	victim := nodes[3]
	victimAddr := victim.m.Addr()
	t.Run("killed member seen dead within the bound", func(t *testing.T) {
		bound := FastTiming().DeadDetectionBound(size)
		logStart := len(seed.logs.String())
		killed := time.Now()
		victim.stop()
		var worst time.Duration
		for i := 1; i <= size; i++ {
			if i == 3 {
				continue
			}
			at := nodes[i].waitEventSince(t, EventDead, "n3", killed, 3*bound)
			if st := byName(nodes[i].m.Members())["n3"].State; st != StateDead {
				t.Fatalf("n%d has n3 %s after its EventDead", i, st)
			}
			d := at.Sub(killed)
			worst = max(worst, d)
			t.Logf("n%d saw n3 dead after %v", i, d.Round(time.Millisecond))
		}
		t.Logf("dead detection with FastTiming, 6 members: worst %v; computed min %v, bound %v",
			worst.Round(time.Millisecond), FastTiming().DeadDetectionMin(size), bound)
		if worst > bound {
			t.Errorf("worst detection %v above the computed bound %v", worst, bound)
		}
		since := seed.logs.String()[logStart:]
		if n := strings.Count(since, `"member":"n3","addr":"`+victimAddr+`","server_id":3,"message":"gossip member dead"`); n != 1 {
			t.Errorf("seed logged n3's death %d times, want once:\n%s", n, since)
		}
		// Under load another member may be suspect for a moment; n3 is dead.
		if s := seed.m.Stats(); s.Dead < 1 || s.Members != size {
			t.Errorf("seed stats after the kill: %+v", s)
		}
	})

	t.Run("restarted member with the same name is alive again", func(t *testing.T) {
		// Started on the parent test, so it outlives this subtest.
		nodes[3] = startNode(parent, "n3", fleetMeta(3), func(c *Config) { c.BindAddr = victimAddr })
		join(t, nodes[3], nodes[2])
		for i := 1; i <= size; i++ {
			nodes[i].waitFor(t, "seeing all 6 alive again", 10*time.Second, allAlive(want))
		}
	})

	t.Run("meta updates propagate", func(t *testing.T) {
		err := nodes[5].m.UpdateMeta(func(m *Meta) {
			m.Zone = "zone-moved"
			m.LastZxid = 99 << 32
			m.DataEmpty = false
			m.Leaving = true // ignored: only Leave sets it
		})
		if err != nil {
			t.Fatal(err)
		}
		updated := fleetMeta(5)
		updated.Zone, updated.LastZxid, updated.DataEmpty = "zone-moved", 99<<32, false
		want["n5"] = updated
		for i := 1; i <= size; i++ {
			nodes[i].waitFor(t, "seeing n5's new meta", 10*time.Second, allAlive(want))
		}
	})

	t.Run("a member that leaves is seen as left", func(t *testing.T) {
		if err := nodes[6].m.Leave(2 * time.Second); err != nil {
			t.Fatal(err)
		}
		for i := 1; i <= 5; i++ {
			nodes[i].waitFor(t, "seeing n6 left", 10*time.Second, func(ms map[string]Member) bool {
				return ms["n6"].State == StateLeft
			})
		}
		if s := seed.m.Stats(); s.Left != 1 {
			t.Errorf("seed stats after leave: %+v", s)
		}
	})
}

// TestMetaUpdatesRateLimited: a burst of zxid updates reaches peers as its
// last value, in no more broadcasts than the interval allows.
func TestMetaUpdatesRateLimited(t *testing.T) {
	a := startNode(t, "a", fleetMeta(1), nil)
	b := startNode(t, "b", fleetMeta(2), func(c *Config) { c.MetaUpdateInterval = 100 * time.Millisecond })
	join(t, b, a)
	a.waitFor(t, "seeing b", 10*time.Second, allAlive(map[string]Meta{"b": fleetMeta(2)}))
	start := time.Now()
	const last = 500
	for z := int64(1); z <= last; z++ {
		if err := b.m.SetLastZxid(z); err != nil {
			t.Fatal(err)
		}
	}
	a.waitFor(t, "seeing b's last zxid", 10*time.Second, func(ms map[string]Member) bool {
		return ms["b"].Meta.LastZxid == last
	})
	elapsed := time.Since(start)
	updates := a.countEvents(EventUpdate, "b")
	if allowed := int(elapsed/(100*time.Millisecond)) + 2; updates > allowed {
		t.Fatalf("%d updates of b in %v, rate limit allows %d", updates, elapsed, allowed)
	}
	t.Logf("%d zxid updates reached the peer as %d broadcasts in %v", last, updates, elapsed.Round(time.Millisecond))
}

func TestServerIDConflictRefused(t *testing.T) {
	a := startNode(t, "a", fleetMeta(1), nil)
	b := startNode(t, "b", fleetMeta(2), nil)
	join(t, b, a)
	a.waitFor(t, "seeing b", 10*time.Second, allAlive(map[string]Meta{"b": fleetMeta(2)}))

	c := startNode(t, "c", fleetMeta(2), nil) // same id as b, another name
	_, err := c.m.Join([]string{a.m.Addr()})
	var cerr *ConflictError
	if !errors.Is(err, ErrServerIDConflict) || !errors.As(err, &cerr) || cerr.ServerID != 2 || cerr.Name != "c" || cerr.Holder != "b" {
		t.Fatalf("c's join: got %v, want a conflict on id 2 held by b", err)
	}
	if !strings.Contains(err.Error(), `server id 2 already held by live member "b"`) {
		t.Fatalf("error does not say why: %v", err)
	}
	// Refused on both sides, each saying so once. The seed merges (and
	// refuses) after it has sent its state, so wait for its event.
	a.waitEvent(t, EventRefused, "c", 10*time.Second)
	c.waitEvent(t, EventRefused, "b", 10*time.Second)
	for _, n := range []*node{a, c} {
		if got := strings.Count(n.logs.String(), "gossip member refused"); got != 1 {
			t.Errorf("%s logged %d refusals, want 1:\n%s", n.m.Name(), got, n.logs.String())
		}
		if n.m.Stats().Refused == 0 {
			t.Errorf("%s counts no refusal", n.m.Name())
		}
	}
	if _, ok := byName(a.m.Members())["c"]; ok {
		t.Error("a lists c")
	}
	if ms := c.m.Members(); len(ms) != 1 || ms[0].Name != "c" {
		t.Errorf("c lists %s, want itself only", describe(ms))
	}

	// A member without an id joins, then cannot take a live member's id.
	d := startNode(t, "d", Meta{Role: RoleObserver}, nil)
	join(t, d, a)
	d.waitFor(t, "seeing b", 10*time.Second, allAlive(map[string]Meta{"b": fleetMeta(2)}))
	if err := d.m.UpdateMeta(func(m *Meta) { m.ServerID = 2 }); !errors.Is(err, ErrServerIDConflict) {
		t.Fatalf("d taking id 2: got %v", err)
	}
	id, err := AllocateObserverID(d.m.Members(), t.TempDir())
	if err != nil || id != 3 {
		t.Fatalf("AllocateObserverID = %d, %v; want 3", id, err)
	}
	if err := d.m.UpdateMeta(func(m *Meta) { m.ServerID = id }); err != nil {
		t.Fatal(err)
	}
	withID := Meta{Role: RoleObserver, ServerID: 3}
	a.waitFor(t, "seeing d with id 3", 10*time.Second, allAlive(map[string]Meta{"d": withID}))
}

func keyFile(t *testing.T, seed byte) string {
	t.Helper()
	key := bytes.Repeat([]byte{seed}, 32)
	p := filepath.Join(t.TempDir(), "gossip.key")
	if err := os.WriteFile(p, []byte(base64.StdEncoding.EncodeToString(key)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestEncryptedFleet(t *testing.T) {
	good, wrong := keyFile(t, 1), keyFile(t, 2)
	withKey := func(path string) func(*Config) { return func(c *Config) { c.KeyFile = path } }
	a := startNode(t, "a", fleetMeta(1), withKey(good))
	b := startNode(t, "b", fleetMeta(2), withKey(good))
	join(t, b, a)
	a.waitFor(t, "seeing b", 10*time.Second, allAlive(map[string]Meta{"a": fleetMeta(1), "b": fleetMeta(2)}))
	b.waitFor(t, "seeing a", 10*time.Second, allAlive(map[string]Meta{"a": fleetMeta(1), "b": fleetMeta(2)}))

	for _, c := range []struct {
		name string
		mod  func(*Config)
	}{
		{"wrong-key", withKey(wrong)},
		{"no-key", nil},
	} {
		n := startNode(t, c.name, fleetMeta(9), c.mod)
		if _, err := n.m.Join([]string{a.m.Addr()}); err == nil {
			t.Errorf("%s joined an encrypted fleet", c.name)
		}
		if ms := n.m.Members(); len(ms) != 1 {
			t.Errorf("%s lists %s", c.name, describe(ms))
		}
	}
	// The fleet never learnt of them: b's next view still has two members.
	if ms := a.m.Members(); len(ms) != 2 {
		t.Errorf("a lists %s", describe(ms))
	}
}

func TestNewRejectsBadKeyFile(t *testing.T) {
	cfg := DefaultConfig()
	cfg.NodeName, cfg.BindAddr, cfg.Timing = "k", "127.0.0.1:0", FastTiming()
	cfg.KeyFile = writeKey(t, []byte("too short"))
	if _, err := New(cfg, zerolog.Nop()); !errors.Is(err, ErrBadKey) {
		t.Fatalf("got %v, want ErrBadKey", err)
	}
}

func TestShutdownTwiceAndAfter(t *testing.T) {
	n := startNode(t, "solo", fleetMeta(1), nil)
	n.stop()
	if _, err := n.m.Join([]string{"127.0.0.1:1"}); !errors.Is(err, ErrShutdown) {
		t.Fatalf("Join after Shutdown: %v", err)
	}
	if err := n.m.Leave(time.Second); !errors.Is(err, ErrShutdown) {
		t.Fatalf("Leave after Shutdown: %v", err)
	}
}

// testLogLevel is Debug with DISCOVERY_DEBUG set, to see memberlist's lines.
var testLogLevel = func() zerolog.Level {
	if os.Getenv("DISCOVERY_DEBUG") != "" {
		return zerolog.DebugLevel
	}
	return zerolog.InfoLevel
}()
