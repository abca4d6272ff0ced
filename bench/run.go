package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/zkmesh/zkmesh/jute"
)

// Run performs one benchmark run described by cfg: it opens cfg.Sessions
// sessions, creates cfg.Prefix (failing with ErrPrefixExists if it is
// there), fills the key space, sends the workload for cfg.Warmup and then
// cfg.Duration, waits for the replies in flight, deletes what it created
// (unless cfg.KeepData) and closes the sessions. Progress lines go to
// progress when it is not nil.
//
// The result is returned whenever the measurement took place, also with an
// error (a session that broke mid-run); its counts then cover what was
// answered. Cleanup runs even when ctx is cancelled (bounded by
// cfg.DrainTimeout per phase of no progress).
func Run(ctx context.Context, cfg Config, progress io.Writer) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	say := func(format string, args ...any) {
		if progress != nil {
			fmt.Fprintf(progress, format+"\n", args...)
		}
	}
	payload := make([]byte, cfg.PayloadBytes)
	for i := range payload {
		payload[i] = 'a' + byte(i%26)
	}
	workers := make([]*worker, cfg.Sessions)
	for i := range workers {
		workers[i] = newWorker(i, &cfg, payload)
	}
	defer func() {
		for _, w := range workers {
			if w.s != nil {
				w.s.close(time.Second)
			}
		}
	}()
	for _, w := range workers {
		s, err := dial(ctx, cfg.Servers[w.idx%len(cfg.Servers)], cfg.SessionTimeoutMs, cfg.DialTimeout)
		if err != nil {
			return nil, err
		}
		w.s = s
	}

	// The prefix and its two parents, in order on one session.
	w0 := workers[0]
	parents := []string{cfg.Prefix, keysParent(cfg.Prefix), createsParent(cfg.Prefix)}
	codes := codeCounts{}
	var first jute.Code
	err := w0.s.run(ctx, pipeline{
		depth: len(parents), idle: cfg.DrainTimeout,
		next: w0.createEach(len(parents)*cfg.Sessions, nil, func(i int) string { return parents[i/cfg.Sessions] }),
		done: func(r reply) {
			if first == jute.CodeOK && len(codes) == 0 {
				first = r.code
			}
			codes[r.code]++
		},
	})
	if err == nil && first == jute.CodeNodeExists {
		return nil, fmt.Errorf("%w: %s (delete it, or choose another prefix)", ErrPrefixExists, cfg.Prefix)
	}
	if err == nil && codes[jute.CodeOK] != uint64(len(parents)) {
		err = fmt.Errorf("%w: creating %s: replies %v", ErrSetup, cfg.Prefix, codeSummary(codes))
	}
	if err != nil {
		return nil, err
	}
	// From here on the subtree is ours: clean it up whatever happens.
	res := &Result{
		Workload: cfg.Workload, Servers: cfg.Servers, Sessions: cfg.Sessions, Depth: cfg.Depth,
		PayloadBytes: cfg.PayloadBytes, KeySpace: cfg.KeySpace,
		WarmupSeconds: cfg.Warmup.Seconds(), DurationSeconds: cfg.Duration.Seconds(),
	}
	if cfg.Workload == WorkloadMixed {
		res.ReadPercent = cfg.ReadPercent
	}
	children := 0
	if cfg.Workload == WorkloadGetChildren {
		children = cfg.ChildrenPerKey
	}
	if !cfg.KeepData {
		defer func() {
			cctx := context.WithoutCancel(ctx)
			say("cleanup: deleting %s", cfg.Prefix)
			start := time.Now()
			res.CleanupErrors = cleanup(cctx, &cfg, workers, children)
			res.CleanupSeconds = time.Since(start).Seconds()
		}()
	}

	if cfg.Workload.usesKeySpace() {
		say("setup: creating %d keys of %d bytes under %s", cfg.KeySpace, cfg.PayloadBytes, keysParent(cfg.Prefix))
		start := time.Now()
		var setupLat Histogram
		err := phase(ctx, &cfg, workers, func(w *worker) func(*request) bool {
			return w.createEach(cfg.KeySpace, payload, func(i int) string { return keyPath(cfg.Prefix, i) })
		}, checkAllOK(cfg.KeySpace), &setupLat)
		if err == nil && children > 0 {
			n := cfg.KeySpace * children
			say("setup: creating %d children per key", children)
			err = phase(ctx, &cfg, workers, func(w *worker) func(*request) bool {
				return w.createEach(n, nil, func(i int) string { return childPath(cfg.Prefix, i/children, i%children) })
			}, checkAllOK(n), &setupLat)
		}
		res.SetupSeconds = time.Since(start).Seconds()
		res.SetupLatency = summarize(&setupLat)
		res.SetupNodes = cfg.KeySpace * (1 + children)
		if err != nil {
			return nil, err
		}
	}

	say("run: %s for %v warmup + %v", cfg.Workload, cfg.Warmup, cfg.Duration)
	err = measure(ctx, &cfg, workers, res)
	if err != nil {
		res.Error = err.Error()
	}
	return res, err
}

// checkAllOK returns a phase check that wants n replies, all OK.
func checkAllOK(n int) func(codeCounts) error {
	return func(c codeCounts) error {
		if c[jute.CodeOK] != uint64(n) {
			return fmt.Errorf("%w: want %d ok replies, got %v", ErrSetup, n, codeSummary(c))
		}
		return nil
	}
}

