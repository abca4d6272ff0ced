package loadbalance

import (
	"net/url"
	"testing"
)

// checkInvariants verifies what every parser promises for any input.
func checkInvariants(t *testing.T, r *Registry, path string) {
	t.Helper()
	v := r.View()
	v.Range(func(s *Service) bool {
		for _, e := range s.Endpoints {
			if e.Port == 0 || e.Port > 65535 || !validHost(e.Address) || e.Weight > maxWeight {
				t.Fatalf("%s: invalid endpoint %+v", path, e)
			}
		}
		return true
	})
	for _, pr := range r.Malformed() {
		v.Range(func(s *Service) bool {
			for _, e := range s.Endpoints {
				if e.ID == pr.Path {
					t.Fatalf("%s: malformed (%v) and published", pr.Path, pr.Err)
				}
			}
			return true
		})
	}
}

func FuzzDubbo(f *testing.F) {
	for _, s := range []string{
		"dubbo://10.0.0.7:20880/org.apache.dubbo.demo.DemoService?anyhost=true&application=demo&side=provider&weight=40&timestamp=1700000000000",
		"tri://[::1]:50051/a.B?group=g&version=1.0.0&warmup=1000&loadbalance=leastactive",
		"dubbo://h:1/a.B?weight=x", "consumer://h/a.B?side=consumer", "%zz", "",
	} {
		f.Add("a.B", url.QueryEscape(s))
	}
	f.Fuzz(func(t *testing.T, iface, node string) {
		r := NewRegistry()
		p := "/dubbo/" + iface + "/providers/" + node
		r.Put(p, nil, 1)
		checkInvariants(t, r, p)
	})
}

func FuzzKafkaBroker(f *testing.F) {
	f.Add("1", []byte(`{"listener_security_protocol_map":{"PLAINTEXT":"PLAINTEXT"},"endpoints":["PLAINTEXT://k1:9092"],"jmx_port":-1,"host":"k1","timestamp":"1","port":9092,"version":5,"rack":"r"}`))
	f.Add("2", []byte(`{"host":"k2","port":9092,"version":1}`))
	f.Add("3", []byte(`{"endpoints":["A://[::1]:1","B://h:65535"]}`))
	f.Add("x", []byte(`{`))
	f.Fuzz(func(t *testing.T, id string, data []byte) {
		r := NewRegistry()
		p := "/brokers/ids/" + id
		r.Put(p, data, 1)
		r.Put("/controller", data, 2)
		checkInvariants(t, r, p)
	})
}

func FuzzCurator(f *testing.F) {
	f.Add([]byte(`{"name":"orders","id":"4f1c","address":"10.1.1.1","port":8080,"sslPort":8443,"payload":{"a":1},"registrationTimeUTC":1,"serviceType":"DYNAMIC","uriSpec":null,"enabled":true}`))
	f.Add([]byte(`{"address":"h","sslPort":1,"enabled":false}`))
	f.Add([]byte(`{"address":"h","port":-1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewRegistry()
		p := "/services/orders/i"
		r.Put(p, data, 1)
		checkInvariants(t, r, p)
	})
}

func FuzzZkmesh(f *testing.F) {
	f.Add([]byte(`{"address":"127.0.0.1","port":5001,"weight":3,"zone":"z1","priority":1,"policy":"ring_hash","health":"draining","metadata":{"a":"b"}}`))
	f.Add([]byte(`{"address":"h","port":1}`))
	f.Add([]byte(`{"address":"h","port":1,"weight":1048577}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewRegistry()
		p := "/zkmesh/services/s/i"
		r.Put(p, data, 1)
		checkInvariants(t, r, p)
	})
}
