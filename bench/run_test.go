package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zkmesh/zkmesh/internal/zktest"
	"github.com/zkmesh/zkmesh/jute"
)

// startZkmesh starts a standalone zkmesh server for the test.
func startZkmesh(t *testing.T) *zktest.Server {
	t.Helper()
	o := zktest.DefaultOptions()
	o.Extra = map[string]string{"xds.address": "127.0.0.1:0"}
	return zktest.StartZkmesh(t, o)
}

// checkConsistent checks the invariants of a result with no errors.
func checkConsistent(t *testing.T, r *Result) {
	t.Helper()
	if r.Ops == 0 {
		t.Fatalf("%s: no ops in the window", r.Workload)
	}
	if r.Ops != r.Successes+r.Errors {
		t.Errorf("%s: ops %d != successes %d + errors %d", r.Workload, r.Ops, r.Successes, r.Errors)
	}
	if r.Errors != 0 || len(r.ErrorsByCode) != 0 {
		t.Errorf("%s: errors %d %v", r.Workload, r.Errors, r.ErrorsByCode)
	}
	var sum uint64
	for name, o := range r.ByOp {
		if o.Ops != o.Successes+o.Errors || o.Latency.Count != o.Ops {
			t.Errorf("%s/%s: ops %d successes %d errors %d latency count %d", r.Workload, name, o.Ops, o.Successes, o.Errors, o.Latency.Count)
		}
		sum += o.Ops
	}
	if sum != r.Ops || r.Latency.Count != r.Ops {
		t.Errorf("%s: by-op sum %d, latency count %d, ops %d", r.Workload, sum, r.Latency.Count, r.Ops)
	}
	l := r.Latency
	if !(l.P50Us > 0 && l.P50Us <= l.P99Us && l.P99Us <= l.P999Us && l.P999Us <= l.MaxUs) {
		t.Errorf("%s: latency quantiles out of order: %+v", r.Workload, l)
	}
	if want := float64(r.Ops) / r.DurationSeconds; r.ThroughputOpsPerS != want {
		t.Errorf("%s: throughput %f, want ops/duration %f", r.Workload, r.ThroughputOpsPerS, want)
	}
	if r.CleanupErrors != 0 {
		t.Errorf("%s: %d cleanup errors", r.Workload, r.CleanupErrors)
	}
}

