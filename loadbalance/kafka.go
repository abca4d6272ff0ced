package loadbalance

import (
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// KafkaServicePrefix prefixes the service name of each Kafka listener:
// kafka-<listener>, with the listener name in lower case (kafka-plaintext).
const KafkaServicePrefix = "kafka-"

// KafkaControllerKey is the metadata key set to "true" on the endpoints of the
// broker that /controller names. The controller is exposed as metadata on
// each of that broker's listener endpoints rather than as a service of its
// own, so a controller change re-versions only the Kafka services.
const KafkaControllerKey = "kafka.controller"

// kafkaBroker is the JSON Kafka writes to /brokers/ids/<id>. Fields Kafka
// writes but zkmesh does not use are not listed.
type kafkaBroker struct {
	Host        *string           `json:"host"`
	Port        *int64            `json:"port"`
	Endpoints   []string          `json:"endpoints"`
	Rack        *string           `json:"rack"`
	ProtocolMap map[string]string `json:"listener_security_protocol_map"`
}

// parseKafkaBroker reads /brokers/ids/<id>. Each entry of endpoints,
// "LISTENER://host:port", becomes an endpoint of service kafka-<listener>;
// a record without endpoints (very old brokers) uses host and port as
// listener PLAINTEXT. rack becomes the zone.
func parseKafkaBroker(p string, seg []string, data []byte) ([]contribution, error) {
	id, err := strconv.ParseInt(seg[0], 10, 32)
	if err != nil || id < 0 {
		return nil, fmt.Errorf("%w: kafka: broker id %q is not a number", ErrMalformed, seg[0])
	}
	var b kafkaBroker
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, fmt.Errorf("%w: kafka: broker JSON: %v", ErrMalformed, err)
	}
	listeners := b.Endpoints
	if len(listeners) == 0 {
		if b.Host == nil || b.Port == nil {
			return nil, fmt.Errorf("%w: kafka: broker has neither endpoints nor host and port", ErrMalformed)
		}
		listeners = []string{"PLAINTEXT://" + net.JoinHostPort(*b.Host, strconv.FormatInt(*b.Port, 10))}
	}
	zone := ""
	if b.Rack != nil {
		zone = *b.Rack
	}
	out := make([]contribution, 0, len(listeners))
	seen := make(map[string]bool, len(listeners))
	for _, l := range listeners {
		name, hostport, ok := strings.Cut(l, "://")
		if !ok || name == "" {
			return nil, fmt.Errorf("%w: kafka: endpoint %q is not LISTENER://host:port", ErrMalformed, l)
		}
		host, portStr, err := net.SplitHostPort(hostport)
		if err != nil {
			return nil, fmt.Errorf("%w: kafka: endpoint %q: %v", ErrMalformed, l, err)
		}
		port, err := strconv.ParseUint(portStr, 10, 16)
		if err != nil || port == 0 || !validHost(host) || !validListener(name) {
			return nil, fmt.Errorf("%w: kafka: endpoint %q", ErrMalformed, l)
		}
		svc := KafkaServicePrefix + strings.ToLower(name)
		if seen[svc] {
			return nil, fmt.Errorf("%w: kafka: listener %s listed twice", ErrMalformed, name)
		}
		seen[svc] = true
		md := map[string]string{
			"kafka.broker.id": seg[0],
			"kafka.listener":  name,
		}
		if proto := b.ProtocolMap[name]; proto != "" {
			md["kafka.security.protocol"] = proto
		}
		out = append(out, contribution{
			service:  svc,
			layout:   LayoutKafka,
			brokerID: id,
			ep: Endpoint{
				ID:       p,
				Address:  host,
				Port:     uint32(port),
				Weight:   DefaultWeight,
				Zone:     zone,
				Health:   Healthy,
				Metadata: md,
			},
		})
	}
	return out, nil
}

func validListener(name string) bool {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return len(name) <= 64
}

// parseKafkaController reads /controller, {"version":1,"brokerid":N,...},
// and returns the controller's broker id.
func parseKafkaController(data []byte) (int64, error) {
	var c struct {
		BrokerID *int64 `json:"brokerid"`
	}
	if err := json.Unmarshal(data, &c); err != nil {
		return -1, fmt.Errorf("%w: kafka: controller JSON: %v", ErrMalformed, err)
	}
	if c.BrokerID == nil || *c.BrokerID < 0 {
		return -1, fmt.Errorf("%w: kafka: controller has no brokerid", ErrMalformed)
	}
	return *c.BrokerID, nil
}
