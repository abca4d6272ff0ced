package loadbalance

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// curatorInstance is Curator's ServiceInstance as JsonInstanceSerializer
// writes it. Fields zkmesh does not use are not listed.
type curatorInstance struct {
	Name        string          `json:"name"`
	ID          string          `json:"id"`
	Address     string          `json:"address"`
	Port        *uint16         `json:"port"`
	SSLPort     *uint16         `json:"sslPort"`
	Payload     json.RawMessage `json:"payload"`
	Enabled     *bool           `json:"enabled"`
	ServiceType string          `json:"serviceType"`
}

// parseCurator reads /services/<name>/<id>. The service is the <name> path
// segment. port is preferred; an instance with only sslPort is reached on
// it, and sslPort is kept as metadata curator.sslPort. enabled=false makes
// the endpoint Draining. A non-null payload is kept, as compact JSON, in
// metadata curator.payload.
func parseCurator(p string, seg []string, data []byte) ([]contribution, error) {
	var in curatorInstance
	if err := json.Unmarshal(data, &in); err != nil {
		return nil, fmt.Errorf("%w: curator: instance JSON: %v", ErrMalformed, err)
	}
	if !validHost(in.Address) {
		return nil, fmt.Errorf("%w: curator: bad address %q", ErrMalformed, in.Address)
	}
	md := map[string]string{"curator.id": seg[1]}
	var port uint16
	switch {
	case in.Port != nil && *in.Port != 0:
		port = *in.Port
	case in.SSLPort != nil && *in.SSLPort != 0:
		port = *in.SSLPort
		md["curator.tls"] = "true"
	default:
		return nil, fmt.Errorf("%w: curator: neither port nor sslPort", ErrMalformed)
	}
	if in.SSLPort != nil && *in.SSLPort != 0 {
		md["curator.sslPort"] = fmt.Sprint(*in.SSLPort)
	}
	if in.ServiceType != "" {
		md["curator.serviceType"] = in.ServiceType
	}
	if len(in.Payload) > 0 && !bytes.Equal(in.Payload, []byte("null")) {
		var buf bytes.Buffer
		if err := json.Compact(&buf, in.Payload); err != nil {
			return nil, fmt.Errorf("%w: curator: payload: %v", ErrMalformed, err)
		}
		md["curator.payload"] = buf.String()
	}
	h := Healthy
	if in.Enabled != nil && !*in.Enabled {
		h = Draining
	}
	return []contribution{{
		service:  seg[0],
		layout:   LayoutCurator,
		brokerID: -1,
		ep: Endpoint{
			ID:       p,
			Address:  in.Address,
			Port:     uint32(port),
			Weight:   DefaultWeight,
			Health:   h,
			Metadata: md,
		},
	}}, nil
}
