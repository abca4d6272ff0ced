package xds

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/resolver"
	grpcxds "google.golang.org/grpc/xds"

	"github.com/zkmesh/zkmesh/loadbalance"
)

// backend is a real gRPC server (the standard health service) that tells
// which backend served each RPC in a response header and counts its RPCs.
type backend struct {
	id   string
	port int
	rpcs atomic.Int64
}

const backendHeader = "x-backend"

func startBackend(t testing.TB, id string) *backend {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &backend{id: id, port: lis.Addr().(*net.TCPAddr).Port}
	srv := grpc.NewServer(grpc.UnaryInterceptor(func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		b.rpcs.Add(1)
		_ = grpc.SetHeader(ctx, metadata.Pairs(backendHeader, b.id))
		return h(ctx, req)
	}))
	healthpb.RegisterHealthServer(srv, health.NewServer())
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return b
}

// mesh is the test's stand-in for the sidecar: a Registry fed with the
// registrations backends make, and an xds.Server publishing through Run.
type mesh struct {
	t   testing.TB
	mu  sync.Mutex
	reg *loadbalance.Registry
	srv *Server
	zx  int64
	// xdsResolver is a gRPC xDS resolver bound to this mesh's bootstrap.
	xdsResolver resolver.Builder
}

func newMesh(t testing.TB) *mesh {
	t.Helper()
	srv, addr := startServer(t, func(c *Config) { c.CoalesceDelay = 5 * time.Millisecond })
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() { defer close(ran); _ = srv.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-ran })
	bootstrap := fmt.Sprintf(`{
		"xds_servers": [{"server_uri": %q, "channel_creds": [{"type": "insecure"}], "server_features": ["xds_v3"]}],
		"node": {"id": "e2e-client", "locality": {"zone": "z1"}}
	}`, addr)
	rb, err := grpcxds.NewXDSResolverWithConfigForTesting([]byte(bootstrap))
	if err != nil {
		t.Fatal(err)
	}
	return &mesh{t: t, reg: loadbalance.NewRegistry(), srv: srv, zx: 0x500000000, xdsResolver: rb}
}

// put and remove act like the ZooKeeper server applying a committed txn.
func (m *mesh) put(path string, data []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.zx++
	m.reg.Put(path, data, m.zx)
	if pr := m.reg.Malformed(); len(pr) > 0 {
		m.t.Errorf("malformed: %v", pr)
	}
	m.srv.Update(m.reg.View())
}

func (m *mesh) remove(path string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.zx++
	m.reg.Remove(path, m.zx)
	m.srv.Update(m.reg.View())
}

func (m *mesh) dial(service string) healthpb.HealthClient {
	m.t.Helper()
	cc, err := grpc.NewClient("xds:///"+service, grpc.WithResolvers(m.xdsResolver),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		m.t.Fatal(err)
	}
	m.t.Cleanup(func() { cc.Close() })
	return healthpb.NewHealthClient(cc)
}

// call makes one RPC and returns the id of the backend that served it.
func call(t testing.TB, c healthpb.HealthClient) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	var md metadata.MD
	if _, err := c.Check(ctx, &healthpb.HealthCheckRequest{}, grpc.Header(&md), grpc.WaitForReady(true)); err != nil {
		t.Fatalf("rpc: %v", err)
	}
	if v := md.Get(backendHeader); len(v) == 1 {
		return v[0]
	}
	t.Fatal("no backend header")
	return ""
}

// spread warms the channel up until every backend in want has answered,
// then makes n RPCs and returns each backend's share.
func spread(t testing.TB, c healthpb.HealthClient, want []string, n int) map[string]float64 {
	t.Helper()
	seen := map[string]bool{}
	deadline := time.Now().Add(waitLimit)
	for len(seen) < len(want) {
		if time.Now().After(deadline) {
			t.Fatalf("only %v of %v answered", seen, want)
		}
		seen[call(t, c)] = true
	}
	counts := map[string]int{}
	for i := 0; i < n; i++ {
		counts[call(t, c)]++
	}
	share := map[string]float64{}
	for id, k := range counts {
		share[id] = float64(k) / float64(n)
	}
	return share
}

