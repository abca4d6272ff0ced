package crashtest

import (
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zkmesh/zkmesh/internal/zktest"
)

type quietLogger struct{}

func (quietLogger) Printf(string, ...interface{}) {}

// history records what writers asked for and what was acknowledged.
type history struct {
	mu        sync.Mutex
	requested map[string]bool   // data values sent
	acked     map[string]string // data value -> path, for acknowledged creates
}

func newHistory() *history {
	return &history{requested: map[string]bool{}, acked: map[string]string{}}
}

// write creates sequential nodes under /crash until stop closes or the
// connection fails, recording every request and acknowledgement.
func (h *history) write(hosts string, writer int, stop <-chan struct{}) {
	c, _, err := zk.Connect(strings.Split(hosts, ","), 2*time.Second, zk.WithLogger(quietLogger{}), zk.WithLogInfo(false))
	if err != nil {
		return
	}
	defer c.Close()
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		val := fmt.Sprintf("w%d-%d-%d", writer, time.Now().UnixNano(), i)
		h.mu.Lock()
		h.requested[val] = true
		h.mu.Unlock()
		p, err := c.Create("/crash/n-", []byte(val), zk.FlagSequence, zk.WorldACL(zk.PermAll))
		if err != nil {
			if err == zk.ErrNoServer || err == zk.ErrClosing || err == zk.ErrConnectionClosed || err == zk.ErrSessionExpired {
				return
			}
			time.Sleep(5 * time.Millisecond)
			continue
		}
		h.mu.Lock()
		h.acked[val] = p
		h.mu.Unlock()
	}
}

// check reads every node under /crash and compares with the history.
func (h *history) check(t *testing.T, hosts string) (nodes int) {
	t.Helper()
	c, _, err := zk.Connect(strings.Split(hosts, ","), 5*time.Second, zk.WithLogger(quietLogger{}), zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Sync("/crash"); err != nil {
		t.Fatalf("sync: %v", err)
	}
	kids, _, err := c.Children("/crash")
	if err != nil {
		t.Fatalf("children: %v", err)
	}
	found := map[string]string{}
	for _, k := range kids {
		data, _, err := c.Get("/crash/" + k)
		if err != nil {
			t.Fatalf("get %s: %v", k, err)
		}
		found[string(data)] = "/crash/" + k
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for val, p := range found {
		if !h.requested[val] {
			t.Errorf("%s holds %q, which no client ever wrote", p, val)
		}
	}
	for val, p := range h.acked {
		if got, ok := found[val]; !ok || got != p {
			t.Errorf("acknowledged create %s (%q) lost after crash (found at %q)", p, val, got)
		}
	}
	return len(kids)
}

func setup(t *testing.T, hosts string) {
	t.Helper()
	c, _, err := zk.Connect(strings.Split(hosts, ","), 5*time.Second, zk.WithLogger(quietLogger{}), zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Create("/crash", nil, 0, zk.WorldACL(zk.PermAll)); err != nil && err != zk.ErrNodeExists {
		t.Fatal(err)
	}
}

// crashLoop runs writers, kills the given members with SIGKILL at a random
// moment, restarts them and checks the history, kills times.
func crashLoop(t *testing.T, srv *zktest.Server, victims func() []*zktest.Server, kills int, seed int64) {
	rng := rand.New(rand.NewSource(seed))
	h := newHistory()
	setup(t, srv.Hosts())
	for k := 0; k < kills; k++ {
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func(w int) { defer wg.Done(); h.write(srv.Hosts(), k*10+w, stop) }(w)
		}
		time.Sleep(time.Duration(50+rng.Intn(400)) * time.Millisecond)
		vs := victims()
		for _, v := range vs {
			if err := v.Kill(); err != nil {
				t.Fatalf("kill member %d: %v", v.ID, err)
			}
		}
		close(stop)
		wg.Wait()
		var rwg sync.WaitGroup
		for _, v := range vs {
			rwg.Add(1)
			go func(v *zktest.Server) { defer rwg.Done(); v.Restart() }(v)
		}
		rwg.Wait()
		n := h.check(t, srv.Hosts())
		if t.Failed() {
			t.Fatalf("seed %d: lost or invented writes after kill %d", seed, k+1)
		}
		t.Logf("kill %d: %d nodes, %d acknowledged so far", k+1, n, len(h.acked))
	}
	if len(h.acked) < kills {
		t.Fatalf("only %d writes acknowledged over %d kills: the test did not exercise anything", len(h.acked), kills)
	}
}

// TestStandaloneSurvivesSIGKILL: every acknowledged create survives 20
// SIGKILLs of a standalone server at random moments.
func TestStandaloneSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("kills real processes")
	}
	srv := zktest.StartZkmesh(t, zktest.DefaultOptions())
	crashLoop(t, srv, func() []*zktest.Server { return []*zktest.Server{srv} }, 20, seedFromEnv(t))
}

// TestEnsembleSurvivesKillingEveryMember: three voters killed with SIGKILL
// at once, and restarted, keep every acknowledged create.
func TestEnsembleSurvivesKillingEveryMember(t *testing.T) {
	if testing.Short() {
		t.Skip("kills real processes")
	}
	o := zktest.DefaultOptions()
	o.Members = 3
	srv := zktest.StartZkmesh(t, o)
	crashLoop(t, srv, func() []*zktest.Server { return srv.Members }, 5, seedFromEnv(t))
}

func seedFromEnv(t *testing.T) int64 {
	seed := time.Now().UnixNano()
	if s := strings.TrimSpace(os.Getenv("CRASH_SEED")); s != "" {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatalf("CRASH_SEED: %v", err)
		}
		seed = v
	}
	t.Logf("seed %d (CRASH_SEED=%d replays the kill timings)", seed, seed)
	return seed
}

func getenvDefault(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
