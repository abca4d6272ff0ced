package xds

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	routerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/zkmesh/zkmesh/loadbalance"
)

// MetadataNamespace is the filter_metadata key under which an endpoint's
// registry metadata is published.
const MetadataNamespace = "zkmesh"

func adsSource() *corev3.ConfigSource {
	return &corev3.ConfigSource{
		ConfigSourceSpecifier: &corev3.ConfigSource_Ads{Ads: &corev3.AggregatedConfigSource{}},
		ResourceApiVersion:    corev3.ApiVersion_V3,
	}
}

// buildCluster returns the EDS cluster of a service, named after it.
func buildCluster(svc *loadbalance.Service, connectTimeout time.Duration) *clusterv3.Cluster {
	c := &clusterv3.Cluster{
		Name:                 svc.Name,
		ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_EDS},
		EdsClusterConfig:     &clusterv3.Cluster_EdsClusterConfig{EdsConfig: adsSource()},
		ConnectTimeout:       durationpb.New(connectTimeout),
	}
	switch svc.Policy {
	case loadbalance.LeastRequest:
		c.LbPolicy = clusterv3.Cluster_LEAST_REQUEST
	case loadbalance.RingHash:
		c.LbPolicy = clusterv3.Cluster_RING_HASH
	default:
		c.LbPolicy = clusterv3.Cluster_ROUND_ROBIN
	}
	return c
}

// buildListener returns the API listener a proxyless gRPC client resolves
// for xds:///<service>: an HttpConnectionManager whose routes come by RDS,
// from the RouteConfiguration of the same name.
func buildListener(name string) (*listenerv3.Listener, error) {
	router, err := anypb.New(&routerv3.Router{})
	if err != nil {
		return nil, err
	}
	hcm, err := anypb.New(&hcmv3.HttpConnectionManager{
		StatPrefix: name,
		RouteSpecifier: &hcmv3.HttpConnectionManager_Rds{Rds: &hcmv3.Rds{
			ConfigSource:    adsSource(),
			RouteConfigName: name,
		}},
		HttpFilters: []*hcmv3.HttpFilter{{
			Name:       "envoy.filters.http.router",
			ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: router},
		}},
	})
	if err != nil {
		return nil, err
	}
	return &listenerv3.Listener{Name: name, ApiListener: &listenerv3.ApiListener{ApiListener: hcm}}, nil
}

// buildRoute returns the RouteConfiguration sending every request for the
// service to its cluster.
func buildRoute(name string) *routev3.RouteConfiguration {
	return &routev3.RouteConfiguration{
		Name: name,
		VirtualHosts: []*routev3.VirtualHost{{
			Name:    name,
			Domains: []string{"*"},
			Routes: []*routev3.Route{{
				Match: &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: ""}},
				Action: &routev3.Route_Route{Route: &routev3.RouteAction{
					ClusterSpecifier: &routev3.RouteAction_Cluster{Cluster: name},
				}},
			}},
		}},
	}
}

// localityKey groups endpoints into one LocalityLbEndpoints.
type localityKey struct {
	priority uint32 // the registration's priority
	remote   bool   // zone differs from the local zone
	zone     string
}

// buildAssignment returns the ClusterLoadAssignment of a service at now
// (now only feeds Dubbo warmup weights).
//
// Endpoints are grouped by (registered priority, zone). Priorities are
// dense ranks of (registered priority, zone is not localZone), so priority 0
// is the local zone whenever it has endpoints and localZone is set; with no
// localZone every zone shares its registered priority. Locality weights are
// always set: the sum of the effective weights of the locality's healthy
// endpoints, at least 1. An endpoint of weight 0 is published DRAINING with
// weight 1 (Envoy and gRPC require weights >= 1). Two registrations of the
// same address and port keep the one with the smaller path (gRPC rejects a
// whole assignment with duplicates). No endpoints gives an assignment with
// no localities: the cluster stays, and clients fail fast.
func buildAssignment(svc *loadbalance.Service, localZone string, now time.Time) *endpointv3.ClusterLoadAssignment {
	cla := &endpointv3.ClusterLoadAssignment{ClusterName: svc.Name}
	groups := make(map[localityKey][]*endpointv3.LbEndpoint)
	weights := make(map[localityKey]uint64)
	seen := make(map[string]bool, len(svc.Endpoints))
	for i := range svc.Endpoints {
		e := &svc.Endpoints[i]
		addr := e.Address + "|" + strconv.FormatUint(uint64(e.Port), 10)
		if seen[addr] {
			continue
		}
		seen[addr] = true
		k := localityKey{priority: e.Priority, zone: e.Zone, remote: localZone != "" && e.Zone != localZone}
		w := e.WeightAt(now)
		health := corev3.HealthStatus_HEALTHY
		switch {
		case e.Health == loadbalance.Unhealthy:
			health = corev3.HealthStatus_UNHEALTHY
		case e.Health == loadbalance.Draining || w == 0:
			health = corev3.HealthStatus_DRAINING
		}
		if w == 0 {
			w = 1
		}
		if health == corev3.HealthStatus_HEALTHY {
			weights[k] += uint64(w)
		}
		lb := &endpointv3.LbEndpoint{
			HostIdentifier: &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{
				Address: &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{
					Protocol:      corev3.SocketAddress_TCP,
					Address:       e.Address,
					PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: e.Port},
				}}},
			}},
			HealthStatus:        health,
			LoadBalancingWeight: wrapperspb.UInt32(w),
		}
		if md := metadataStruct(e.Metadata); md != nil {
			lb.Metadata = &corev3.Metadata{FilterMetadata: map[string]*structpb.Struct{MetadataNamespace: md}}
		}
		groups[k] = append(groups[k], lb)
	}
	keys := make([]localityKey, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.priority != b.priority {
			return a.priority < b.priority
		}
		if a.remote != b.remote {
			return !a.remote
		}
		return a.zone < b.zone
	})
	rank := uint32(0)
	perLocalityCap := uint64(math.MaxUint32) / uint64(len(keys)+1)
	for i, k := range keys {
		if i > 0 && (k.priority != keys[i-1].priority || k.remote != keys[i-1].remote) {
			rank++
		}
		w := weights[k]
		if w == 0 {
			w = 1
		}
		if w > perLocalityCap {
			w = perLocalityCap
		}
		cla.Endpoints = append(cla.Endpoints, &endpointv3.LocalityLbEndpoints{
			Locality:            &corev3.Locality{Zone: k.zone},
			LbEndpoints:         groups[k],
			LoadBalancingWeight: wrapperspb.UInt32(uint32(w)),
			Priority:            rank,
		})
	}
	return cla
}

func metadataStruct(md map[string]string) *structpb.Struct {
	if len(md) == 0 {
		return nil
	}
	s := &structpb.Struct{Fields: make(map[string]*structpb.Value, len(md))}
	for k, v := range md {
		s.Fields[k] = structpb.NewStringValue(v)
	}
	return s
}

// resourceVersion is the version of a service's resources: the zxid of its
// last change as 16 hex digits, so versions order as strings the way zxids
// do. A rebuild at the same zxid because warmup weights moved appends the
// build time, which still orders after the plain zxid and before the next.
func resourceVersion(zxid int64, warming bool, now time.Time) string {
	if !warming {
		return fmt.Sprintf("%016x", uint64(zxid))
	}
	return fmt.Sprintf("%016x-w%013d", uint64(zxid), now.UnixMilli())
}
