package xds

import (
	"reflect"
	"sort"
	"strings"
	"testing"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	statuspb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/zkmesh/zkmesh/loadbalance"
)

// names decodes the resources of a response and returns their names.
func names(t testing.TB, typeURL string, rs []*anypb.Any) []string {
	t.Helper()
	var out []string
	for _, a := range rs {
		if a.TypeUrl != typeURL {
			t.Fatalf("resource type %s in a %s response", a.TypeUrl, typeURL)
		}
		m, err := a.UnmarshalNew()
		if err != nil {
			t.Fatal(err)
		}
		switch r := m.(type) {
		case *clusterv3.Cluster:
			out = append(out, r.Name)
		case *endpointv3.ClusterLoadAssignment:
			out = append(out, r.ClusterName)
		case *listenerv3.Listener:
			out = append(out, r.Name)
		case *routev3.RouteConfiguration:
			out = append(out, r.Name)
		default:
			t.Fatalf("unexpected %T", m)
		}
	}
	sort.Strings(out)
	return out
}

func assignment(t testing.TB, a *anypb.Any) *endpointv3.ClusterLoadAssignment {
	t.Helper()
	var cla endpointv3.ClusterLoadAssignment
	if err := a.UnmarshalTo(&cla); err != nil {
		t.Fatal(err)
	}
	return &cla
}

func threeServices(r *loadbalance.Registry) {
	r.Put("/zkmesh/services/a/1", record("10.0.0.1", 80, 1), 0x100000001)
	r.Put("/zkmesh/services/b/1", record("10.0.0.2", 80, 2), 0x100000002)
	r.Put("/zkmesh/services/c/1", record("10.0.0.3", 80, 3), 0x100000003)
}

// TestSotwOrderingAndVersions: an Envoy-like wildcard client on all four
// types receives a new service's resources clusters, endpoints, listeners,
// routes in that order, each versioned with the zxid of the change.
func TestSotwOrderingAndVersions(t *testing.T) {
	s, addr := startServer(t, nil)
	r := loadbalance.NewRegistry()
	threeServices(r)
	publish(t, s, r)
	c := newSotw(t, dial(t, addr))
	for _, typ := range publishOrder {
		c.send(&discovery.DiscoveryRequest{TypeUrl: typ})
		resp := c.recv()
		if resp.TypeUrl != typ || !reflect.DeepEqual(names(t, typ, resp.Resources), []string{"a", "b", "c"}) {
			t.Fatalf("initial %s: %v", typ, names(t, typ, resp.Resources))
		}
		if resp.VersionInfo != "0000000100000003" {
			t.Fatalf("version_info = %q", resp.VersionInfo)
		}
		c.ack(resp)
	}
	r.Put("/zkmesh/services/d/1", record("10.0.0.4", 80, 1), 0x200000001)
	publish(t, s, r)
	nonces := map[string]bool{}
	for _, typ := range publishOrder {
		resp := c.recv()
		if resp.TypeUrl != typ {
			t.Fatalf("got %s, want %s next (order clusters, endpoints, listeners, routes)", resp.TypeUrl, typ)
		}
		if resp.VersionInfo != "0000000200000001" {
			t.Fatalf("%s version_info = %q, want the new zxid", typ, resp.VersionInfo)
		}
		if nonces[resp.Nonce] || resp.Nonce == "" {
			t.Fatalf("nonce %q reused", resp.Nonce)
		}
		nonces[resp.Nonce] = true
		got := names(t, typ, resp.Resources)
		want := []string{"d"}
		if typ == resourcev3.ClusterType || typ == resourcev3.ListenerType {
			want = []string{"a", "b", "c", "d"} // state of the world for CDS/LDS is full
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s resources = %v, want %v", typ, got, want)
		}
		c.ack(resp)
	}
}

