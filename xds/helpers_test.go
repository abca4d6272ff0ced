package xds

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/rs/zerolog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/zkmesh/zkmesh/loadbalance"
)

// testNow is the instant tests publish at (no endpoint in these tests warms
// up unless a test says so).
var testNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// startServer serves a Server on a loopback port and returns it with its
// address. Stop runs at cleanup.
func startServer(t testing.TB, mutate func(*Config)) (*Server, string) {
	t.Helper()
	cfg := DefaultConfig()
	if mutate != nil {
		mutate(&cfg)
	}
	s, err := New(cfg, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(lis) }()
	t.Cleanup(func() {
		s.Stop()
		if err := <-done; err != ErrStopped {
			t.Errorf("Serve returned %v, want ErrStopped", err)
		}
	})
	return s, lis.Addr().String()
}

// publish feeds the registry's current View to s and publishes it.
func publish(t testing.TB, s *Server, r *loadbalance.Registry) {
	t.Helper()
	s.Update(r.View())
	if err := s.Flush(testNow); err != nil {
		t.Fatal(err)
	}
}

func record(addr string, port, weight int) []byte {
	return []byte(fmt.Sprintf(`{"address":%q,"port":%d,"weight":%d}`, addr, port, weight))
}

func dial(t testing.TB, addr string) *grpc.ClientConn {
	t.Helper()
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(256<<20)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })
	return cc
}

const waitLimit = 20 * time.Second

// sotwClient is a raw ADS state-of-the-world client.
type sotwClient struct {
	t      testing.TB
	stream discovery.AggregatedDiscoveryService_StreamAggregatedResourcesClient
	in     chan *discovery.DiscoveryResponse
	errs   chan error
}

func newSotw(t testing.TB, cc *grpc.ClientConn) *sotwClient {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	st, err := discovery.NewAggregatedDiscoveryServiceClient(cc).StreamAggregatedResources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c := &sotwClient{t: t, stream: st, in: make(chan *discovery.DiscoveryResponse, 1024), errs: make(chan error, 1)}
	go func() {
		for {
			m, err := st.Recv()
			if err != nil {
				c.errs <- err
				return
			}
			c.in <- m
		}
	}()
	return c
}

var testNode = &corev3.Node{Id: "test-node"}

func (c *sotwClient) send(req *discovery.DiscoveryRequest) {
	c.t.Helper()
	if req.Node == nil {
		req.Node = testNode
	}
	if err := c.stream.Send(req); err != nil {
		c.t.Fatal(err)
	}
}

func (c *sotwClient) recv() *discovery.DiscoveryResponse {
	c.t.Helper()
	select {
	case m := <-c.in:
		return m
	case err := <-c.errs:
		c.t.Fatalf("stream ended: %v", err)
	case <-time.After(waitLimit):
		c.t.Fatal("no response")
	}
	return nil
}

// ack acknowledges resp, keeping the subscription names.
func (c *sotwClient) ack(resp *discovery.DiscoveryResponse, names ...string) {
	c.t.Helper()
	c.send(&discovery.DiscoveryRequest{TypeUrl: resp.TypeUrl, VersionInfo: resp.VersionInfo,
		ResponseNonce: resp.Nonce, ResourceNames: names})
}

// deltaClient is a raw ADS delta client.
type deltaClient struct {
	t      testing.TB
	stream discovery.AggregatedDiscoveryService_DeltaAggregatedResourcesClient
	in     chan *discovery.DeltaDiscoveryResponse
	errs   chan error
}

func newDelta(t testing.TB, cc *grpc.ClientConn) *deltaClient {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	st, err := discovery.NewAggregatedDiscoveryServiceClient(cc).DeltaAggregatedResources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c := &deltaClient{t: t, stream: st, in: make(chan *discovery.DeltaDiscoveryResponse, 1024), errs: make(chan error, 1)}
	go func() {
		for {
			m, err := st.Recv()
			if err != nil {
				c.errs <- err
				return
			}
			c.in <- m
		}
	}()
	return c
}

func (c *deltaClient) send(req *discovery.DeltaDiscoveryRequest) {
	c.t.Helper()
	if req.Node == nil {
		req.Node = testNode
	}
	if err := c.stream.Send(req); err != nil {
		c.t.Fatal(err)
	}
}

func (c *deltaClient) recv() *discovery.DeltaDiscoveryResponse {
	c.t.Helper()
	select {
	case m := <-c.in:
		return m
	case err := <-c.errs:
		c.t.Fatalf("stream ended: %v", err)
	case <-time.After(waitLimit):
		c.t.Fatal("no response")
	}
	return nil
}

func testLog() zerolog.Logger { return zerolog.Nop() }
