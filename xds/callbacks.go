package xds

import (
	"context"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	serverv3 "github.com/envoyproxy/go-control-plane/pkg/server/v3"
	"google.golang.org/protobuf/proto"
)

// callbacks counts traffic, logs NACKs and enforces RequireNodeID. They run
// on the stream goroutines go-control-plane starts.
func (s *Server) callbacks() serverv3.Callbacks {
	open := func(context.Context, int64, string) error {
		s.stats.streams.Add(1)
		return nil
	}
	closed := func(id int64, node *corev3.Node) {
		s.stats.streams.Add(-1)
		s.nodesMu.Lock()
		delete(s.nodes, id)
		s.nodesMu.Unlock()
		s.log.Debug().Int64("stream", id).Str("node", node.GetId()).Msg("stream closed")
	}
	checkNode := func(id int64, node *corev3.Node) error {
		if !s.cfg.RequireNodeID {
			return nil
		}
		s.nodesMu.Lock()
		defer s.nodesMu.Unlock()
		if s.nodes[id] {
			return nil
		}
		if node.GetId() == "" {
			return ErrNoNodeID
		}
		s.nodes[id] = true
		return nil
	}
	nack := func(id int64, node *corev3.Node, typeURL, nonce, msg string) {
		s.stats.nacks.Add(1)
		s.log.Warn().Int64("stream", id).Str("node", node.GetId()).Str("type", typeURL).
			Str("nonce", nonce).Str("error", msg).Msg("client rejected xDS response")
	}
	return serverv3.CallbackFuncs{
		StreamOpenFunc:        open,
		StreamClosedFunc:      closed,
		DeltaStreamOpenFunc:   open,
		DeltaStreamClosedFunc: closed,
		StreamRequestFunc: func(id int64, req *discovery.DiscoveryRequest) error {
			if req.GetErrorDetail() != nil {
				nack(id, req.GetNode(), req.GetTypeUrl(), req.GetResponseNonce(), req.GetErrorDetail().GetMessage())
			}
			return checkNode(id, req.GetNode())
		},
		StreamResponseFunc: func(_ context.Context, _ int64, _ *discovery.DiscoveryRequest, resp *discovery.DiscoveryResponse) {
			s.stats.responses.Add(1)
			s.stats.resources.Add(int64(len(resp.GetResources())))
			s.stats.bytes.Add(int64(proto.Size(resp)))
		},
		StreamDeltaRequestFunc: func(id int64, req *discovery.DeltaDiscoveryRequest) error {
			if req.GetErrorDetail() != nil {
				nack(id, req.GetNode(), req.GetTypeUrl(), req.GetResponseNonce(), req.GetErrorDetail().GetMessage())
			}
			return checkNode(id, req.GetNode())
		},
		StreamDeltaResponseFunc: func(_ int64, _ *discovery.DeltaDiscoveryRequest, resp *discovery.DeltaDiscoveryResponse) {
			s.stats.responses.Add(1)
			s.stats.resources.Add(int64(len(resp.GetResources())))
			s.stats.bytes.Add(int64(proto.Size(resp)))
		},
	}
}
