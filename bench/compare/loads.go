package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/zkmesh/zkmesh/bench"
)

// load is one bench configuration run against every server.
type load struct {
	// Name is short and unique ("create", "get-1").
	Name string `json:"name"`
	// Label is what the table shows.
	Label string       `json:"label"`
	Cfg   bench.Config `json:"-"`
}

// standardLoads are the loads of a comparison: create, set and get with
// sessions x depth in flight, mixed 90 % reads, then get and set with one
// request in flight (one session), which shows the latency of a lone
// request: a read, and a write with its fsync.
func standardLoads(o options) []load {
	base := bench.DefaultConfig()
	base.Sessions, base.Depth = o.sessions, o.depth
	base.PayloadBytes, base.KeySpace = o.payload, o.keys
	base.Warmup, base.Duration = o.warmup, o.duration
	base.DrainTimeout = o.drain
	inFlight := o.sessions * o.depth
	mk := func(name, label string, w bench.Workload, sessions, depth int) load {
		c := base
		c.Workload, c.Sessions, c.Depth = w, sessions, depth
		c.Prefix = "/compare-" + name
		return load{Name: name, Label: label, Cfg: c}
	}
	return []load{
		mk("create", fmt.Sprintf("create, %d in flight", inFlight), bench.WorkloadCreate, o.sessions, o.depth),
		mk("set", fmt.Sprintf("set, %d in flight", inFlight), bench.WorkloadSet, o.sessions, o.depth),
		mk("get", fmt.Sprintf("get, %d in flight", inFlight), bench.WorkloadGet, o.sessions, o.depth),
		mk("mixed", fmt.Sprintf("mixed 90%% get, %d in flight", inFlight), bench.WorkloadMixed, o.sessions, o.depth),
		mk("get-1", "get, 1 in flight", bench.WorkloadGet, 1, 1),
		mk("set-1", "set, 1 in flight", bench.WorkloadSet, 1, 1),
	}
}

// runRecord is what one server did in one run.
type runRecord struct {
	Server  Kind   `json:"server"`
	Run     int    `json:"run"`
	LoadAvg string `json:"loadavg_at_start"`
	// StartSeconds is the time from exec to serving.
	StartSeconds float64 `json:"start_seconds"`
	Idle         memory  `json:"memory_idle"`
	After        memory  `json:"memory_after"`
	// Results and ServerCPUSeconds are keyed by load name.
	Results          map[string]*bench.Result `json:"results,omitempty"`
	ServerCPUSeconds map[string]float64       `json:"server_cpu_seconds,omitempty"`
	// Fill is the memory mode's fill run.
	Fill *bench.Result `json:"fill,omitempty"`
}

// loadRun starts kind on a fresh directory, runs every load against it,
// reads its memory before and after, and stops it.
func loadRun(ctx context.Context, o *options, kind Kind, run int, root string) (*runRecord, error) {
	return withServer(ctx, o, kind, run, root, func(s *server, rec *runRecord) error {
		if err := serverWarmup(ctx, o, s); err != nil {
			return fmt.Errorf("%s run %d, server warmup: %w", kind, run, err)
		}
		rec.Results = map[string]*bench.Result{}
		rec.ServerCPUSeconds = map[string]float64{}
		for _, l := range standardLoads(*o) {
			if !selected(o, l.Name) {
				continue
			}
			cfg := l.Cfg
			cfg.Servers = []string{s.addr}
			// Server CPU time over exactly the measurement window.
			var mu sync.Mutex
			var cpu0, cpu1 float64
			cfg.Window = func(open bool) {
				v, _ := s.cpuSeconds()
				mu.Lock()
				defer mu.Unlock()
				if open {
					cpu0 = v
				} else {
					cpu1 = v
				}
			}
			res, err := bench.Run(ctx, cfg, nil)
			if err != nil {
				return fmt.Errorf("%s run %d, load %s: %w", kind, run, l.Name, err)
			}
			mu.Lock()
			cpu := cpu1 - cpu0
			mu.Unlock()
			rec.Results[l.Name] = res
			rec.ServerCPUSeconds[l.Name] = cpu
			say("%s run %d %-7s %8.0f ops/s  p50 %6.2f ms  p99 %6.2f ms  p99.9 %6.2f ms  errors %d  (server CPU %.1fs)",
				kind, run, l.Name, res.ThroughputOpsPerS, res.Latency.P50Us/1000, res.Latency.P99Us/1000, res.Latency.P999Us/1000, res.Errors, cpu)
		}
		return nil
	})
}

