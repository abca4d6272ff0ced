package crashtest

import (
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zkmesh/zkmesh/internal/zktest"
)

// BenchmarkLeaderFailover kills the leader of a 3-voter ensemble with
// SIGKILL once per iteration and measures the time until a create succeeds
// on one of the two survivors. It reports the median and the worst as
// ms-median and ms-max. ZKMESH_BENCH_TARGET=apache measures Apache
// ZooKeeper the same way.
//
//	go test -run '^$' -bench LeaderFailover -benchtime 10x ./internal/crashtest
func BenchmarkLeaderFailover(b *testing.B) {
	o := zktest.DefaultOptions()
	o.Members = 3
	kind := zktest.KindZkmesh
	if k := getenvDefault("ZKMESH_BENCH_TARGET", "zkmesh"); k == "apache" {
		kind = zktest.KindApache
	}
	srv := zktest.Start(b, kind, o)
	var times []time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		leader := findLeader(b, srv)
		var rest []string
		for _, m := range srv.Members {
			if m != leader {
				rest = append(rest, m.Addr)
			}
		}
		b.StartTimer()
		start := time.Now()
		if err := leader.Kill(); err != nil {
			b.Fatal(err)
		}
		writeUntilOK(b, rest, 30*time.Second)
		d := time.Since(start)
		b.StopTimer()
		times = append(times, d)
		leader.Restart()
		b.StartTimer()
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "ms-median")
	b.ReportMetric(float64(times[len(times)-1].Microseconds())/1000, "ms-max")
}

func findLeader(tb testing.TB, srv *zktest.Server) *zktest.Server {
	tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		for _, m := range srv.Members {
			if out, err := m.FourLetter("srvr"); err == nil && strings.Contains(out, "Mode: leader") {
				return m
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	tb.Fatal("no member reports Mode: leader")
	return nil
}

// writeUntilOK connects to addrs and retries a create until one succeeds.
func writeUntilOK(tb testing.TB, addrs []string, limit time.Duration) {
	tb.Helper()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		c, _, err := zk.Connect(addrs, 2*time.Second, zk.WithLogger(quietLogger{}), zk.WithLogInfo(false))
		if err != nil {
			continue
		}
		for time.Now().Before(deadline) {
			_, err := c.Create("/failover-", nil, zk.FlagSequence|zk.FlagEphemeral, zk.WorldACL(zk.PermAll))
			if err == nil {
				c.Close()
				return
			}
			if err == zk.ErrClosing || err == zk.ErrNoServer || err == zk.ErrSessionExpired {
				break
			}
			time.Sleep(2 * time.Millisecond)
		}
		c.Close()
	}
	tb.Fatalf("no write accepted within %v", limit)
}
