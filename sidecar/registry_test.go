package sidecar

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"github.com/go-zookeeper/zk"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// TestRegistrationReachesEDS registers a provider as an ephemeral znode with
// a real ZooKeeper client and follows its endpoint over a real ADS stream:
// it appears, and it goes when the provider's session closes.
func TestRegistrationReachesEDS(t *testing.T) {
	s, addr := startServer(t, t.TempDir(), func(c *Config) { c.origin["xds.address"] = "test" })
	c, _ := connect(t, addr)
	acl := zk.WorldACL(zk.PermAll)
	for _, p := range []string{"/zkmesh", "/zkmesh/services", "/zkmesh/services/echo"} {
		if _, err := c.Create(p, nil, 0, acl); err != nil {
			t.Fatal(err)
		}
	}
	provider, _ := connect(t, addr)
	if _, err := provider.Create("/zkmesh/services/echo/a", []byte(`{"address":"127.0.0.1","port":7001,"weight":3}`), zk.FlagEphemeral, acl); err != nil {
		t.Fatal(err)
	}

	cc, err := grpc.NewClient(s.XDSAddr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	stream, err := discoveryv3.NewAggregatedDiscoveryServiceClient(cc).StreamAggregatedResources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	req := &discoveryv3.DiscoveryRequest{Node: &corev3.Node{Id: "test"}, TypeUrl: resourcev3.EndpointType, ResourceNames: []string{"echo"}}
	if err := stream.Send(req); err != nil {
		t.Fatal(err)
	}
	endpoints := func() []uint32 {
		t.Helper()
		resp, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		var ports []uint32
		for _, r := range resp.Resources {
			var cla endpointv3.ClusterLoadAssignment
			if err := r.UnmarshalTo(&cla); err != nil {
				t.Fatal(err)
			}
			for _, le := range cla.Endpoints {
				for _, ep := range le.LbEndpoints {
					ports = append(ports, ep.GetEndpoint().GetAddress().GetSocketAddress().GetPortValue())
				}
			}
		}
		req.VersionInfo, req.ResponseNonce = resp.VersionInfo, resp.Nonce
		if err := stream.Send(req); err != nil { // ACK
			t.Fatal(err)
		}
		return ports
	}
	got := endpoints()
	for len(got) == 0 { // the first push may predate the scan
		got = endpoints()
	}
	if len(got) != 1 || got[0] != 7001 {
		t.Fatalf("endpoints %v, want [7001]", got)
	}
	provider.Close()
	if got := endpoints(); len(got) != 0 {
		t.Fatalf("after the provider's session closed: endpoints %v, want none", got)
	}
}

// A registration that names no zone takes the zone of the member its
// provider's session was created on, on every member: from the
// configuration there, from gossip elsewhere. A zone in the registration
// wins.
func TestRegistrationZoneDefaultsToRegisteringMember(t *testing.T) {
	ms, _ := startGossipVoters(t, 3, func(id int, c *Config) {
		c.Zone = fmt.Sprintf("zone-%d", id)
		c.XDSAddress = "127.0.0.1:0"
	})
	acl := zk.WorldACL(zk.PermAll)
	admin, _ := connect(t, ms[0].addr)
	for _, p := range []string{"/zkmesh", "/zkmesh/services", "/zkmesh/services/echo"} {
		if _, err := admin.Create(p, nil, 0, acl); err != nil {
			t.Fatal(err)
		}
	}
	provider, _ := connect(t, ms[1].addr) // session created on member 2
	if _, err := provider.Create("/zkmesh/services/echo/a", []byte(`{"address":"127.0.0.1","port":7001}`), zk.FlagEphemeral, acl); err != nil {
		t.Fatal(err)
	}
	if _, err := provider.Create("/zkmesh/services/echo/b", []byte(`{"address":"127.0.0.1","port":7002,"zone":"own"}`), zk.FlagEphemeral, acl); err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		deadline := time.Now().Add(10 * time.Second)
		for {
			zones := map[uint32]string{}
			if v := m.srv.feed.view.Load(); v != nil {
				if svc := v.Service("echo"); svc != nil {
					for _, ep := range svc.Endpoints {
						zones[ep.Port] = ep.Zone
					}
				}
			}
			if zones[7001] == "zone-2" && zones[7002] == "own" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("member %d: endpoint zones %v, want 7001 in zone-2 and 7002 in own", m.id, zones)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}
