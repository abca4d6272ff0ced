package loadbalance

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// parseDubbo reads /dubbo/<interface>/providers/<URL-encoded provider URL>.
// The node's data is ignored (Dubbo writes the IP or nothing there).
//
// Honoured URL parameters: weight (default 100), warmup (ms, default ten
// minutes, applied only when timestamp is set, as Dubbo does), timestamp (ms
// since the epoch), group, version ("0.0.0" counts as unset), application,
// side (must be provider when present), category (must be providers when
// present), enabled/disabled, and loadbalance (random and roundrobin map to
// RoundRobin, leastactive and shortestresponse to LeastRequest,
// consistenthash to RingHash).
func parseDubbo(p string, seg []string) ([]contribution, error) {
	iface, node := seg[0], seg[2]
	raw, err := url.QueryUnescape(node)
	if err != nil {
		return nil, fmt.Errorf("%w: dubbo: provider URL not URL-encoded: %v", ErrMalformed, err)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: dubbo: provider URL: %v", ErrMalformed, err)
	}
	if u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("%w: dubbo: provider URL %q has no protocol or host", ErrMalformed, raw)
	}
	host, portStr, err := net.SplitHostPort(u.Host)
	if err != nil {
		return nil, fmt.Errorf("%w: dubbo: provider URL host %q: %v", ErrMalformed, u.Host, err)
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil || port == 0 {
		return nil, fmt.Errorf("%w: dubbo: bad port %q", ErrMalformed, portStr)
	}
	if !validHost(host) {
		return nil, fmt.Errorf("%w: dubbo: bad host %q", ErrMalformed, host)
	}
	q := u.Query()
	if side := q.Get("side"); side != "" && side != "provider" {
		return nil, fmt.Errorf("%w: dubbo: side=%s in providers", ErrNotEndpoint, side)
	}
	if cat := q.Get("category"); cat != "" && cat != dubboProviders {
		return nil, fmt.Errorf("%w: dubbo: category=%s in providers", ErrNotEndpoint, cat)
	}
	weight, err := dubboInt(q, "weight", DefaultWeight, maxWeight)
	if err != nil {
		return nil, err
	}
	timestamp, err := dubboInt(q, "timestamp", 0, 1<<62)
	if err != nil {
		return nil, err
	}
	warmup, err := dubboInt(q, "warmup", DefaultWarmupMs, 1<<40)
	if err != nil {
		return nil, err
	}
	group, version := q.Get("group"), q.Get("version")
	if version == "0.0.0" {
		version = ""
	}
	c := contribution{
		service:  dubboServiceKey(group, iface, version),
		layout:   LayoutDubbo,
		brokerID: -1,
		ep: Endpoint{
			ID:      p,
			Address: host,
			Port:    uint32(port),
			Weight:  uint32(weight),
			Health:  Healthy,
			Metadata: map[string]string{
				"dubbo.protocol":  u.Scheme,
				"dubbo.interface": iface,
			},
		},
	}
	if timestamp > 0 && warmup > 0 {
		c.ep.Warmup = Warmup{StartUnixMs: timestamp, DurationMs: warmup}
	}
	for _, k := range []string{"group", "version", "application", "side"} {
		if v := q.Get(k); v != "" {
			c.ep.Metadata["dubbo."+k] = v
		}
	}
	if q.Get("enabled") == "false" || q.Get("disabled") == "true" || weight == 0 {
		c.ep.Health = Draining
	}
	if lb := q.Get("loadbalance"); lb != "" {
		c.hasPolicy = true
		switch strings.ToLower(lb) {
		case "leastactive", "shortestresponse":
			c.policy = LeastRequest
		case "consistenthash":
			c.policy = RingHash
		default:
			c.policy = RoundRobin
		}
	}
	return []contribution{c}, nil
}

// dubboServiceKey is Dubbo's service key: [group/]interface[:version].
func dubboServiceKey(group, iface, version string) string {
	k := iface
	if group != "" {
		k = group + "/" + k
	}
	if version != "" {
		k += ":" + version
	}
	return k
}

func dubboInt(q url.Values, key string, def, maxv int64) (int64, error) {
	s := q.Get(key)
	if s == "" {
		return def, nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < 0 || v > maxv {
		return 0, fmt.Errorf("%w: dubbo: bad %s=%q", ErrMalformed, key, s)
	}
	return v, nil
}
