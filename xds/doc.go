// Package xds owns zkmesh's xDS control plane: it turns loadbalance Views
// into Envoy resources and serves them over ADS (state of the world and
// delta) with go-control-plane's servers.
//
// For each service it publishes, under the service's name:
//   - a Cluster of type EDS (policy from the registrations);
//   - a ClusterLoadAssignment with endpoint weights, health, and localities
//     whose weights are always set; priority 0 is Config.LocalZone;
//   - a Listener with an ApiListener (HttpConnectionManager using RDS) and a
//     RouteConfiguration, so a proxyless gRPC client can dial
//     xds:///<service>.
//
// Listeners and routes are meant for proxyless gRPC; an Envoy takes
// clusters and endpoints by ADS and routes with its own listeners (see
// examples/envoy). Every node is served the same resources; node ids are
// logged, and required with Config.RequireNodeID.
//
// Resource versions derive from the zxid of the service's last change, so
// they are unique and ordered across restarts. One service's change re-sends
// only that service's resources (for state-of-the-world CDS and LDS the
// protocol requires every subscribed resource in each response, so a new or
// re-policied service re-sends the subscribed clusters; delta clients get
// just the one). A service that loses its last endpoint
// keeps its cluster, with an empty assignment.
//
// Concurrency and time: Update may be called from any goroutine; it only
// records the newest View. The package reads the clock and starts
// goroutines only inside Run (the debounce loop that publishes recorded
// Views after Config.CoalesceDelay and refreshes Dubbo warmup weights) and
// Serve (gRPC's own goroutines). Flush publishes synchronously with a `now`
// the caller passes, which is how tests drive it without a clock.
//
// xds imports loadbalance, go-control-plane and gRPC, and no other zkmesh
// package.
package xds
