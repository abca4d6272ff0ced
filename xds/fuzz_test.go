package xds

import (
	"fmt"
	"math"
	"testing"

	"github.com/zkmesh/zkmesh/loadbalance"
)

// FuzzAssignment feeds registrations (untrusted bytes from ZooKeeper) of one
// service through the Registry and checks that the assignment built from
// them is one Envoy and gRPC accept: valid by Envoy's rules, priorities
// contiguous from 0, no duplicate address within it, weights within bounds.
// A registration that broke those rules would get the whole service NACKed.
func FuzzAssignment(f *testing.F) {
	f.Add([]byte(`{"address":"10.0.0.1","port":1,"weight":5,"zone":"a","priority":2}`), []byte(`{"address":"10.0.0.1","port":1,"zone":"b"}`), "a")
	f.Add([]byte(`{"address":"::1","port":65535,"weight":1048576,"zone":"a"}`), []byte(`{"address":"h","port":2,"weight":0,"health":"draining"}`), "")
	f.Add([]byte(`{"address":"h","port":3,"priority":127}`), []byte(`{"address":"h","port":4,"priority":0,"zone":"z"}`), "z")
	f.Fuzz(func(t *testing.T, a, b []byte, localZone string) {
		r := loadbalance.NewRegistry()
		for i, data := range [][]byte{a, b, a, b} {
			r.Put(fmt.Sprintf("/zkmesh/services/s/%d", i), data, int64(i+1))
		}
		svc := r.View().Service("s")
		if svc == nil {
			return
		}
		cla := buildAssignment(svc, localZone, testNow)
		if err := cla.ValidateAll(); err != nil {
			t.Fatalf("invalid assignment: %v", err)
		}
		seen := map[string]bool{}
		maxPriority := uint32(0)
		priorities := map[uint32]uint64{}
		for _, l := range cla.Endpoints {
			w := l.GetLoadBalancingWeight().GetValue()
			if w == 0 {
				t.Fatalf("locality weight 0: %v", l)
			}
			priorities[l.Priority] += uint64(w)
			maxPriority = max(maxPriority, l.Priority)
			var sum uint64
			for _, e := range l.LbEndpoints {
				sa := e.GetEndpoint().GetAddress().GetSocketAddress()
				key := fmt.Sprintf("%s|%d", sa.GetAddress(), sa.GetPortValue())
				if seen[key] {
					t.Fatalf("duplicate address %s", key)
				}
				seen[key] = true
				if e.GetLoadBalancingWeight().GetValue() == 0 {
					t.Fatalf("endpoint weight 0")
				}
				sum += uint64(e.GetLoadBalancingWeight().GetValue())
			}
			if sum > math.MaxUint32 {
				t.Fatalf("endpoint weights overflow: %d", sum)
			}
		}
		for p := uint32(0); p <= maxPriority && len(cla.Endpoints) > 0; p++ {
			if _, ok := priorities[p]; !ok {
				t.Fatalf("priority %d missing below %d", p, maxPriority)
			}
			if priorities[p] > math.MaxUint32 {
				t.Fatalf("locality weights at priority %d overflow", p)
			}
		}
	})
}
