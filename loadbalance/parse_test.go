package loadbalance

import (
	"errors"
	"net/url"
	"testing"
)

// dubboPath builds a provider path the way Dubbo's ZookeeperRegistry does:
// the full URL, URL-encoded as one path segment.
func dubboPath(iface, providerURL string) string {
	return "/dubbo/" + iface + "/providers/" + url.QueryEscape(providerURL)
}

func onlyEndpoint(t *testing.T, r *Registry, svc string) Endpoint {
	t.Helper()
	s := r.View().Service(svc)
	if s == nil || len(s.Endpoints) != 1 {
		t.Fatalf("service %q: %+v", svc, s)
	}
	return s.Endpoints[0]
}

func TestDubboProvider(t *testing.T) {
	r := NewRegistry()
	p := dubboPath("org.apache.dubbo.demo.DemoService",
		"dubbo://10.0.0.7:20880/org.apache.dubbo.demo.DemoService?anyhost=true&application=demo-provider"+
			"&group=g1&version=1.0.0&side=provider&weight=40&warmup=60000&timestamp=1700000000000&loadbalance=consistenthash&methods=sayHello,sayHelloAsync")
	r.Put(p, []byte("10.0.0.7"), 5)
	if pr := r.Malformed(); len(pr) != 0 {
		t.Fatalf("problems: %v", pr)
	}
	v := r.View()
	s := v.Service("g1/org.apache.dubbo.demo.DemoService:1.0.0")
	if s == nil {
		t.Fatalf("names = %v", v.Names())
	}
	if s.Policy != RingHash || s.Version != 5 || s.Layout != LayoutDubbo {
		t.Fatalf("service = %+v", s)
	}
	e := s.Endpoints[0]
	if e.Address != "10.0.0.7" || e.Port != 20880 || e.Weight != 40 || e.Health != Healthy {
		t.Fatalf("endpoint = %+v", e)
	}
	if e.Warmup != (Warmup{StartUnixMs: 1700000000000, DurationMs: 60000}) {
		t.Fatalf("warmup = %+v", e.Warmup)
	}
	for k, want := range map[string]string{"dubbo.application": "demo-provider", "dubbo.side": "provider",
		"dubbo.group": "g1", "dubbo.version": "1.0.0", "dubbo.protocol": "dubbo"} {
		if e.Metadata[k] != want {
			t.Errorf("metadata %s = %q, want %q", k, e.Metadata[k], want)
		}
	}
}

func TestDubboDefaultsAndNames(t *testing.T) {
	r := NewRegistry()
	r.Put(dubboPath("a.B", "tri://[::1]:50051/a.B?side=provider"), nil, 1)
	e := onlyEndpoint(t, r, "a.B")
	if e.Weight != DefaultWeight || e.Address != "::1" || e.Port != 50051 || e.Warmup.DurationMs != 0 {
		t.Fatalf("endpoint = %+v", e)
	}
	// Timestamp alone gives Dubbo's default ten-minute warmup.
	r.Put(dubboPath("a.C", "dubbo://h:1/a.C?timestamp=1000&version=2"), nil, 2)
	if e := onlyEndpoint(t, r, "a.C:2"); e.Warmup != (Warmup{1000, DefaultWarmupMs}) {
		t.Fatalf("warmup = %+v", e.Warmup)
	}
	r.Put(dubboPath("a.D", "dubbo://h:1/a.D?group=g&version=0.0.0"), nil, 3)
	onlyEndpoint(t, r, "g/a.D")
	r.Put(dubboPath("a.E", "dubbo://h:1/a.E?weight=0"), nil, 4)
	if e := onlyEndpoint(t, r, "a.E"); e.Health != Draining {
		t.Fatalf("weight 0 health = %v", e.Health)
	}
}

