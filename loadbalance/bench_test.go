package loadbalance

import (
	"fmt"
	"testing"
)

// BenchmarkPutAndView: with 10,000 services of 5 endpoints, one endpoint
// change followed by a new View.
func BenchmarkPutAndView(b *testing.B) {
	r := NewRegistry()
	zx := int64(0)
	for i := 0; i < 10000; i++ {
		for j := 0; j < 5; j++ {
			zx++
			r.Put(fmt.Sprintf("/zkmesh/services/svc-%05d/%d", i, j), zk(fmt.Sprintf("10.0.%d.%d", i%250, j), 80), zx)
		}
	}
	prev := r.View()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		zx++
		r.Put(fmt.Sprintf("/zkmesh/services/svc-%05d/0", i%10000), zk("10.9.9.9", 1+i%60000), zx)
		v := r.View()
		n := 0
		v.Diff(prev, func(string, *Service) { n++ })
		if n != 1 {
			b.Fatalf("diff found %d services", n)
		}
		prev = v
	}
}
