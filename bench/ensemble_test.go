package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"testing"
	"time"

	"github.com/zkmesh/zkmesh/internal/zktest"
)

// BenchmarkEnsemble loads a 3-voter ensemble, Apache ZooKeeper 3.8 or
// zkmesh on the same machine one after the other, with sessions spread
// over every member: creates (committed by the quorum through the leader)
// and gets (answered by whichever member the session is on, two of three
// being followers). It reports ops/s and p99 per load as metrics:
//
//	go test -run '^$' -bench Ensemble -benchtime 1x ./bench
func BenchmarkEnsemble(b *testing.B) {
	for _, kind := range benchKinds() {
		b.Run(string(kind), func(b *testing.B) {
			o := zktest.DefaultOptions()
			o.Members = 3
			o.TickTimeMs = 2000
			o.Extra = map[string]string{"forceSync": "yes"}
			srv := zktest.Start(b, kind, o)
			var servers []string
			for _, m := range srv.Members {
				servers = append(servers, m.Addr)
			}
			for i := 0; i < b.N; i++ {
				for _, w := range []Workload{WorkloadCreate, WorkloadGet} {
					cfg := DefaultConfig()
					cfg.Servers = servers
					cfg.Workload = w
					cfg.Sessions, cfg.Depth = 6, 8
					cfg.PayloadBytes = 100
					cfg.KeySpace = 10000
					cfg.Warmup, cfg.Duration = 3*time.Second, 10*time.Second
					cfg.Prefix = fmt.Sprintf("/ens-bench-%s-%d", string(w), i)
					res, err := Run(context.Background(), cfg, io.Discard)
					if err != nil {
						b.Fatal(err)
					}
					if res.Errors != 0 {
						b.Fatalf("%v: %d errors %v", w, res.Errors, res.ErrorsByCode)
					}
					b.ReportMetric(res.ThroughputOpsPerS, string(w)+"-ops/s")
					b.ReportMetric(res.Latency.P99Us/1000, string(w)+"-p99-ms")
				}
			}
		})
	}
}

// benchKinds is apache and zkmesh, or only the one named by
// ZKMESH_BENCH_TARGET.
func benchKinds() []zktest.Kind {
	switch os.Getenv("ZKMESH_BENCH_TARGET") {
	case "apache":
		return []zktest.Kind{zktest.KindApache}
	case "zkmesh":
		return []zktest.Kind{zktest.KindZkmesh}
	}
	return []zktest.Kind{zktest.KindApache, zktest.KindZkmesh}
}
