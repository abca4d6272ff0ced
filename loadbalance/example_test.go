package loadbalance_test

import (
	"fmt"
	"net/url"

	"github.com/zkmesh/zkmesh/loadbalance"
)

// The ZooKeeper server forwards the events of relevant paths, then hands
// the View to the xDS server and logs the problems.
func ExampleRegistry() {
	r := loadbalance.NewRegistry()
	provider := "dubbo://10.0.0.7:20880/com.example.Greeter?side=provider&group=g&version=1.0&weight=200"
	for _, ev := range []struct {
		path string
		data string
		zxid int64
	}{
		{"/dubbo/com.example.Greeter/providers/" + url.QueryEscape(provider), "", 0x100000001},
		{"/dubbo/com.example.Greeter/consumers/x", "", 0x100000002},
		{"/brokers/ids/1", `{"endpoints":["PLAINTEXT://k1:9092"],"rack":"zone-a"}`, 0x100000003},
		{"/zkmesh/services/echo/i1", `{"address":"10.0.0.9","port":5000,"zone":"zone-a"}`, 0x100000004},
		{"/zkmesh/services/echo/i2", `{"address":`, 0x100000005},
	} {
		if r.Relevant(ev.path) {
			r.Put(ev.path, []byte(ev.data), ev.zxid)
		}
	}
	v := r.View()
	for _, name := range v.Names() {
		s := v.Service(name)
		e := s.Endpoints[0]
		fmt.Printf("%s v%x: %s:%d weight %d zone %q\n", name, s.Version, e.Address, e.Port, e.Weight, e.Zone)
	}
	for _, p := range r.Malformed() {
		fmt.Println("skipped", p.Path)
	}
	// Output:
	// echo v100000004: 10.0.0.9:5000 weight 100 zone "zone-a"
	// g/com.example.Greeter:1.0 v100000001: 10.0.0.7:20880 weight 200 zone ""
	// kafka-plaintext v100000003: k1:9092 weight 100 zone "zone-a"
	// skipped /zkmesh/services/echo/i2
}
