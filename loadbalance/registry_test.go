package loadbalance

import (
	"fmt"
	"reflect"
	"testing"
)

func zk(addr string, port int) []byte {
	return []byte(fmt.Sprintf(`{"address":%q,"port":%d}`, addr, port))
}

func TestRegistryVersionsAndChanged(t *testing.T) {
	r := NewRegistry()
	r.Put("/zkmesh/services/a/1", zk("10.0.0.1", 1), 100)
	r.Put("/zkmesh/services/b/1", zk("10.0.0.2", 1), 101)
	v1 := r.View()
	if got := v1.Changed(); !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Fatalf("changed = %v", got)
	}
	if v1.Zxid() != 101 || v1.Service("a").Version != 100 || v1.Service("b").Version != 101 {
		t.Fatal("versions are not the zxids of the last change")
	}
	// Same data again: no change, no new version.
	r.Put("/zkmesh/services/a/1", zk("10.0.0.1", 1), 102)
	v2 := r.View()
	if len(v2.Changed()) != 0 || v2.Service("a").Version != 100 || v2.Zxid() != 102 {
		t.Fatalf("no-op put changed the view: %v %d", v2.Changed(), v2.Service("a").Version)
	}
	r.Put("/zkmesh/services/a/2", zk("10.0.0.3", 1), 103)
	v3 := r.View()
	if !reflect.DeepEqual(v3.Changed(), []string{"a"}) || v3.Service("a").Version != 103 || v3.Service("b") != v1.Service("b") {
		t.Fatalf("only a should change: %v", v3.Changed())
	}
	// Views are immutable: the old one still has one endpoint.
	if len(v1.Service("a").Endpoints) != 1 || len(v3.Service("a").Endpoints) != 2 {
		t.Fatal("old view was modified")
	}
	// Removing the last endpoint keeps the service, empty.
	r.Remove("/zkmesh/services/b/1", 104)
	v4 := r.View()
	if s := v4.Service("b"); s == nil || len(s.Endpoints) != 0 || s.Version != 104 {
		t.Fatalf("b after removal = %+v", s)
	}
	if !reflect.DeepEqual(v4.Names(), []string{"a", "b"}) {
		t.Fatalf("names = %v", v4.Names())
	}
	st := r.Stats()
	if st.Services != 2 || st.Endpoints != 2 {
		t.Fatalf("stats = %+v", st)
	}
}

func TestRegistryEndpointsSortedByPath(t *testing.T) {
	r := NewRegistry()
	for _, id := range []string{"c", "a", "b"} {
		r.Put("/zkmesh/services/s/"+id, zk("h-"+id, 1), 1)
	}
	var got []string
	for _, e := range r.View().Service("s").Endpoints {
		got = append(got, e.Address)
	}
	if !reflect.DeepEqual(got, []string{"h-a", "h-b", "h-c"}) {
		t.Fatalf("order = %v", got)
	}
}

func TestMalformedReportedOncePerPathAndIsolated(t *testing.T) {
	r := NewRegistry()
	r.Put("/zkmesh/services/good/1", zk("10.0.0.1", 1), 1)
	r.Put("/zkmesh/services/good/2", []byte("{nope"), 2)
	r.Put("/zkmesh/services/good/2", []byte("{still nope"), 3)
	r.Put("/services/other/x", []byte("garbage"), 4)
	pr := r.Malformed()
	if len(pr) != 2 || pr[0].Path != "/zkmesh/services/good/2" || pr[0].Zxid != 2 || pr[1].Path != "/services/other/x" {
		t.Fatalf("problems = %v", pr)
	}
	if len(r.Malformed()) != 0 {
		t.Fatal("problems reported twice")
	}
	st := r.Stats()
	if st.MalformedTotal != 3 || st.MalformedNow != 2 {
		t.Fatalf("stats = %+v", st)
	}
	v := r.View()
	if s := v.Service("good"); s == nil || len(s.Endpoints) != 1 {
		t.Fatalf("good service broken by a malformed sibling: %+v", s)
	}
	// A good registration turning bad loses its endpoint; fixing it then
	// breaking it again reports again.
	r.Put("/zkmesh/services/good/1", []byte("x"), 5)
	if s := r.View().Service("good"); len(s.Endpoints) != 0 {
		t.Fatalf("malformed data kept endpoint: %+v", s)
	}
	r.Put("/zkmesh/services/good/1", zk("10.0.0.1", 1), 6)
	r.Put("/zkmesh/services/good/1", []byte("y"), 7)
	pr = r.Malformed()
	if len(pr) != 2 || pr[1].Zxid != 7 {
		t.Fatalf("problems after refix = %v", pr)
	}
	r.Remove("/zkmesh/services/good/2", 8)
	if r.Stats().MalformedNow != 2 {
		t.Fatalf("stats = %+v", r.Stats())
	}
}

