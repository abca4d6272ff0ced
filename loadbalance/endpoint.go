package loadbalance

import "time"

// Health is an endpoint's health as the registration states it.
type Health uint8

const (
	// Healthy endpoints receive traffic.
	Healthy Health = iota
	// Draining endpoints receive no new traffic (Curator enabled=false,
	// weight 0, or an explicit "draining" in a zkmesh record).
	Draining
	// Unhealthy endpoints receive no traffic.
	Unhealthy
)

// String returns the lower-case name used in zkmesh records.
func (h Health) String() string {
	switch h {
	case Healthy:
		return "healthy"
	case Draining:
		return "draining"
	case Unhealthy:
		return "unhealthy"
	}
	return "unknown"
}

// Policy is a service's load-balancing policy. Only policies that both Envoy
// and proxyless gRPC accept are modelled; registrations naming others are
// mapped onto the closest one (see dubbo.go).
type Policy uint8

const (
	// RoundRobin is weighted round robin in Envoy. Proxyless gRPC honours
	// locality weights but not endpoint weights with this policy.
	RoundRobin Policy = iota
	// LeastRequest picks the less loaded of two random endpoints.
	LeastRequest
	// RingHash is consistent hashing; with no hash policy every request gets
	// a random hash, so traffic follows the endpoint weights in both Envoy and
	// proxyless gRPC.
	RingHash
)

// String returns the name used in zkmesh records.
func (p Policy) String() string {
	switch p {
	case RoundRobin:
		return "round_robin"
	case LeastRequest:
		return "least_request"
	case RingHash:
		return "ring_hash"
	}
	return "unknown"
}

// DefaultWeight is the weight of an endpoint whose registration names none
// (Dubbo's default).
const DefaultWeight = 100

// Endpoint is one address of a service. Endpoints in a View are immutable:
// callers must not modify them or their Metadata.
type Endpoint struct {
	// ID identifies the endpoint within its service: the znode path it came
	// from. Endpoints of a service are sorted by ID.
	ID string
	// Address is a host name or IP literal, never empty.
	Address string
	// Port is in 1..65535.
	Port uint32
	// Weight is the configured weight; 0 means no traffic. See WeightAt for
	// the weight that includes warmup.
	Weight uint32
	// Zone is the locality zone ("" when the registration names none).
	Zone string
	// Priority is the registration's own priority; 0 is the most preferred.
	Priority uint32
	// Health as registered.
	Health Health
	// Warmup, when DurationMs > 0, ramps the weight up after StartUnixMs.
	Warmup Warmup
	// Metadata holds layout-specific keys (dubbo.*, kafka.*, curator.*) and a
	// zkmesh record's own metadata. May be nil.
	Metadata map[string]string
}

// Warmup describes Dubbo's slow start: a provider started at StartUnixMs
// gets a weight growing linearly over DurationMs.
type Warmup struct {
	StartUnixMs int64
	DurationMs  int64
}

// WeightAt returns the endpoint's effective weight at now, including warmup.
// It is a pure function of its inputs.
func (e *Endpoint) WeightAt(now time.Time) uint32 {
	if e.Weight == 0 || e.Warmup.DurationMs <= 0 || e.Warmup.StartUnixMs <= 0 {
		return e.Weight
	}
	return WarmupWeight(e.Weight, now.UnixMilli()-e.Warmup.StartUnixMs, e.Warmup.DurationMs)
}

// WarmingUntil returns the instant at which the endpoint's warmup ends, and
// false when it has no warmup.
func (e *Endpoint) WarmingUntil() (time.Time, bool) {
	if e.Weight == 0 || e.Warmup.DurationMs <= 0 || e.Warmup.StartUnixMs <= 0 {
		return time.Time{}, false
	}
	return time.UnixMilli(e.Warmup.StartUnixMs + e.Warmup.DurationMs), true
}
