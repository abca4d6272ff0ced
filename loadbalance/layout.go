package loadbalance

import "strings"

// The registration paths this package reads. A node is a registration when
// its path has exactly the shape below; anything else under these prefixes
// (Dubbo consumers/routers/configurators, the directories themselves) is not.
const (
	dubboRoot        = "/dubbo"           // /dubbo/<interface>/providers/<url>
	kafkaBrokersRoot = "/brokers/ids"     // /brokers/ids/<id>
	kafkaController  = "/controller"      // the controller election node
	curatorRoot      = "/services"        // /services/<name>/<id>
	zkmeshRoot       = "/zkmesh/services" // /zkmesh/services/<name>/<instance>
	dubboProviders   = "providers"        // the only Dubbo category holding endpoints
)

// Prefixes returns the subtrees a ZooKeeper server must scan at startup (and
// watch afterwards) to feed a Registry made with DefaultConfig: every
// registration path lies under one of them. The slice is new on every call.
func Prefixes() []string {
	return DefaultConfig().prefixes()
}

// Prefixes is the package-level Prefixes for this Registry's Config.
func (r *Registry) Prefixes() []string { return r.cfg.prefixes() }

func (c Config) prefixes() []string {
	return []string{dubboRoot, c.KafkaChroot + kafkaBrokersRoot, c.KafkaChroot + kafkaController, c.CuratorBasePath, zkmeshRoot}
}

type pathKind uint8

const (
	kindNone pathKind = iota
	kindDubbo
	kindKafkaBroker
	kindKafkaController
	kindCurator
	kindZkmesh
)

// classify returns the kind of a registration path and its segments after
// the layout's root, or kindNone.
func (c Config) classify(p string) (pathKind, []string) {
	if p == c.KafkaChroot+kafkaController {
		return kindKafkaController, nil
	}
	if !strings.HasPrefix(p, "/") {
		return kindNone, nil
	}
	switch {
	case strings.HasPrefix(p, zkmeshRoot+"/"):
		if seg := segments(p[len(zkmeshRoot)+1:]); len(seg) == 2 {
			return kindZkmesh, seg
		}
	case strings.HasPrefix(p, dubboRoot+"/"):
		if seg := segments(p[len(dubboRoot)+1:]); len(seg) == 3 && seg[1] == dubboProviders {
			return kindDubbo, seg
		}
	case strings.HasPrefix(p, c.KafkaChroot+kafkaBrokersRoot+"/"):
		if seg := segments(p[len(c.KafkaChroot+kafkaBrokersRoot)+1:]); len(seg) == 1 {
			return kindKafkaBroker, seg
		}
	}
	if strings.HasPrefix(p, c.CuratorBasePath+"/") {
		if seg := segments(p[len(c.CuratorBasePath)+1:]); len(seg) == 2 {
			return kindCurator, seg
		}
	}
	return kindNone, nil
}

// segments splits a relative path, or returns nil if a segment is empty.
func segments(rel string) []string {
	seg := strings.Split(rel, "/")
	for _, s := range seg {
		if s == "" {
			return nil
		}
	}
	return seg
}

// contribution is what one registration node adds to one service.
type contribution struct {
	service string
	layout  Layout
	// policy is meaningful only when hasPolicy.
	policy    Policy
	hasPolicy bool
	// brokerID is the Kafka broker id, or -1 for other layouts.
	brokerID int64
	ep       Endpoint
}

func (c *contribution) equal(o *contribution) bool {
	return c.service == o.service && c.layout == o.layout && c.policy == o.policy &&
		c.hasPolicy == o.hasPolicy && c.brokerID == o.brokerID && endpointEqual(&c.ep, &o.ep)
}

func endpointEqual(a, b *Endpoint) bool {
	if a.ID != b.ID || a.Address != b.Address || a.Port != b.Port || a.Weight != b.Weight ||
		a.Zone != b.Zone || a.Priority != b.Priority || a.Health != b.Health || a.Warmup != b.Warmup ||
		len(a.Metadata) != len(b.Metadata) {
		return false
	}
	for k, v := range a.Metadata {
		if w, ok := b.Metadata[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// validHost reports whether h can be an endpoint address: a host name or IP
// literal (IPv6 without brackets), no spaces, slashes or control bytes.
func validHost(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if c <= ' ' || c == '/' || c == '?' || c == '#' || c == '@' || c >= 0x7f {
			return false
		}
	}
	return true
}

// maxWeight bounds a registered weight so that the sum of a service's
// weights can never overflow the uint32 Envoy uses.
const maxWeight = 1 << 20