func codeSummary(c codeCounts) map[string]uint64 {
	m := map[string]uint64{}
	for k, v := range c {
		m[codeKey(k)] = v
	}
	return m
}

// phase runs one untimed phase on every session at once, counting replies
// by code, and passes the counts to check.
func phase(ctx context.Context, cfg *Config, workers []*worker, next func(*worker) func(*request) bool, check func(codeCounts) error, lat *Histogram) error {
	counts := make([]codeCounts, len(workers))
	hists := make([]Histogram, len(workers))
	errs := make([]error, len(workers))
	var wg sync.WaitGroup
	for i, w := range workers {
		counts[i] = codeCounts{}
		if w.s.broken {
			errs[i] = fmt.Errorf("bench: session %d to %s is broken", i, w.s.addr)
			continue
		}
		wg.Add(1)
		go func(i int, w *worker) {
			defer wg.Done()
			c, h := counts[i], &hists[i]
			errs[i] = w.s.run(ctx, pipeline{
				depth: cfg.SetupDepth, idle: cfg.DrainTimeout, next: next(w),
				done: func(r reply) {
					c[r.code]++
					h.Record(r.done.Sub(r.sent))
				},
			})
		}(i, w)
	}
	wg.Wait()
	total := codeCounts{}
	for i, c := range counts {
		total.add(c)
		if lat != nil {
			lat.Merge(&hists[i])
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if check != nil {
		return check(total)
	}
	return nil
}

// measure runs the timed phase and fills res.
func measure(ctx context.Context, cfg *Config, workers []*worker, res *Result) error {
	start := time.Now()
	from := start.Add(cfg.Warmup)
	to := from.Add(cfg.Duration)
	errs := make([]error, len(workers))
	var wg sync.WaitGroup
	if cfg.Window != nil {
		opened := time.AfterFunc(time.Until(from), func() { cfg.Window(true) })
		closed := time.AfterFunc(time.Until(to), func() { cfg.Window(false) })
		defer func() {
			// A window cut short by ctx still opens and closes once each.
			if opened.Stop() {
				cfg.Window(true)
			}
			if closed.Stop() {
				cfg.Window(false)
			}
		}()
	}
	for i, w := range workers {
		w.stats = phaseStats{from: from, to: to}
		if w.s.broken {
			errs[i] = fmt.Errorf("bench: session %d to %s is broken", i, w.s.addr)
			continue
		}
		wg.Add(1)
		go func(i int, w *worker) {
			defer wg.Done()
			errs[i] = w.s.run(ctx, pipeline{
				depth: cfg.Depth, until: to, idle: cfg.DrainTimeout,
				next: w.nextOp, done: w.stats.record,
			})
		}(i, w)
	}
	wg.Wait()
	window := cfg.Duration
	if end := time.Now(); end.Before(to) { // cancelled early
		window = end.Sub(from)
	}
	merged := map[jute.OpCode]*opStats{}
	for _, w := range workers {
		res.WarmupOps += w.stats.early
		res.LateOps += w.stats.late
		for op, o := range w.stats.byOp {
			m := merged[op]
			if m == nil {
				m = &opStats{}
				merged[op] = m
			}
			m.merge(o)
		}
	}
	res.fill(merged, window)
	return errors.Join(errs...)
}

// cleanup deletes the subtree (children, keys, created nodes, then the
// parents), redialling broken sessions. It returns how many deletes failed
// other than with "no node".
func cleanup(ctx context.Context, cfg *Config, workers []*worker, children int) uint64 {
	for _, w := range workers {
		if w.s.broken {
			s, err := dial(ctx, w.s.addr, cfg.SessionTimeoutMs, cfg.DialTimeout)
			if err != nil {
				return 1
			}
			w.s = s
		}
	}
	var failed uint64
	count := func(c codeCounts) error {
		for code, n := range c {
			if code != jute.CodeOK && code != jute.CodeNoNode {
				failed += n
			}
		}
		return nil
	}
	p := cfg.Prefix
	if children > 0 {
		n := cfg.KeySpace * children
		if err := phase(ctx, cfg, workers, func(w *worker) func(*request) bool {
			return w.deleteEach(n, func(i int) string { return childPath(p, i/children, i%children) })
		}, count, nil); err != nil {
			failed++
		}
	}
	if cfg.Workload.usesKeySpace() {
		if err := phase(ctx, cfg, workers, func(w *worker) func(*request) bool {
			return w.deleteEach(cfg.KeySpace, func(i int) string { return keyPath(p, i) })
		}, count, nil); err != nil {
			failed++
		}
	}
	if err := phase(ctx, cfg, workers, func(w *worker) func(*request) bool { return w.deleteCreated() }, count, nil); err != nil {
		failed++
	}
	parents := []string{createsParent(p), keysParent(p), p}
	w0 := workers[0]
	if w0.s.broken {
		return failed + 1
	}
	c := codeCounts{}
	err := w0.s.run(ctx, pipeline{
		depth: 1, idle: cfg.DrainTimeout,
		next: w0.deleteEach(len(parents)*cfg.Sessions, func(i int) string { return parents[i/cfg.Sessions] }),
		done: func(r reply) { c[r.code]++ },
	})
	if err != nil {
		failed++
	}
	_ = count(c)
	return failed
}
