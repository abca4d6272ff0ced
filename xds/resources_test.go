package xds

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"

	"github.com/zkmesh/zkmesh/loadbalance"
)

func TestAssignmentLocalitiesAndPriorities(t *testing.T) {
	svc := &loadbalance.Service{Name: "s", Endpoints: []loadbalance.Endpoint{
		{ID: "1", Address: "10.0.0.1", Port: 1, Weight: 10, Zone: "remote"},
		{ID: "2", Address: "10.0.0.2", Port: 1, Weight: 20, Zone: "local"},
		{ID: "3", Address: "10.0.0.3", Port: 1, Weight: 30, Zone: "local"},
		{ID: "4", Address: "10.0.0.3", Port: 1, Weight: 99, Zone: "local"}, // duplicate address
		{ID: "5", Address: "10.0.0.5", Port: 1, Weight: 0, Zone: "local"},  // weight 0
		{ID: "6", Address: "10.0.0.6", Port: 1, Weight: 5, Zone: "local", Health: loadbalance.Unhealthy},
		{ID: "7", Address: "10.0.0.7", Port: 1, Weight: 5, Zone: "other", Priority: 1},
	}}
	cla := buildAssignment(svc, "local", testNow)
	type loc struct {
		zone     string
		priority uint32
		weight   uint32
		n        int
	}
	var got []loc
	for _, l := range cla.Endpoints {
		got = append(got, loc{l.Locality.Zone, l.Priority, l.LoadBalancingWeight.GetValue(), len(l.LbEndpoints)})
	}
	want := []loc{{"local", 0, 50, 4}, {"remote", 1, 10, 1}, {"other", 2, 5, 1}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("localities = %v, want %v", got, want)
	}
	local := cla.Endpoints[0].LbEndpoints
	if local[2].HealthStatus != corev3.HealthStatus_DRAINING || local[2].LoadBalancingWeight.GetValue() != 1 {
		t.Fatalf("weight-0 endpoint = %v", local[2])
	}
	if local[3].HealthStatus != corev3.HealthStatus_UNHEALTHY {
		t.Fatalf("unhealthy endpoint = %v", local[3])
	}
	// No local zone configured: zones share their registered priority.
	cla = buildAssignment(svc, "", testNow)
	for _, l := range cla.Endpoints {
		if (l.Locality.Zone == "other") != (l.Priority == 1) {
			t.Fatalf("without local zone: %s at priority %d", l.Locality.Zone, l.Priority)
		}
	}
	// An empty service has an empty assignment.
	if cla := buildAssignment(&loadbalance.Service{Name: "e"}, "local", testNow); cla.ClusterName != "e" || len(cla.Endpoints) != 0 {
		t.Fatalf("empty = %v", cla)
	}
}