func TestDubboNonEndpoints(t *testing.T) {
	r := NewRegistry()
	for _, p := range []string{
		"/dubbo/a.B/consumers/" + url.QueryEscape("consumer://10.0.0.1/a.B?side=consumer"),
		"/dubbo/a.B/routers/" + url.QueryEscape("route://0.0.0.0/a.B?category=routers"),
		"/dubbo/a.B/configurators/" + url.QueryEscape("override://0.0.0.0/a.B?category=configurators"),
		"/dubbo/a.B/providers",
		"/dubbo/a.B",
	} {
		if r.Relevant(p) {
			t.Errorf("Relevant(%q) = true", p)
		}
		r.Put(p, nil, 1)
	}
	if r.View().Len() != 0 {
		t.Fatalf("non-endpoints became services: %v", r.View().Names())
	}
	// A consumer URL in providers is reported, not published.
	r.Put(dubboPath("a.B", "consumer://10.0.0.1:0/a.B?side=consumer"), nil, 2)
	r.Put(dubboPath("a.B", "dubbo://10.0.0.1:1/a.B?side=consumer"), nil, 3)
	pr := r.Malformed()
	if len(pr) != 2 || !errors.Is(pr[1].Err, ErrNotEndpoint) {
		t.Fatalf("problems = %v", pr)
	}
}

func TestDubboMalformed(t *testing.T) {
	for _, u := range []string{
		"dubbo://h/a.B",            // no port
		"dubbo://h:0/a.B",          // port 0
		"dubbo://h:70000/a.B",      // port range
		"dubbo://h:1/a.B?weight=x", // weight
		"dubbo://h:1/a.B?weight=-1",
		"dubbo://h:1/a.B?warmup=1e3",
		"//h:1/a.B", // no protocol
		"dubbo://:1/a.B",
	} {
		r := NewRegistry()
		r.Put(dubboPath("a.B", u), nil, 1)
		pr := r.Malformed()
		if len(pr) != 1 || !errors.Is(pr[0].Err, ErrMalformed) {
			t.Errorf("%s: problems = %v", u, pr)
		}
		if r.View().Len() != 0 {
			t.Errorf("%s: published %v", u, r.View().Names())
		}
	}
	r := NewRegistry()
	r.Put("/dubbo/a.B/providers/%zz", nil, 1)
	if len(r.Malformed()) != 1 {
		t.Fatal("bad escape not reported")
	}
}

func TestKafkaBrokers(t *testing.T) {
	r := NewRegistry()
	r.Put("/brokers/ids/1", []byte(`{"listener_security_protocol_map":{"PLAINTEXT":"PLAINTEXT","SSL":"SSL"},
		"endpoints":["PLAINTEXT://k1:9092","SSL://k1:9093"],"jmx_port":-1,"features":{},"host":"k1",
		"timestamp":"1700000000000","port":9092,"version":5,"rack":"zone-a"}`), 10)
	r.Put("/brokers/ids/2", []byte(`{"host":"k2","port":9092,"version":1,"jmx_port":-1}`), 11)
	r.Put("/controller", []byte(`{"version":1,"brokerid":2,"timestamp":"1700000000001"}`), 12)
	if pr := r.Malformed(); len(pr) != 0 {
		t.Fatalf("problems: %v", pr)
	}
	v := r.View()
	pt := v.Service("kafka-plaintext")
	if pt == nil || len(pt.Endpoints) != 2 || pt.Version != 12 {
		t.Fatalf("kafka-plaintext = %+v (names %v)", pt, v.Names())
	}
	e1, e2 := pt.Endpoints[0], pt.Endpoints[1]
	if e1.Address != "k1" || e1.Port != 9092 || e1.Zone != "zone-a" || e1.Metadata["kafka.security.protocol"] != "PLAINTEXT" {
		t.Fatalf("broker 1 = %+v", e1)
	}
	if e1.Metadata[KafkaControllerKey] != "" || e2.Metadata[KafkaControllerKey] != "true" {
		t.Fatalf("controller metadata: %v / %v", e1.Metadata, e2.Metadata)
	}
	ssl := v.Service("kafka-ssl")
	if ssl == nil || len(ssl.Endpoints) != 1 || ssl.Endpoints[0].Port != 9093 || ssl.Version != 10 {
		t.Fatalf("kafka-ssl = %+v", ssl)
	}
	// Controller moves to broker 1: both services re-versioned.
	r.Put("/controller", []byte(`{"version":1,"brokerid":1}`), 13)
	v = r.View()
	if v.Service("kafka-ssl").Endpoints[0].Metadata[KafkaControllerKey] != "true" || v.Service("kafka-ssl").Version != 13 {
		t.Fatal("controller change not applied to kafka-ssl")
	}
	r.Remove("/brokers/ids/1", 14)
	v = r.View()
	if s := v.Service("kafka-ssl"); s == nil || len(s.Endpoints) != 0 || s.Version != 14 {
		t.Fatalf("kafka-ssl after removal = %+v", s)
	}
}