func within(t testing.TB, what string, share map[string]float64, want map[string]float64, tol float64) {
	t.Helper()
	t.Logf("%s: shares %v", what, share)
	for id, w := range want {
		if got := share[id]; got < w-tol || got > w+tol {
			t.Errorf("%s: backend %s got %.3f of RPCs, want %.3f±%.2f (all: %v)", what, id, got, w, tol, share)
		}
	}
	for id := range share {
		if _, ok := want[id]; !ok {
			t.Errorf("%s: unexpected backend %s got traffic", what, id)
		}
	}
}

// TestEndToEndGRPCXDS: real gRPC backends registered in each of the four
// layouts, reached by gRPC's own xDS resolver through this package's ADS
// server; traffic follows the weights, removals stop traffic and additions
// start it.
func TestEndToEndGRPCXDS(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end")
	}
	m := newMesh(t)
	const n = 1000

	// zkmesh records, ring hash so that proxyless gRPC honours weights.
	e1, e2 := startBackend(t, "e1"), startBackend(t, "e2")
	m.put("/zkmesh/services/echo/e1", []byte(fmt.Sprintf(`{"address":"127.0.0.1","port":%d,"weight":1,"policy":"ring_hash"}`, e1.port)))
	m.put("/zkmesh/services/echo/e2", []byte(fmt.Sprintf(`{"address":"127.0.0.1","port":%d,"weight":3,"policy":"ring_hash"}`, e2.port)))
	// Dubbo providers with weights and consistenthash.
	d1, d2 := startBackend(t, "d1"), startBackend(t, "d2")
	for _, d := range []struct {
		b *backend
		w int
	}{{d1, 100}, {d2, 300}} {
		u := fmt.Sprintf("tri://127.0.0.1:%d/com.example.Greeter?application=greeter&side=provider&group=g&version=1.0&weight=%d&loadbalance=consistenthash", d.b.port, d.w)
		m.put("/dubbo/com.example.Greeter/providers/"+url.QueryEscape(u), nil)
	}
	// Curator instances: equal weights, round robin.
	c1, c2 := startBackend(t, "c1"), startBackend(t, "c2")
	for _, c := range []*backend{c1, c2} {
		m.put("/services/orders/"+c.id, []byte(fmt.Sprintf(`{"name":"orders","id":%q,"address":"127.0.0.1","port":%d,"sslPort":null,"payload":null,"registrationTimeUTC":1,"serviceType":"DYNAMIC","uriSpec":null,"enabled":true}`, c.id, c.port)))
	}
	// Kafka brokers: each broker's GRPC listener.
	k1, k2 := startBackend(t, "k1"), startBackend(t, "k2")
	for i, k := range []*backend{k1, k2} {
		m.put(fmt.Sprintf("/brokers/ids/%d", i+1), []byte(fmt.Sprintf(`{"listener_security_protocol_map":{"GRPC":"PLAINTEXT"},"endpoints":["GRPC://127.0.0.1:%d"],"jmx_port":-1,"host":"127.0.0.1","timestamp":"1","port":%d,"version":5,"rack":"z1"}`, k.port, k.port)))
	}
	// A malformed registration next to them breaks nothing.
	m.mu.Lock()
	m.reg.Put("/zkmesh/services/echo/broken", []byte("{"), m.zx)
	if pr := m.reg.Malformed(); len(pr) != 1 {
		t.Fatalf("malformed = %v", pr)
	}
	m.mu.Unlock()

	echo := m.dial("echo")
	within(t, "zkmesh 1:3", spread(t, echo, []string{"e1", "e2"}, n), map[string]float64{"e1": 0.25, "e2": 0.75}, 0.1)
	greeter := m.dial("g/com.example.Greeter:1.0")
	within(t, "dubbo 100:300", spread(t, greeter, []string{"d1", "d2"}, n), map[string]float64{"d1": 0.25, "d2": 0.75}, 0.1)
	orders := m.dial("orders")
	within(t, "curator", spread(t, orders, []string{"c1", "c2"}, n/2), map[string]float64{"c1": 0.5, "c2": 0.5}, 0.1)
	kafka := m.dial("kafka-grpc")
	within(t, "kafka", spread(t, kafka, []string{"k1", "k2"}, n/2), map[string]float64{"k1": 0.5, "k2": 0.5}, 0.1)

	// Session of e2 dies: its ephemeral node goes, traffic moves to e1.
	m.remove("/zkmesh/services/echo/e2")
	waitOnly(t, echo, "e1")
	within(t, "after removal", spread(t, echo, []string{"e1"}, 200), map[string]float64{"e1": 1}, 0)
	// A new backend registers and starts getting traffic.
	e3 := startBackend(t, "e3")
	m.put("/zkmesh/services/echo/e3", []byte(fmt.Sprintf(`{"address":"127.0.0.1","port":%d,"weight":1,"policy":"ring_hash"}`, e3.port)))
	within(t, "after addition", spread(t, echo, []string{"e1", "e3"}, n), map[string]float64{"e1": 0.5, "e3": 0.5}, 0.12)
	// The last endpoint going leaves the cluster: RPCs fail fast, not hang.
	m.remove("/services/orders/c1")
	m.remove("/services/orders/c2")
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	for {
		if _, err := orders.Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
			if ctx.Err() != nil {
				t.Fatal("RPCs to an empty service hang")
			}
			break
		}
	}
}

