package e2e

import (
	"context"
	"sync"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// edsWatch is a bare ADS client of its own that subscribes to one
// cluster's endpoints and records when each port first appeared in a
// pushed assignment and when it first disappeared again. It splits the
// registration latency into zkmesh's part (commit to push) and the gRPC
// client's (push to RPC). Its methods may be called from any goroutine.
type edsWatch struct {
	cluster string

	mu      sync.Mutex
	present map[uint32]bool
	added   map[uint32]time.Time
	removed map[uint32]time.Time
	changed chan struct{} // closed and replaced on every push
	err     error
}

// watchEDS subscribes to cluster's ClusterLoadAssignment on the ADS server
// at addr until the test ends.
func watchEDS(t testing.TB, addr, cluster string) *edsWatch {
	t.Helper()
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stream, err := discoveryv3.NewAggregatedDiscoveryServiceClient(cc).StreamAggregatedResources(ctx)
	if err != nil {
		cancel()
		cc.Close()
		t.Fatal(err)
	}
	w := &edsWatch{cluster: cluster, present: map[uint32]bool{}, added: map[uint32]time.Time{}, removed: map[uint32]time.Time{}, changed: make(chan struct{})}
	req := &discoveryv3.DiscoveryRequest{
		Node:          &corev3.Node{Id: "e2e-eds-watch"},
		TypeUrl:       resourcev3.EndpointType,
		ResourceNames: []string{cluster},
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		err := stream.Send(req)
		for err == nil {
			var resp *discoveryv3.DiscoveryResponse
			if resp, err = stream.Recv(); err != nil {
				break
			}
			w.record(time.Now(), resp)
			err = stream.Send(&discoveryv3.DiscoveryRequest{
				TypeUrl: resourcev3.EndpointType, ResourceNames: []string{cluster},
				VersionInfo: resp.GetVersionInfo(), ResponseNonce: resp.GetNonce(),
			})
		}
		w.mu.Lock()
		w.err = err
		close(w.changed)
		w.changed = make(chan struct{})
		w.mu.Unlock()
	}()
	t.Cleanup(func() { cancel(); <-done; cc.Close() })
	return w
}

func (w *edsWatch) record(at time.Time, resp *discoveryv3.DiscoveryResponse) {
	// EDS responses carry only the assignments that changed: one without
	// ours says nothing about it.
	now, ours := map[uint32]bool{}, false
	for _, res := range resp.GetResources() {
		cla := new(endpointv3.ClusterLoadAssignment)
		if err := res.UnmarshalTo(cla); err != nil || cla.GetClusterName() != w.cluster {
			continue
		}
		ours = true
		for _, loc := range cla.GetEndpoints() {
			for _, ep := range loc.GetLbEndpoints() {
				now[ep.GetEndpoint().GetAddress().GetSocketAddress().GetPortValue()] = true
			}
		}
	}
	if !ours {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for p := range now {
		if _, ok := w.added[p]; !ok {
			w.added[p] = at
		}
	}
	for p := range w.present {
		if !now[p] {
			if _, ok := w.removed[p]; !ok {
				w.removed[p] = at
			}
		}
	}
	w.present = now
	close(w.changed)
	w.changed = make(chan struct{})
}

// addedAt waits until port has been pushed and returns when.
func (w *edsWatch) addedAt(t testing.TB, port uint32) time.Time {
	t.Helper()
	return w.wait(t, func() (time.Time, bool) { at, ok := w.added[port]; return at, ok })
}

// removedAt waits until port has been pushed and then left out, and
// returns when it was left out.
func (w *edsWatch) removedAt(t testing.TB, port uint32) time.Time {
	t.Helper()
	return w.wait(t, func() (time.Time, bool) { at, ok := w.removed[port]; return at, ok })
}

func (w *edsWatch) wait(t testing.TB, get func() (time.Time, bool)) time.Time {
	t.Helper()
	deadline := time.After(waitLimit)
	for {
		w.mu.Lock()
		at, ok := get()
		ch, err := w.changed, w.err
		w.mu.Unlock()
		switch {
		case ok:
			return at
		case err != nil:
			t.Fatalf("EDS watch ended: %v", err)
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("EDS watch saw no such push within %v", waitLimit)
		}
	}
}