func TestKafkaMalformed(t *testing.T) {
	for _, c := range []struct{ path, data string }{
		{"/brokers/ids/x", `{"host":"k","port":1}`},
		{"/brokers/ids/1", `{`},
		{"/brokers/ids/1", `{"version":5}`},
		{"/brokers/ids/1", `{"endpoints":["k1:9092"]}`},
		{"/brokers/ids/1", `{"endpoints":["PLAINTEXT://k1"]}`},
		{"/brokers/ids/1", `{"endpoints":["PLAINTEXT://k1:1","PLAINTEXT://k1:2"]}`},
		{"/brokers/ids/1", `{"endpoints":["PLAIN TEXT://k1:1"]}`},
		{"/controller", `{"version":1}`},
	} {
		r := NewRegistry()
		r.Put(c.path, []byte(c.data), 1)
		if pr := r.Malformed(); len(pr) != 1 || !errors.Is(pr[0].Err, ErrMalformed) {
			t.Errorf("%s %s: problems %v", c.path, c.data, pr)
		}
	}
}

func TestCuratorInstance(t *testing.T) {
	r := NewRegistry()
	r.Put("/services/orders/4f1c", []byte(`{"name":"orders","id":"4f1c","address":"10.1.1.1","port":8080,
		"sslPort":8443,"payload":{"@class":"x.Y", "zone" : "a"},"registrationTimeUTC":1700000000000,
		"serviceType":"DYNAMIC","uriSpec":{"parts":[]},"enabled":true}`), 3)
	e := onlyEndpoint(t, r, "orders")
	if e.Address != "10.1.1.1" || e.Port != 8080 || e.Health != Healthy || e.Weight != DefaultWeight {
		t.Fatalf("endpoint = %+v", e)
	}
	if e.Metadata["curator.sslPort"] != "8443" || e.Metadata["curator.payload"] != `{"@class":"x.Y","zone":"a"}` {
		t.Fatalf("metadata = %v", e.Metadata)
	}
	r.Put("/services/orders/4f1c", []byte(`{"address":"10.1.1.1","port":null,"sslPort":8443,"enabled":false,"payload":null}`), 4)
	e = onlyEndpoint(t, r, "orders")
	if e.Port != 8443 || e.Health != Draining || e.Metadata["curator.tls"] != "true" {
		t.Fatalf("ssl-only disabled endpoint = %+v", e)
	}
	if _, ok := e.Metadata["curator.payload"]; ok {
		t.Fatal("null payload kept")
	}
	for _, bad := range []string{`{"address":"a"}`, `{"address":"","port":1}`, `{"address":"a","port":70000}`, `[]`} {
		r.Put("/services/orders/bad", []byte(bad), 5)
		if pr := r.Malformed(); len(pr) != 1 {
			t.Errorf("%s: problems %v", bad, pr)
		}
		r.Remove("/services/orders/bad", 6)
	}
}

func TestZkmeshRecord(t *testing.T) {
	r := NewRegistry()
	r.Put("/zkmesh/services/echo/i1", []byte(`{"address":"127.0.0.1","port":5001,"weight":3,"zone":"z1","priority":1,
		"policy":"ring_hash","health":"unhealthy","metadata":{"team":"a"}}`), 7)
	s := r.View().Service("echo")
	e := s.Endpoints[0]
	if s.Policy != RingHash || s.Layout != LayoutZkmesh || e.Weight != 3 || e.Zone != "z1" || e.Priority != 1 ||
		e.Health != Unhealthy || e.Metadata["team"] != "a" {
		t.Fatalf("service %+v endpoint %+v", s, e)
	}
	for _, bad := range []string{`{"port":1}`, `{"address":"a"}`, `{"address":"a","port":1,"weight":-1}`,
		`{"address":"a","port":1,"health":"meh"}`, `{"address":"a","port":1,"policy":"random"}`,
		`{"address":"a","port":1,"weight":99999999}`, `{"address":"a b","port":1}`, `{"address":"a","port":1,"priority":500}`} {
		r.Put("/zkmesh/services/echo/bad", []byte(bad), 8)
		if pr := r.Malformed(); len(pr) != 1 || !errors.Is(pr[0].Err, ErrMalformed) {
			t.Errorf("%s: problems %v", bad, pr)
		}
		r.Remove("/zkmesh/services/echo/bad", 9)
	}
}
