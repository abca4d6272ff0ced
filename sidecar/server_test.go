package sidecar

import (
	"errors"
	"io"
	"net"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/rs/zerolog"
)

// startServer runs a standalone server on a free loopback port with its
// data in a temp dir, and stops it when the test ends.
func startServer(t *testing.T, dataDir string, mutate ...func(*Config)) (*Server, string) {
	t.Helper()
	s, addr, stop := startStoppable(t, dataDir, mutate...)
	t.Cleanup(stop)
	return s, addr
}

// startStoppable is startServer with an explicit, idempotent stop.
func startStoppable(t *testing.T, dataDir string, mutate ...func(*Config)) (*Server, string, func()) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.DataDir = dataDir
	cfg.ClientPortAddress = "127.0.0.1"
	cfg.ClientPort = 0
	cfg.TickTimeMs = 200
	cfg.XDSAddress = "127.0.0.1:0"
	for _, m := range mutate {
		m(cfg)
	}
	s, err := New(cfg, zerolog.New(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	stop := runServer(t, s)
	return s, s.Addr().String(), stop
}

func connect(t *testing.T, addr string) (*zk.Conn, <-chan zk.Event) {
	t.Helper()
	c, ev, err := zk.Connect([]string{addr}, 4*time.Second, zk.WithLogInfo(false), zk.WithLogger(discardLogger{}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	for e := range ev {
		if e.State == zk.StateHasSession {
			break
		}
	}
	return c, ev
}

type discardLogger struct{}

func (discardLogger) Printf(string, ...interface{}) {}

func TestCRUDAndWatches(t *testing.T) {
	_, addr := startServer(t, t.TempDir())
	c, _ := connect(t, addr)
	acl := zk.WorldACL(zk.PermAll)

	p, err := c.Create("/a", []byte("x"), 0, acl)
	if err != nil || p != "/a" {
		t.Fatalf("create: %q %v", p, err)
	}
	if _, err := c.Create("/a", nil, 0, acl); !errors.Is(err, zk.ErrNodeExists) {
		t.Fatalf("dup create: %v", err)
	}
	data, st, err := c.Get("/a")
	if err != nil || string(data) != "x" || st.Version != 0 || st.DataLength != 1 {
		t.Fatalf("get: %q %+v %v", data, st, err)
	}
	_, _, dw, err := c.GetW("/a")
	if err != nil {
		t.Fatal(err)
	}
	st2, err := c.Set("/a", []byte("yy"), 0)
	if err != nil || st2.Version != 1 || st2.Mzxid <= st.Mzxid {
		t.Fatalf("set: %+v %v", st2, err)
	}
	ev := <-dw
	if ev.Type != zk.EventNodeDataChanged || ev.Path != "/a" {
		t.Fatalf("data watch: %+v", ev)
	}
	if _, err := c.Set("/a", nil, 0); !errors.Is(err, zk.ErrBadVersion) {
		t.Fatalf("bad version: %v", err)
	}
	for i := 0; i < 3; i++ {
		p, err := c.Create("/a/s-", nil, zk.FlagSequence, acl)
		if err != nil {
			t.Fatal(err)
		}
		want := "/a/s-000000000" + string(rune('0'+i))
		if p != want {
			t.Fatalf("sequential: got %q want %q", p, want)
		}
	}
	kids, _, cw, err := c.ChildrenW("/a")
	if err != nil || len(kids) != 3 {
		t.Fatalf("children: %v %v", kids, err)
	}
	if err := c.Delete("/a", -1); !errors.Is(err, zk.ErrNotEmpty) {
		t.Fatalf("delete non-empty: %v", err)
	}
	if err := c.Delete("/a/s-0000000000", -1); err != nil {
		t.Fatal(err)
	}
	if ev := <-cw; ev.Type != zk.EventNodeChildrenChanged {
		t.Fatalf("child watch: %+v", ev)
	}
	ok, _, ew, err := c.ExistsW("/b")
	if err != nil || ok {
		t.Fatalf("exists: %v %v", ok, err)
	}
	if _, err := c.Create("/b", nil, zk.FlagEphemeral, acl); err != nil {
		t.Fatal(err)
	}
	if ev := <-ew; ev.Type != zk.EventNodeCreated {
		t.Fatalf("exist watch: %+v", ev)
	}
	if _, err := c.Create("/b/c", nil, 0, acl); !errors.Is(err, zk.ErrNoChildrenForEphemerals) {
		t.Fatalf("child of ephemeral: %v", err)
	}
	if _, err := c.Create("/x/y", nil, 0, acl); !errors.Is(err, zk.ErrNoNode) {
		t.Fatalf("no parent: %v", err)
	}
	res, err := c.Multi(&zk.CreateRequest{Path: "/m", Flags: 0, Acl: acl}, &zk.SetDataRequest{Path: "/m", Data: []byte("1"), Version: 0})
	if err != nil || len(res) != 2 {
		t.Fatalf("multi: %v %v", res, err)
	}
	_, err = c.Multi(&zk.CreateRequest{Path: "/m2", Acl: acl}, &zk.CheckVersionRequest{Path: "/m", Version: 7})
	if !errors.Is(err, zk.ErrBadVersion) {
		t.Fatalf("failing multi: %v", err)
	}
	if ok, _, _ := c.Exists("/m2"); ok {
		t.Fatal("failed multi left /m2")
	}
	if _, err := c.Sync("/a"); err != nil {
		t.Fatal(err)
	}
}

func TestEphemeralsGoWithSession(t *testing.T) {
	_, addr := startServer(t, t.TempDir())
	owner, _ := connect(t, addr)
	watcher, _ := connect(t, addr)
	if _, err := owner.Create("/e", nil, zk.FlagEphemeral, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	_, _, w, err := watcher.ExistsW("/e")
	if err != nil {
		t.Fatal(err)
	}
	owner.Close()
	if ev := <-w; ev.Type != zk.EventNodeDeleted {
		t.Fatalf("want NodeDeleted, got %+v", ev)
	}
}

func TestRecoveryAfterRestart(t *testing.T) {
	dir := t.TempDir()
	_, addr, stop := startStoppable(t, dir)
	c, _ := connect(t, addr)
	var paths []string
	for i := 0; i < 50; i++ {
		p, err := c.Create("/r-", []byte{byte(i)}, zk.FlagSequence, zk.WorldACL(zk.PermAll))
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	if _, err := c.Set(paths[7], []byte("changed"), -1); err != nil {
		t.Fatal(err)
	}
	_, before, err := c.Get(paths[7])
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	stop()

	_, addr2 := startServer(t, dir)
	c2, _ := connect(t, addr2)
	kids, _, err := c2.Children("/")
	if err != nil {
		t.Fatal(err)
	}
	if len(kids) != 51 {
		t.Fatalf("after restart / has %d children, want 51", len(kids))
	}
	data, after, err := c2.Get(paths[7])
	if err != nil || string(data) != "changed" || *after != *before {
		t.Fatalf("after restart: %q %+v (before %+v) %v", data, after, before, err)
	}
	p, err := c2.Create("/r-", nil, zk.FlagSequence, zk.WorldACL(zk.PermAll))
	if err != nil || p != "/r-0000000050" {
		t.Fatalf("sequence after restart: %q %v", p, err)
	}
}

func TestBadInputClosesOnlyThatConnection(t *testing.T) {
	_, addr := startServer(t, t.TempDir())
	good, _ := connect(t, addr)
	for _, junk := range [][]byte{
		{0x7f, 0xff, 0xff, 0xff},              // oversized length
		{0xff, 0xff, 0xff, 0xf0, 1, 2, 3},     // negative length
		[]byte("GET / HTTP/1.1\r\n\r\n"),      // garbage
		{0, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0, 1}, // truncated connect
	} {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		nc.Write(junk)
		nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		var b [64]byte
		if _, err := nc.Read(b[:]); err == nil {
			// Some junk is answered before the close; the next read must end.
			if _, err := io.ReadAll(nc); err != nil {
				t.Fatalf("connection with junk %x not closed: %v", junk, err)
			}
		}
		nc.Close()
		if _, err := good.Create("/ok-", nil, zk.FlagSequence, zk.WorldACL(zk.PermAll)); err != nil {
			t.Fatalf("good client broken after junk %x: %v", junk, err)
		}
	}
	kids, _, err := good.Children("/")
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(kids)
	if len(kids) != 5 {
		t.Fatalf("children of /: %v", kids)
	}
}

// TestGlobalOutstandingLimit: with room for two writes in flight, many
// concurrent writers are slowed, not refused or deadlocked.
func TestGlobalOutstandingLimit(t *testing.T) {
	_, addr := startServer(t, t.TempDir(), func(c *Config) { c.GlobalOutstandingLimit = 2 })
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := 0; w < 8; w++ {
		c, _ := connect(t, addr)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 25; i++ {
				if _, err := c.Create("/lim-", nil, zk.FlagSequence, zk.WorldACL(zk.PermAll)); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	c, _ := connect(t, addr)
	kids, _, err := c.Children("/")
	if err != nil || len(kids) != 201 {
		t.Fatalf("%d children, %v; want 201", len(kids), err)
	}
}