// TestWarmupRefresh: a Dubbo provider warming up is republished by Refresh
// with a growing weight and a version that orders after the zxid's.
func TestWarmupRefresh(t *testing.T) {
	s, addr := startServer(t, nil)
	r := loadbalance.NewRegistry()
	start := testNow.Add(-time.Minute)
	u := fmt.Sprintf("dubbo://10.0.0.1:20880/a.B?weight=100&warmup=600000&timestamp=%d", start.UnixMilli())
	r.Put("/dubbo/a.B/providers/"+url.QueryEscape(u), nil, 0x700000001)
	publish(t, s, r)
	c := newSotw(t, dial(t, addr))
	c.send(&discovery.DiscoveryRequest{TypeUrl: resourcev3.EndpointType, ResourceNames: []string{"a.B"}})
	eds := c.recv()
	weight := func() uint32 {
		return assignment(t, eds.Resources[0]).Endpoints[0].LbEndpoints[0].LoadBalancingWeight.GetValue()
	}
	if w := weight(); w != 10 {
		t.Fatalf("weight one minute into a ten minute warmup = %d, want 10", w)
	}
	v1 := eds.VersionInfo
	c.ack(eds, "a.B")
	if err := s.Refresh(testNow.Add(4 * time.Minute)); err != nil {
		t.Fatal(err)
	}
	eds = c.recv()
	if w := weight(); w != 50 || eds.VersionInfo <= v1 || eds.VersionInfo >= "0000000700000002" {
		t.Fatalf("after refresh weight %d version %q (was %q)", weight(), eds.VersionInfo, v1)
	}
	c.ack(eds, "a.B")
	if err := s.Refresh(testNow.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	eds = c.recv()
	if w := weight(); w != 100 {
		t.Fatalf("warm weight = %d", w)
	}
	if s.isWarming() {
		t.Fatal("still warming after the warmup")
	}
}

// TestRunCoalesces: Run publishes a burst of Updates once the delay has
// passed, and the client ends with the newest View.
func TestRunCoalesces(t *testing.T) {
	s, addr := startServer(t, func(c *Config) { c.CoalesceDelay = 200 * time.Millisecond })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	c := newSotw(t, dial(t, addr))
	c.send(&discovery.DiscoveryRequest{TypeUrl: resourcev3.EndpointType, ResourceNames: []string{"burst"}})
	r := loadbalance.NewRegistry()
	const burst = 50
	for i := 1; i <= burst; i++ {
		r.Put("/zkmesh/services/burst/1", record("10.0.0.1", i, 1), int64(i))
		s.Update(r.View())
	}
	for {
		eds := c.recv()
		c.ack(eds, "burst")
		if len(eds.Resources) == 0 {
			continue // the initial empty answer
		}
		port := assignment(t, eds.Resources[0]).Endpoints[0].LbEndpoints[0].GetEndpoint().Address.GetSocketAddress().GetPortValue()
		if port == burst {
			break
		}
	}
	// The client may see the answer before the publication is counted.
	deadline := time.Now().Add(5 * time.Second)
	for s.Stats().Publishes < 1 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if p := s.Stats().Publishes; p < 1 || p > 3 {
		t.Fatalf("%d publications for a burst of %d updates", p, burst)
	}
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	for _, f := range []func(*Config){
		func(c *Config) { c.Address = "nope" },
		func(c *Config) { c.CoalesceDelay = -1 },
		func(c *Config) { c.CoalesceDelay = time.Minute },
		func(c *Config) { c.WarmupRefresh = 0 },
		func(c *Config) { c.ConnectTimeout = 0 },
	} {
		c := DefaultConfig()
		f(&c)
		if _, err := New(c, testLog()); !errors.Is(err, ErrConfig) {
			t.Errorf("config %+v accepted", c)
		}
	}
}

// TestResourcesPassEnvoyValidation: every resource kind passes the
// protoc-gen-validate rules Envoy enforces, including the
// HttpConnectionManager inside the API listener.
func TestResourcesPassEnvoyValidation(t *testing.T) {
	type validator interface{ ValidateAll() error }
	svc := &loadbalance.Service{Name: "g/com.example.Greeter:1.0", Policy: loadbalance.RingHash, Endpoints: []loadbalance.Endpoint{
		{ID: "1", Address: "10.0.0.1", Port: 1, Weight: 10, Zone: "a", Metadata: map[string]string{"k": "v"}},
		{ID: "2", Address: "::1", Port: 65535, Weight: 0, Zone: "b", Priority: 3, Health: loadbalance.Draining},
	}}
	lis, err := buildListener(svc.Name)
	if err != nil {
		t.Fatal(err)
	}
	hcm, err := lis.ApiListener.ApiListener.UnmarshalNew()
	if err != nil {
		t.Fatal(err)
	}
	for _, policy := range []loadbalance.Policy{loadbalance.RoundRobin, loadbalance.LeastRequest, loadbalance.RingHash} {
		svc.Policy = policy
		for _, r := range []validator{
			buildCluster(svc, time.Second),
			buildAssignment(svc, "a", testNow),
			buildAssignment(&loadbalance.Service{Name: "empty"}, "a", testNow),
			lis,
			hcm.(validator),
			buildRoute(svc.Name),
		} {
			if err := r.ValidateAll(); err != nil {
				t.Errorf("%T: %v", r, err)
			}
		}
	}
}

// TestConcurrentUpdates: Update from many goroutines while Run publishes;
// the client ends with the View of the last call and the race detector
// stays quiet.
func TestConcurrentUpdates(t *testing.T) {
	s, addr := startServer(t, func(c *Config) { c.CoalesceDelay = time.Millisecond })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() { cancel(); <-done }()
	c := newSotw(t, dial(t, addr))
	c.send(&discovery.DiscoveryRequest{TypeUrl: resourcev3.EndpointType, ResourceNames: []string{"s"}})

	views := make(chan loadbalance.View, 400)
	r := loadbalance.NewRegistry()
	for i := 1; i <= 400; i++ {
		r.Put("/zkmesh/services/s/1", record("10.0.0.1", i, 1), int64(i))
		views <- r.View()
	}
	close(views)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for v := range views {
				s.Update(v)
			}
		}()
	}
	wg.Wait()
	r.Put("/zkmesh/services/s/1", record("10.0.0.1", 1000, 1), 1000)
	s.Update(r.View())
	for {
		eds := c.recv()
		c.ack(eds, "s")
		if len(eds.Resources) == 0 {
			continue
		}
		if assignment(t, eds.Resources[0]).Endpoints[0].LbEndpoints[0].GetEndpoint().Address.GetSocketAddress().GetPortValue() == 1000 {
			return
		}
	}
}