func TestRelevantAndPrefixes(t *testing.T) {
	r := NewRegistry()
	yes := []string{"/dubbo/a.B/providers/x", "/brokers/ids/3", "/controller", "/services/n/i", "/zkmesh/services/n/i"}
	no := []string{"/", "/dubbo", "/dubbo/a.B/consumers/x", "/brokers/ids", "/brokers/topics/t", "/services/n",
		"/zkmesh/services/n", "/zkmesh/services/n/i/j", "/controller_epoch", "/services//i", "relative/x"}
	for _, p := range yes {
		if !r.Relevant(p) {
			t.Errorf("Relevant(%q) = false", p)
		}
		found := false
		for _, pre := range Prefixes() {
			if p == pre || len(p) > len(pre) && p[:len(pre)+1] == pre+"/" {
				found = true
			}
		}
		if !found {
			t.Errorf("%q is under no prefix", p)
		}
	}
	for _, p := range no {
		if r.Relevant(p) {
			t.Errorf("Relevant(%q) = true", p)
		}
	}
}

func TestPolicyFromSmallestPath(t *testing.T) {
	r := NewRegistry()
	r.Put("/zkmesh/services/s/b", []byte(`{"address":"h","port":1,"policy":"least_request"}`), 1)
	r.Put("/zkmesh/services/s/c", []byte(`{"address":"h","port":2}`), 2)
	if p := r.View().Service("s").Policy; p != LeastRequest {
		t.Fatalf("policy = %v", p)
	}
	r.Put("/zkmesh/services/s/a", []byte(`{"address":"h","port":3,"policy":"ring_hash"}`), 3)
	if p := r.View().Service("s").Policy; p != RingHash {
		t.Fatalf("policy = %v", p)
	}
}

func TestViewDiff(t *testing.T) {
	r := NewRegistry()
	for i := 0; i < 1000; i++ {
		r.Put(fmt.Sprintf("/zkmesh/services/s%d/1", i), zk("h", 1), int64(i+1))
	}
	v1 := r.View()
	if v1.Len() != 1000 {
		t.Fatalf("len = %d", v1.Len())
	}
	r.Put("/zkmesh/services/s7/2", zk("h", 2), 2000)
	r.Put("/zkmesh/services/new/1", zk("h", 2), 2001)
	v2 := r.View()
	got := map[string]bool{}
	v2.Diff(v1, func(name string, s *Service) { got[name] = s != nil })
	if !reflect.DeepEqual(got, map[string]bool{"s7": true, "new": true}) {
		t.Fatalf("diff = %v", got)
	}
	// Diff against an empty View lists everything; the reverse lists removals.
	n := 0
	v2.Diff(View{}, func(string, *Service) { n++ })
	removed := 0
	View{}.Diff(v2, func(_ string, s *Service) {
		if s == nil {
			removed++
		}
	})
	if n != 1001 || removed != 1001 || v2.Len() != 1001 {
		t.Fatalf("n = %d removed = %d len = %d", n, removed, v2.Len())
	}
	// The old View is untouched.
	if v1.Service("new") != nil || len(v1.Service("s7").Endpoints) != 1 || v1.Len() != 1000 {
		t.Fatal("old view modified")
	}
}

func TestPutInZoneFillsOnlyMissingZones(t *testing.T) {
	r := NewRegistry()
	r.PutInZone("/zkmesh/services/echo/a", []byte(`{"address":"10.0.0.1","port":80}`), 1, "z-host")
	r.PutInZone("/zkmesh/services/echo/b", []byte(`{"address":"10.0.0.2","port":80,"zone":"z-own"}`), 2, "z-host")
	r.Put("/zkmesh/services/echo/c", []byte(`{"address":"10.0.0.3","port":80}`), 3)
	got := map[string]string{}
	for _, ep := range r.View().Service("echo").Endpoints {
		got[ep.Address] = ep.Zone
	}
	want := map[string]string{"10.0.0.1": "z-host", "10.0.0.2": "z-own", "10.0.0.3": ""}
	for a, z := range want {
		if got[a] != z {
			t.Errorf("%s: zone %q, want %q", a, got[a], z)
		}
	}
}