// waitOnly makes RPCs until 200 in a row are served by only.
func waitOnly(t testing.TB, c healthpb.HealthClient, only string) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for run := 0; run < 200; {
		if time.Now().After(deadline) {
			t.Fatalf("traffic still reaches other backends than %s", only)
		}
		if call(t, c) == only {
			run++
		} else {
			run = 0
		}
	}
}

// TestRegistrationToTrafficLatency measures, with continuous RPC load, the
// time from a registration's create until its backend serves an RPC and
// from its removal until it serves no more. The bars are p99 <= 100 ms on
// loopback; the assertion is looser so that -race on a loaded machine does
// not flake, and the numbers are logged.
func TestRegistrationToTrafficLatency(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end")
	}
	m := newMesh(t)
	base := startBackend(t, "base")
	m.put("/zkmesh/services/lat/base", []byte(fmt.Sprintf(`{"address":"127.0.0.1","port":%d,"policy":"ring_hash"}`, base.port)))
	c := m.dial("lat")
	spread(t, c, []string{"base"}, 1)

	type served struct {
		id string
		at time.Time
	}
	results := make(chan served, 1<<16)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	loadDone := make(chan struct{})
	go func() {
		defer close(loadDone)
		for ctx.Err() == nil {
			var md metadata.MD
			cctx, ccancel := context.WithTimeout(ctx, waitLimit)
			_, err := c.Check(cctx, &healthpb.HealthCheckRequest{}, grpc.Header(&md), grpc.WaitForReady(true))
			ccancel()
			if err != nil {
				continue
			}
			if v := md.Get(backendHeader); len(v) == 1 {
				select {
				case results <- served{v[0], time.Now()}:
				default:
				}
			}
		}
	}()
	defer func() { cancel(); <-loadDone }()
	next := func() served {
		select {
		case s := <-results:
			return s
		case <-time.After(waitLimit):
			t.Fatal("load generator stalled")
		}
		return served{}
	}

	const rounds = 20
	var add, del []time.Duration
	for i := 0; i < rounds; i++ {
		b := startBackend(t, fmt.Sprintf("b%d", i))
		path := fmt.Sprintf("/zkmesh/services/lat/b%d", i)
		for len(results) > 0 {
			<-results
		}
		t0 := time.Now()
		m.put(path, []byte(fmt.Sprintf(`{"address":"127.0.0.1","port":%d,"weight":300,"policy":"ring_hash"}`, b.port)))
		for {
			s := next()
			if s.id == b.id {
				add = append(add, s.at.Sub(t0))
				break
			}
		}
		t0 = time.Now()
		m.remove(path)
		last := t0
		for run := 0; run < 150; {
			s := next()
			if s.id == b.id {
				last, run = s.at, 0
			} else if s.at.After(t0) {
				run++
			}
		}
		del = append(del, last.Sub(t0))
	}
	p := func(ds []time.Duration, q float64) time.Duration {
		s := append([]time.Duration(nil), ds...)
		sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
		return s[int(q*float64(len(s)-1))]
	}
	t.Logf("registration -> first RPC: p50 %v p99 %v max %v", p(add, 0.5), p(add, 0.99), p(add, 1))
	t.Logf("removal -> last RPC:       p50 %v p99 %v max %v", p(del, 0.5), p(del, 0.99), p(del, 1))
	if p(add, 0.99) > time.Second || p(del, 0.99) > time.Second {
		t.Errorf("p99 above 1 s: add %v remove %v", p(add, 0.99), p(del, 0.99))
	}
}