// serverWarmup sends every measured load's kind of request for
// o.serverWarmup before anything is measured, unrecorded, so that Java's JIT
// compiler has compiled the request path (zkmesh needs none; it gets the
// same treatment).
func serverWarmup(ctx context.Context, o *options, s *server) error {
	if o.serverWarmup <= 0 {
		return nil
	}
	loads := []bench.Workload{bench.WorkloadCreate, bench.WorkloadMixed}
	for _, w := range loads {
		cfg := bench.DefaultConfig()
		cfg.Servers = []string{s.addr}
		cfg.Workload, cfg.ReadPercent = w, 50
		cfg.Sessions, cfg.Depth = o.sessions, o.depth
		cfg.KeySpace, cfg.PayloadBytes = 1000, o.payload
		cfg.Warmup, cfg.Duration = 0, o.serverWarmup/time.Duration(len(loads))
		cfg.DrainTimeout = o.drain
		cfg.Prefix = "/compare-warmup-" + string(w)
		say("%s: server warmup, %s for %v", s.kind, w, cfg.Duration)
		if _, err := bench.Run(ctx, cfg, nil); err != nil {
			return err
		}
	}
	return nil
}

func selected(o *options, name string) bool {
	if o.onlyLoads == "" {
		return true
	}
	for _, n := range splitComma(o.onlyLoads) {
		if n == name {
			return true
		}
	}
	return false
}

// memoryRun starts kind on a fresh directory, fills it with o.znodes znodes
// of o.payload bytes, reads its memory, and stops it (the nodes go with the
// data directory).
func memoryRun(ctx context.Context, o *options, kind Kind, run int, root string) (*runRecord, error) {
	return withServer(ctx, o, kind, run, root, func(s *server, rec *runRecord) error {
		cfg := bench.DefaultConfig()
		cfg.Servers = []string{s.addr}
		cfg.Workload = bench.WorkloadGet
		cfg.Sessions, cfg.Depth = o.sessions, o.depth
		cfg.SetupDepth = o.fillDepth
		cfg.KeySpace, cfg.PayloadBytes = o.znodes, o.payload
		cfg.Warmup, cfg.Duration = 0, time.Second
		cfg.DrainTimeout = o.drain
		cfg.KeepData = true
		cfg.Prefix = "/compare-memory"
		say("%s run %d: creating %d znodes of %d bytes", kind, run, o.znodes, o.payload)
		res, err := bench.Run(ctx, cfg, nil)
		if err != nil {
			return fmt.Errorf("%s run %d, fill: %w", kind, run, err)
		}
		rec.Fill = res
		say("%s run %d: filled in %.1fs (%.0f creates/s, create p99 %.1f ms, max %.1f ms)", kind, run, res.SetupSeconds,
			float64(res.SetupNodes)/res.SetupSeconds, res.SetupLatency.P99Us/1000, res.SetupLatency.MaxUs/1000)
		return nil
	})
}

// withServer starts kind, records its idle memory, runs body, records its
// memory after, and stops it whatever happens.
func withServer(ctx context.Context, o *options, kind Kind, run int, root string, body func(*server, *runRecord) error) (*runRecord, error) {
	rec := &runRecord{Server: kind, Run: run, LoadAvg: loadAvg()}
	say("%s run %d: starting (load average %s)", kind, run, rec.LoadAvg)
	t0 := time.Now()
	s, err := o.setup.start(kind, root)
	if err != nil {
		return nil, err
	}
	defer s.stop()
	rec.StartSeconds = time.Since(t0).Seconds()
	if rec.Idle, err = s.memory(); err != nil {
		return nil, err
	}
	if err := body(s, rec); err != nil {
		return nil, fmt.Errorf("%w\n--- %s log tail ---\n%s", err, kind, s.logTail())
	}
	if rec.After, err = s.memory(); err != nil {
		return nil, err
	}
	say("%s run %d: RSS idle %.0f MiB, after %.0f MiB (peak %.0f MiB)", kind, run, mib(rec.Idle.RSSKiB), mib(rec.After.RSSKiB), mib(rec.After.HWMKiB))
	return rec, ctx.Err()
}

func mib(kib int64) float64 { return float64(kib) / 1024 }