// TestSotwSubsetAndOnlyChangedEndpoints: a gRPC-like client asks for named
// subsets; a change to one service re-sends only that service's assignment,
// and nothing else.
func TestSotwSubsetAndOnlyChangedEndpoints(t *testing.T) {
	s, addr := startServer(t, nil)
	r := loadbalance.NewRegistry()
	threeServices(r)
	publish(t, s, r)
	c := newSotw(t, dial(t, addr))

	c.send(&discovery.DiscoveryRequest{TypeUrl: resourcev3.ClusterType, ResourceNames: []string{"a", "b"}})
	cds := c.recv()
	if got := names(t, cds.TypeUrl, cds.Resources); !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Fatalf("CDS subset = %v", got)
	}
	c.ack(cds, "a", "b")
	c.send(&discovery.DiscoveryRequest{TypeUrl: resourcev3.EndpointType, ResourceNames: []string{"a", "b"}})
	eds := c.recv()
	if got := names(t, eds.TypeUrl, eds.Resources); !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Fatalf("EDS subset = %v", got)
	}
	c.ack(eds, "a", "b")

	// Widening the subscription sends just the new name for EDS.
	c.send(&discovery.DiscoveryRequest{TypeUrl: resourcev3.EndpointType, VersionInfo: eds.VersionInfo,
		ResponseNonce: eds.Nonce, ResourceNames: []string{"a", "b", "c"}})
	eds = c.recv()
	if got := names(t, eds.TypeUrl, eds.Resources); !reflect.DeepEqual(got, []string{"c"}) {
		t.Fatalf("EDS after subscribing c = %v", got)
	}
	c.ack(eds, "a", "b", "c")

	// A change to c (not subscribed on CDS) and a data change of b.
	r.Put("/zkmesh/services/b/2", record("10.0.0.22", 80, 5), 0x100000010)
	publish(t, s, r)
	eds = c.recv()
	if eds.TypeUrl != resourcev3.EndpointType {
		t.Fatalf("a %s response for an endpoint-only change", eds.TypeUrl)
	}
	if got := names(t, eds.TypeUrl, eds.Resources); !reflect.DeepEqual(got, []string{"b"}) {
		t.Fatalf("EDS re-sent %v, want only b", got)
	}
	if cla := assignment(t, eds.Resources[0]); len(cla.Endpoints[0].LbEndpoints) != 2 || cla.Endpoints[0].LoadBalancingWeight.GetValue() != 7 {
		t.Fatalf("b's assignment = %v", cla)
	}
	c.ack(eds, "a", "b", "c")
	// The next change shows that nothing else was queued in between.
	r.Put("/zkmesh/services/a/2", record("10.0.0.11", 80, 5), 0x100000011)
	publish(t, s, r)
	eds = c.recv()
	if got := names(t, eds.TypeUrl, eds.Resources); eds.TypeUrl != resourcev3.EndpointType || !reflect.DeepEqual(got, []string{"a"}) {
		t.Fatalf("second change: %s %v", eds.TypeUrl, got)
	}
}

// TestSotwNackAndStaleNonce: a NACK is counted and not answered with the
// same resources again; a request with a stale nonce is ignored; later
// changes still arrive.
func TestSotwNackAndStaleNonce(t *testing.T) {
	s, addr := startServer(t, nil)
	r := loadbalance.NewRegistry()
	threeServices(r)
	publish(t, s, r)
	c := newSotw(t, dial(t, addr))
	c.send(&discovery.DiscoveryRequest{TypeUrl: resourcev3.EndpointType, ResourceNames: []string{"a"}})
	first := c.recv()
	c.ack(first, "a")

	r.Put("/zkmesh/services/a/1", record("10.0.0.1", 81, 1), 0x100000020)
	publish(t, s, r)
	second := c.recv()
	// NACK: keep the previous version, name the rejected nonce.
	c.send(&discovery.DiscoveryRequest{TypeUrl: resourcev3.EndpointType, VersionInfo: first.VersionInfo,
		ResponseNonce: second.Nonce, ResourceNames: []string{"a"},
		ErrorDetail: &statuspb.Status{Code: 3, Message: "rejected by test"}})
	// Stale nonce: ignored by the server.
	c.send(&discovery.DiscoveryRequest{TypeUrl: resourcev3.EndpointType, VersionInfo: first.VersionInfo,
		ResponseNonce: first.Nonce, ResourceNames: []string{"a"}})

	r.Put("/zkmesh/services/a/1", record("10.0.0.1", 82, 1), 0x100000021)
	publish(t, s, r)
	third := c.recv()
	if third.VersionInfo != "0000000100000021" {
		t.Fatalf("after NACK got version %q (a resend of the rejected one?)", third.VersionInfo)
	}
	if port := assignment(t, third.Resources[0]).Endpoints[0].LbEndpoints[0].GetEndpoint().Address.GetSocketAddress().GetPortValue(); port != 82 {
		t.Fatalf("port = %d", port)
	}
	if n := s.Stats().Nacks; n != 1 {
		t.Fatalf("nacks = %d", n)
	}
}