// checkGone checks with go-zookeeper that the prefix was deleted.
func checkGone(t *testing.T, addr, prefix string) {
	t.Helper()
	c, _, err := zk.Connect([]string{addr}, 10*time.Second, zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ok, _, err := c.Exists(prefix)
	if err != nil {
		t.Fatal(err)
	}
	if ok {
		t.Errorf("%s still exists after the run", prefix)
	}
}

func TestRunEveryWorkloadAgainstZkmesh(t *testing.T) {
	srv := startZkmesh(t)
	for _, wl := range Workloads {
		t.Run(string(wl), func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Servers = []string{srv.Addr}
			cfg.Workload = wl
			cfg.Sessions, cfg.Depth = 2, 16
			cfg.KeySpace, cfg.ChildrenPerKey = 200, 3
			cfg.Warmup, cfg.Duration = 200*time.Millisecond, 800*time.Millisecond
			cfg.Prefix = "/bench-" + string(wl)
			res, err := Run(context.Background(), cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			checkConsistent(t, res)
			if res.WarmupOps == 0 {
				t.Errorf("no warmup replies counted")
			}
			checkGone(t, srv.Addr, cfg.Prefix)
			var txt, js bytes.Buffer
			if err := res.WriteText(&txt); err != nil {
				t.Fatal(err)
			}
			if err := res.WriteJSON(&js); err != nil {
				t.Fatal(err)
			}
			var back Result
			if err := json.Unmarshal(js.Bytes(), &back); err != nil {
				t.Fatal(err)
			}
			if back.Ops != res.Ops || back.Workload != wl {
				t.Errorf("JSON round trip: ops %d workload %s", back.Ops, back.Workload)
			}
			if !strings.Contains(txt.String(), "throughput") {
				t.Errorf("text report lacks throughput:\n%s", txt.String())
			}
			t.Logf("%s", txt.String())
		})
	}
}

func TestMixedSplitsReadsAndWrites(t *testing.T) {
	srv := startZkmesh(t)
	cfg := DefaultConfig()
	cfg.Servers = []string{srv.Addr}
	cfg.Workload, cfg.ReadPercent = WorkloadMixed, 75
	cfg.Sessions, cfg.Depth = 3, 8
	cfg.KeySpace = 100
	cfg.Warmup, cfg.Duration = 100*time.Millisecond, 900*time.Millisecond
	var (
		mu     sync.Mutex
		events []bool
		times  []time.Time
	)
	cfg.Window = func(open bool) {
		mu.Lock()
		defer mu.Unlock()
		events, times = append(events, open), append(times, time.Now())
	}
	res, err := Run(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkConsistent(t, res)
	mu.Lock()
	if len(events) != 2 || !events[0] || events[1] {
		t.Errorf("window events %v, want [true false]", events)
	} else if d := times[1].Sub(times[0]); d < cfg.Duration-100*time.Millisecond || d > cfg.Duration+500*time.Millisecond {
		t.Errorf("window lasted %v, want about %v", d, cfg.Duration)
	}
	mu.Unlock()
	gets, sets := res.ByOp[jute.OpGetData.String()].Ops, res.ByOp[jute.OpSetData.String()].Ops
	if gets+sets != res.Ops || gets == 0 || sets == 0 {
		t.Fatalf("gets %d + sets %d vs ops %d", gets, sets, res.Ops)
	}
	// 75 % reads: with thousands of ops the share is well within 60-90 %.
	if share := float64(gets) / float64(res.Ops); share < 0.6 || share > 0.9 {
		t.Errorf("read share %.2f, want about 0.75", share)
	}
}

func TestPrefixExistsIsRefusedAndLeftAlone(t *testing.T) {
	srv := startZkmesh(t)
	c, _, err := zk.Connect([]string{srv.Addr}, 10*time.Second, zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Create("/taken", []byte("mine"), 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Servers = []string{srv.Addr}
	cfg.Prefix = "/taken"
	cfg.Duration = 100 * time.Millisecond
	_, err = Run(context.Background(), cfg, nil)
	if !errors.Is(err, ErrPrefixExists) {
		t.Fatalf("got %v, want ErrPrefixExists", err)
	}
	data, _, err := c.Get("/taken")
	if err != nil || string(data) != "mine" {
		t.Fatalf("/taken after refused run: %q, %v", data, err)
	}
}

func TestKeepDataLeavesTheKeys(t *testing.T) {
	srv := startZkmesh(t)
	cfg := DefaultConfig()
	cfg.Servers = []string{srv.Addr}
	cfg.KeySpace, cfg.PayloadBytes = 500, 10
	cfg.Warmup, cfg.Duration = 0, 50*time.Millisecond
	cfg.KeepData = true
	res, err := Run(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.SetupNodes != 500 || res.SetupLatency.Count != 500 {
		t.Errorf("setup nodes %d, setup latencies %d", res.SetupNodes, res.SetupLatency.Count)
	}
	c, _, err := zk.Connect([]string{srv.Addr}, 10*time.Second, zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	kids, _, err := c.Children(keysParent(cfg.Prefix))
	if err != nil || len(kids) != 500 {
		t.Fatalf("children of %s: %d, %v", keysParent(cfg.Prefix), len(kids), err)
	}
	data, _, err := c.Get(keyPath(cfg.Prefix, 499))
	if err != nil || len(data) != 10 {
		t.Fatalf("key 499: %q, %v", data, err)
	}
}
