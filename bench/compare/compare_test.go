package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zkmesh/zkmesh/bench"
	"github.com/zkmesh/zkmesh/internal/zktest"
)

func TestMedian(t *testing.T) {
	cases := []struct {
		in   []float64
		want float64
	}{
		{nil, 0}, {[]float64{3}, 3}, {[]float64{5, 1}, 3}, {[]float64{9, 1, 5}, 5}, {[]float64{4, 1, 3, 2}, 2.5},
	}
	for _, c := range cases {
		if got := median(c.in); got != c.want {
			t.Errorf("median(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestFigureTakesMediansPerServerAndRatio(t *testing.T) {
	recs := []*runRecord{
		{Server: kindApache, Idle: memory{RSSKiB: 1024}},
		{Server: kindApache, Idle: memory{RSSKiB: 3072}},
		{Server: kindApache, Idle: memory{RSSKiB: 100 * 1024}},
		{Server: kindZkmesh, Idle: memory{RSSKiB: 512}},
	}
	r := figure(recs, "rss", "MiB", "lower", func(r *runRecord) (float64, bool) { return mib(r.Idle.RSSKiB), true })
	if r.Apache != 3 || r.Zkmesh != 0.5 || r.Ratio != 0.5/3 {
		t.Fatalf("row %+v", r)
	}
}

func TestZooCfgKeepsTheSharedSettings(t *testing.T) {
	cfg := zooCfg(2000, "/d", 1234)
	for _, want := range []string{"tickTime=2000\n", "forceSync=yes\n", "dataDir=/d\n", "clientPort=1234\n", "clientPortAddress=127.0.0.1\n"} {
		if !strings.Contains(cfg, want) {
			t.Errorf("zoo.cfg lacks %q:\n%s", want, cfg)
		}
	}
}

// TestBothServersStartAndAreMeasured starts each server the way compare
// does, runs a short load and reads its memory and CPU time.
func TestBothServersStartAndAreMeasured(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two servers")
	}
	root := t.TempDir()
	st := serverSetup{java: "java", zkJar: "/usr/share/java/zookeeper.jar", zkConfDir: "/etc/zookeeper/conf", tickMs: 2000, startWait: 60 * time.Second}
	bin, err := buildZkmesh(root)
	if err != nil {
		t.Fatal(err)
	}
	st.zkmeshBin = bin
	for _, k := range []Kind{kindZkmesh, kindApache} {
		t.Run(string(k), func(t *testing.T) { checkServer(t, &st, k, root) })
	}
}

func checkServer(t *testing.T, st *serverSetup, k Kind, root string) {
	t.Helper()
	if k == kindApache {
		zktest.RequireApache(t) // skips, or fails when ZKMESH_REQUIRE_ORACLE=1
	}
	s, err := st.start(k, root)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.stop)
	m, err := s.memory()
	if err != nil || m.RSSKiB <= 0 || m.HWMKiB < m.RSSKiB {
		t.Errorf("%s memory %+v, %v", k, m, err)
	}
	cfg := bench.DefaultConfig()
	cfg.Servers = []string{s.addr}
	cfg.KeySpace = 100
	cfg.Warmup, cfg.Duration = 0, 300*time.Millisecond
	res, err := bench.Run(context.Background(), cfg, nil)
	if err != nil || res.Ops == 0 || res.Errors != 0 {
		t.Errorf("%s: bench %+v, %v", k, res, err)
	}
	cpu, err := s.cpuSeconds()
	if err != nil || cpu <= 0 {
		t.Errorf("%s cpu %v, %v", k, cpu, err)
	}
	if b, err := os.ReadFile(filepath.Join(s.dir, "zoo.cfg")); err != nil || !strings.Contains(string(b), "forceSync=yes") {
		t.Errorf("%s zoo.cfg: %v", k, err)
	}
	s.stop()
	select {
	case <-s.done:
	default:
		t.Errorf("%s still running after stop", k)
	}
}
