package proxyless_test

// These tests run the proxyless example's flow: providers register
// ephemeral zkmesh records with go-zookeeper/zk, gRPC's own xDS resolver
// dials xds:///echo. Closing a provider's session must stop its traffic; a
// new provider must start getting traffic.
//
// TestProxylessOverZkmesh runs it against the zkmesh daemon (its ZooKeeper
// port, registry feed and ADS server). TestProxylessOverZooKeeper runs it
// against Apache ZooKeeper 3.8 (Debian's package; skipped when absent) with a
// small watcher standing in for the sidecar, feeding loadbalance.Registry
// and xds.Server directly.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"path"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/rs/zerolog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	grpcxds "google.golang.org/grpc/xds"

	"github.com/zkmesh/zkmesh/internal/zktest"
	"github.com/zkmesh/zkmesh/loadbalance"
	"github.com/zkmesh/zkmesh/xds"
)

const service = "echo"

var serviceDir = "/zkmesh/services/" + service

func connect(t *testing.T, addr string) *zk.Conn {
	t.Helper()
	conn, events, err := zk.Connect([]string{addr}, 4*time.Second, zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	for ev := range events {
		if ev.State == zk.StateHasSession {
			break
		}
	}
	return conn
}

// provider is the example provider: a gRPC server registered as an
// ephemeral zkmesh record for as long as its session lives.
type provider struct {
	id   string
	conn *zk.Conn
	rpcs atomic.Int64
	// creating is when the create of its node was sent.
	creating time.Time
}

func startProvider(t *testing.T, zkAddr, id string, weight int) *provider {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &provider{id: id}
	srv := grpc.NewServer(grpc.UnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		p.rpcs.Add(1)
		_ = grpc.SetHeader(ctx, metadata.Pairs("x-backend", id))
		return h(ctx, req)
	}))
	healthpb.RegisterHealthServer(srv, health.NewServer())
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)

	p.conn = connect(t, zkAddr)
	t.Cleanup(p.conn.Close)
	record, _ := json.Marshal(map[string]any{
		"address": "127.0.0.1", "port": lis.Addr().(*net.TCPAddr).Port, "weight": weight, "policy": "ring_hash",
	})
	p.creating = time.Now()
	if _, err := p.conn.Create(path.Join(serviceDir, id), record, zk.FlagEphemeral, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	return p
}

func ensureDir(t *testing.T, conn *zk.Conn, dir string) {
	t.Helper()
	p := ""
	for _, part := range strings.Split(strings.TrimPrefix(dir, "/"), "/") {
		p += "/" + part
		if _, err := conn.Create(p, nil, 0, zk.WorldACL(zk.PermAll)); err != nil && !errors.Is(err, zk.ErrNodeExists) {
			t.Fatal(err)
		}
	}
}

// feed stands in for the sidecar: it watches serviceDir and forwards
// creations and deletions to the Registry, then the View to the server.
// (Data changes are not watched; the providers never change their data.)
func feed(ctx context.Context, conn *zk.Conn, reg *loadbalance.Registry, srv *xds.Server, errs chan<- error) {
	known := map[string]bool{}
	for {
		children, stat, ch, err := conn.ChildrenW(serviceDir)
		if err != nil {
			errs <- err
			return
		}
		now := map[string]bool{}
		for _, c := range children {
			now[c] = true
			if known[c] {
				continue
			}
			p := path.Join(serviceDir, c)
			data, st, err := conn.Get(p)
			if errors.Is(err, zk.ErrNoNode) {
				continue
			} else if err != nil {
				errs <- err
				return
			}
			reg.Put(p, data, st.Mzxid)
		}
		for c := range known {
			if !now[c] {
				reg.Remove(path.Join(serviceDir, c), stat.Pzxid)
			}
		}
		known = now
		srv.Update(reg.View())
		select {
		case <-ctx.Done():
			return
		case <-ch:
		}
	}
}

func TestProxylessOverZooKeeper(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Apache ZooKeeper")
	}
	zkSrv := zktest.StartApacheZK(t, zktest.DefaultOptions())

	cfg := xds.DefaultConfig()
	cfg.CoalesceDelay = 5 * time.Millisecond
	srv, err := xds.New(cfg, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go func() { _ = srv.Run(ctx) }()

	watcher := connect(t, zkSrv.Addr)
	t.Cleanup(watcher.Close)
	ensureDir(t, watcher, serviceDir)
	feedErrs := make(chan error, 1)
	go feed(ctx, watcher, loadbalance.NewRegistry(), srv, feedErrs)
	flow(t, zkSrv.Addr, lis.Addr().String(), feedErrs)
}