// TestDelta: delta xDS sends per-resource zxid versions, only what changed,
// and a reconnecting client that names the versions it holds gets nothing
// it already has.
func TestDelta(t *testing.T) {
	s, addr := startServer(t, nil)
	r := loadbalance.NewRegistry()
	threeServices(r)
	publish(t, s, r)
	cc := dial(t, addr)
	c := newDelta(t, cc)
	c.send(&discovery.DeltaDiscoveryRequest{TypeUrl: resourcev3.ClusterType}) // wildcard
	cds := c.recv()
	versions := map[string]string{}
	for _, res := range cds.Resources {
		versions[res.Name] = res.Version
	}
	want := map[string]string{"a": "0000000100000001", "b": "0000000100000002", "c": "0000000100000003"}
	if !reflect.DeepEqual(versions, want) {
		t.Fatalf("delta CDS versions = %v", versions)
	}
	c.send(&discovery.DeltaDiscoveryRequest{TypeUrl: resourcev3.ClusterType, ResponseNonce: cds.Nonce})
	c.send(&discovery.DeltaDiscoveryRequest{TypeUrl: resourcev3.EndpointType, ResourceNamesSubscribe: []string{"a", "c"}})
	eds := c.recv()
	if len(eds.Resources) != 2 || eds.Resources[0].Name != "a" || eds.Resources[1].Name != "c" {
		t.Fatalf("delta EDS subset = %v", eds.Resources)
	}
	c.send(&discovery.DeltaDiscoveryRequest{TypeUrl: resourcev3.EndpointType, ResponseNonce: eds.Nonce})

	// Change a; add service e (new cluster for the wildcard CDS watch).
	r.Put("/zkmesh/services/a/1", record("10.0.0.1", 90, 1), 0x100000030)
	r.Put("/zkmesh/services/e/1", record("10.0.0.5", 80, 1), 0x100000031)
	publish(t, s, r)
	got := c.recv()
	if got.TypeUrl != resourcev3.ClusterType || len(got.Resources) != 1 || got.Resources[0].Name != "e" ||
		got.Resources[0].Version != "0000000100000031" {
		t.Fatalf("delta CDS after change = %s %v", got.TypeUrl, got.Resources)
	}
	got = c.recv()
	if got.TypeUrl != resourcev3.EndpointType || len(got.Resources) != 1 || got.Resources[0].Name != "a" ||
		got.Resources[0].Version != "0000000100000030" {
		t.Fatalf("delta EDS after change = %s %v", got.TypeUrl, got.Resources)
	}

	// Reconnect, naming what we hold: a is current, c is current, b is
	// subscribed but unknown.
	c2 := newDelta(t, cc)
	c2.send(&discovery.DeltaDiscoveryRequest{TypeUrl: resourcev3.EndpointType,
		ResourceNamesSubscribe:  []string{"a", "b", "c"},
		InitialResourceVersions: map[string]string{"a": "0000000100000030", "c": "0000000100000003"}})
	got = c2.recv()
	if len(got.Resources) != 1 || got.Resources[0].Name != "b" {
		t.Fatalf("reconnect sent %v, want only b", got.Resources)
	}
}

// TestEmptyServiceKeepsCluster: the last endpoint going away leaves the
// cluster and an assignment with no endpoints.
func TestEmptyServiceKeepsCluster(t *testing.T) {
	s, addr := startServer(t, nil)
	r := loadbalance.NewRegistry()
	threeServices(r)
	publish(t, s, r)
	c := newSotw(t, dial(t, addr))
	c.send(&discovery.DiscoveryRequest{TypeUrl: resourcev3.EndpointType, ResourceNames: []string{"b"}})
	c.ack(c.recv(), "b")
	r.Remove("/zkmesh/services/b/1", 0x100000040)
	publish(t, s, r)
	eds := c.recv()
	cla := assignment(t, eds.Resources[0])
	if cla.ClusterName != "b" || len(cla.Endpoints) != 0 {
		t.Fatalf("b after removal = %v", cla)
	}
	c.ack(eds, "b")
	c.send(&discovery.DiscoveryRequest{TypeUrl: resourcev3.ClusterType, ResourceNames: []string{"b"}})
	if got := names(t, resourcev3.ClusterType, c.recv().Resources); !reflect.DeepEqual(got, []string{"b"}) {
		t.Fatalf("cluster b gone: %v", got)
	}
	// A View without the service at all (a registry rebuilt after a
	// snapshot, with a lower zxid) also keeps it.
	other := loadbalance.NewRegistry()
	other.Put("/zkmesh/services/z/1", record("10.0.0.9", 80, 1), 0x10000000f)
	s.Update(other.View())
	if err := s.Flush(testNow); err != nil {
		t.Fatal(err)
	}
	if s.Stats().Clusters != 4 {
		t.Fatalf("clusters = %d", s.Stats().Clusters)
	}
}

func TestRequireNodeID(t *testing.T) {
	_, addr := startServer(t, func(c *Config) { c.RequireNodeID = true })
	c := newSotw(t, dial(t, addr))
	if err := c.stream.Send(&discovery.DiscoveryRequest{TypeUrl: resourcev3.ClusterType}); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-c.errs:
		if err == nil || !strings.Contains(err.Error(), ErrNoNodeID.Error()) {
			t.Fatalf("stream error = %v", err)
		}
	case m := <-c.in:
		t.Fatalf("answered a request without node id: %v", m)
	}
}
