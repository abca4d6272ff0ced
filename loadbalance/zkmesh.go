package loadbalance

import (
	"encoding/json"
	"fmt"
)

// Record is zkmesh's own registration, the JSON stored at
// /zkmesh/services/<name>/<instance>. Only address and port are required.
type Record struct {
	// Address is a host name or IP literal.
	Address string `json:"address"`
	// Port is in 1..65535.
	Port uint16 `json:"port"`
	// Weight defaults to 100 when absent; 0 means no traffic.
	Weight *uint32 `json:"weight,omitempty"`
	// Zone is the locality zone.
	Zone string `json:"zone,omitempty"`
	// Priority: 0 (the default) is the most preferred.
	Priority uint32 `json:"priority,omitempty"`
	// Health is "healthy" (default), "draining" or "unhealthy".
	Health string `json:"health,omitempty"`
	// Policy is "round_robin" (default), "least_request" or "ring_hash".
	// Endpoints of one service should agree; the one with the smallest path
	// wins when they do not.
	Policy string `json:"policy,omitempty"`
	// Metadata is copied to the endpoint.
	Metadata map[string]string `json:"metadata,omitempty"`
}

// parseZkmesh reads /zkmesh/services/<name>/<instance>.
func parseZkmesh(p string, seg []string, data []byte) ([]contribution, error) {
	var r Record
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%w: zkmesh: record JSON: %v", ErrMalformed, err)
	}
	if !validHost(r.Address) {
		return nil, fmt.Errorf("%w: zkmesh: bad address %q", ErrMalformed, r.Address)
	}
	if r.Port == 0 {
		return nil, fmt.Errorf("%w: zkmesh: port missing or 0", ErrMalformed)
	}
	weight := uint32(DefaultWeight)
	if r.Weight != nil {
		weight = *r.Weight
	}
	if weight > maxWeight {
		return nil, fmt.Errorf("%w: zkmesh: weight %d above %d", ErrMalformed, weight, maxWeight)
	}
	if r.Priority > 127 {
		return nil, fmt.Errorf("%w: zkmesh: priority %d above 127", ErrMalformed, r.Priority)
	}
	c := contribution{
		service:  seg[0],
		layout:   LayoutZkmesh,
		brokerID: -1,
		ep: Endpoint{
			ID:       p,
			Address:  r.Address,
			Port:     uint32(r.Port),
			Weight:   weight,
			Zone:     r.Zone,
			Priority: r.Priority,
		},
	}
	switch r.Health {
	case "", "healthy":
		c.ep.Health = Healthy
	case "draining":
		c.ep.Health = Draining
	case "unhealthy":
		c.ep.Health = Unhealthy
	default:
		return nil, fmt.Errorf("%w: zkmesh: unknown health %q", ErrMalformed, r.Health)
	}
	if weight == 0 {
		c.ep.Health = Draining
	}
	switch r.Policy {
	case "":
	case "round_robin":
		c.policy, c.hasPolicy = RoundRobin, true
	case "least_request":
		c.policy, c.hasPolicy = LeastRequest, true
	case "ring_hash":
		c.policy, c.hasPolicy = RingHash, true
	default:
		return nil, fmt.Errorf("%w: zkmesh: unknown policy %q", ErrMalformed, r.Policy)
	}
	if len(r.Metadata) > 0 {
		c.ep.Metadata = make(map[string]string, len(r.Metadata))
		for k, v := range r.Metadata {
			c.ep.Metadata[k] = v
		}
	}
	return []contribution{c}, nil
}