// TestProxylessOverZkmesh runs the same flow against the zkmesh daemon
// itself: its ZooKeeper port, its own registry feed and its ADS server.
func TestProxylessOverZkmesh(t *testing.T) {
	if testing.Short() {
		t.Skip("starts zkmesh")
	}
	o := zktest.DefaultOptions()
	adsAddr := fmt.Sprintf("127.0.0.1:%d", zktest.FreePort(t))
	o.Extra = map[string]string{"xds.address": adsAddr}
	zkSrv := zktest.StartZkmesh(t, o)
	conn := connect(t, zkSrv.Addr)
	ensureDir(t, conn, serviceDir)
	conn.Close()
	flow(t, zkSrv.Addr, adsAddr, nil)
}

// flow: providers a (weight 1) and b (weight 3) register; the consumer's
// traffic follows the weights; b's session closes and its traffic stops; c
// registers and gets traffic.
func flow(t *testing.T, zkAddr, adsAddr string, feedErrs <-chan error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	startProvider(t, zkAddr, "a", 1)
	b := startProvider(t, zkAddr, "b", 3)

	rb, err := grpcxds.NewXDSResolverWithConfigForTesting([]byte(fmt.Sprintf(`{
		"xds_servers": [{"server_uri": %q, "channel_creds": [{"type": "insecure"}], "server_features": ["xds_v3"]}],
		"node": {"id": "consumer"}}`, adsAddr)))
	if err != nil {
		t.Fatal(err)
	}
	cc, err := grpc.NewClient("xds:///"+service, grpc.WithResolvers(rb), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })
	client := healthpb.NewHealthClient(cc)
	call := func() string {
		t.Helper()
		select {
		case err := <-feedErrs:
			t.Fatalf("watcher: %v", err)
		default:
		}
		rctx, rcancel := context.WithTimeout(ctx, 20*time.Second)
		defer rcancel()
		var md metadata.MD
		if _, err := client.Check(rctx, &healthpb.HealthCheckRequest{}, grpc.Header(&md), grpc.WaitForReady(true)); err != nil {
			t.Fatalf("rpc: %v", err)
		}
		return md.Get("x-backend")[0]
	}

	// Both providers answer; traffic follows the weights 1:3.
	seen := map[string]bool{}
	for len(seen) < 2 {
		seen[call()] = true
	}
	counts := map[string]int{}
	const n = 1000
	for i := 0; i < n; i++ {
		counts[call()]++
	}
	t.Logf("weights 1:3 -> %v", counts)
	if share := float64(counts["b"]) / n; share < 0.65 || share > 0.85 {
		t.Fatalf("b got %.3f of RPCs, want 0.75±0.1", share)
	}

	// b's session closes: its node goes and so does its traffic.
	t0 := time.Now()
	b.conn.Close()
	var lastB time.Time
	for run := 0; run < 300; {
		if id := call(); id == "b" {
			lastB, run = time.Now(), 0
		} else {
			run++
		}
		if time.Since(t0) > 20*time.Second {
			t.Fatal("b still gets traffic after its session closed")
		}
	}
	stopped := time.Duration(0)
	if !lastB.IsZero() {
		stopped = lastB.Sub(t0)
	}

	// c registers and starts getting traffic.
	c := startProvider(t, zkAddr, "c", 1)
	for call() != "c" {
		if time.Since(c.creating) > 20*time.Second {
			t.Fatal("c never got traffic")
		}
	}
	started := time.Since(c.creating)
	t.Logf("session close -> last RPC to b: %v; create of c -> first RPC to c: %v", stopped, started)

	// Rounds of register / close for the latency figures.
	const rounds = 10
	var adds, dels []time.Duration
	for i := 0; i < rounds; i++ {
		p := startProvider(t, zkAddr, fmt.Sprintf("r%d", i), 3)
		for call() != p.id {
			if time.Since(p.creating) > 20*time.Second {
				t.Fatalf("%s never got traffic", p.id)
			}
		}
		adds = append(adds, time.Since(p.creating))
		t0 := time.Now()
		p.conn.Close()
		last := t0
		for run := 0; run < 200; {
			if call() == p.id {
				last, run = time.Now(), 0
			} else {
				run++
			}
			if time.Since(t0) > 20*time.Second {
				t.Fatalf("%s still gets traffic", p.id)
			}
		}
		dels = append(dels, last.Sub(t0))
	}
	sort.Slice(adds, func(i, j int) bool { return adds[i] < adds[j] })
	sort.Slice(dels, func(i, j int) bool { return dels[i] < dels[j] })
	t.Logf("create -> first RPC over %d rounds: p50 %v max %v", rounds, adds[rounds/2], adds[rounds-1])
	t.Logf("session close -> last RPC over %d rounds: p50 %v max %v", rounds, dels[rounds/2], dels[rounds-1])
}
