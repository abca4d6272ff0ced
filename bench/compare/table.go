package main

import (
	"github.com/zkmesh/zkmesh/bench"

	"fmt"
	"io"
	"sort"
	"strings"
)

// report is the JSON output: settings, every run, and the table.
type report struct {
	Command  string            `json:"command"`
	Machine  string            `json:"machine"`
	Versions map[string]string `json:"versions"`
	ZooCfg   string            `json:"zoo_cfg"`
	JVMFlags string            `json:"jvm_flags"`
	Runs     int               `json:"runs"`
	Started  string            `json:"started"`
	Finished string            `json:"finished"`
	Table    []row             `json:"table"`
	Records  []*runRecord      `json:"records"`
}

// row is one figure: the median of each server's runs and their ratio
// (zkmesh / Apache).
type row struct {
	Figure string  `json:"figure"`
	Unit   string  `json:"unit"`
	Apache float64 `json:"apache"`
	Zkmesh float64 `json:"zkmesh"`
	Ratio  float64 `json:"ratio"`
	// Better says which way is better: "higher" or "lower".
	Better string `json:"better"`
}

// median returns the median of xs (the mean of the middle two for an even
// count); 0 for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// figure builds a row from a value taken from every record of each kind.
func figure(recs []*runRecord, name, unit, better string, value func(*runRecord) (float64, bool)) row {
	vals := map[Kind][]float64{}
	for _, r := range recs {
		if v, ok := value(r); ok {
			vals[r.Server] = append(vals[r.Server], v)
		}
	}
	r := row{Figure: name, Unit: unit, Better: better, Apache: median(vals[kindApache]), Zkmesh: median(vals[kindZkmesh])}
	if r.Apache != 0 {
		r.Ratio = r.Zkmesh / r.Apache
	}
	return r
}

func loadTable(recs []*runRecord, loads []load) []row {
	var rows []row
	for _, l := range loads {
		name := l.Name
		res := func(r *runRecord) (*bench.Result, bool) {
			x, ok := r.Results[name]
			return x, ok && x != nil
		}
		rows = append(rows,
			figure(recs, l.Label+": throughput", "ops/s", "higher", func(r *runRecord) (float64, bool) {
				x, ok := res(r)
				if !ok {
					return 0, false
				}
				return x.ThroughputOpsPerS, true
			}),
			figure(recs, l.Label+": p50", "ms", "lower", func(r *runRecord) (float64, bool) {
				x, ok := res(r)
				if !ok {
					return 0, false
				}
				return x.Latency.P50Us / 1000, true
			}),
			figure(recs, l.Label+": p99", "ms", "lower", func(r *runRecord) (float64, bool) {
				x, ok := res(r)
				if !ok {
					return 0, false
				}
				return x.Latency.P99Us / 1000, true
			}),
			figure(recs, l.Label+": p99.9", "ms", "lower", func(r *runRecord) (float64, bool) {
				x, ok := res(r)
				if !ok {
					return 0, false
				}
				return x.Latency.P999Us / 1000, true
			}),
			figure(recs, l.Label+": server CPU per op", "µs", "lower", func(r *runRecord) (float64, bool) {
				x, ok := res(r)
				cpu, ok2 := r.ServerCPUSeconds[name]
				if !ok || !ok2 || x.Ops == 0 {
					return 0, false
				}
				// CPU time sampled at the window's edges.
				return cpu * 1e6 / float64(x.Ops), true
			}),
		)
	}
	rows = append(rows,
		figure(recs, "RSS at start (empty tree)", "MiB", "lower", func(r *runRecord) (float64, bool) { return mib(r.Idle.RSSKiB), true }),
		figure(recs, "RSS after the loads", "MiB", "lower", func(r *runRecord) (float64, bool) { return mib(r.After.RSSKiB), true }),
		figure(recs, "peak RSS (VmHWM)", "MiB", "lower", func(r *runRecord) (float64, bool) { return mib(r.After.HWMKiB), true }),
		figure(recs, "start to serving", "s", "lower", func(r *runRecord) (float64, bool) { return r.StartSeconds, true }),
	)
	return rows
}

func memoryTable(recs []*runRecord, znodes, payload int) []row {
	label := fmt.Sprintf("%d znodes of %d B", znodes, payload)
	return []row{
		figure(recs, "RSS at start (empty tree)", "MiB", "lower", func(r *runRecord) (float64, bool) { return mib(r.Idle.RSSKiB), true }),
		figure(recs, "RSS with "+label, "MiB", "lower", func(r *runRecord) (float64, bool) { return mib(r.After.RSSKiB), true }),
		figure(recs, "peak RSS (VmHWM) with "+label, "MiB", "lower", func(r *runRecord) (float64, bool) { return mib(r.After.HWMKiB), true }),
		figure(recs, "fill rate", "creates/s", "higher", func(r *runRecord) (float64, bool) {
			if r.Fill == nil || r.Fill.SetupSeconds == 0 {
				return 0, false
			}
			return float64(r.Fill.SetupNodes) / r.Fill.SetupSeconds, true
		}),
		figure(recs, "fill: create p99", "ms", "lower", func(r *runRecord) (float64, bool) {
			if r.Fill == nil || r.Fill.SetupLatency.Count == 0 {
				return 0, false
			}
			return r.Fill.SetupLatency.P99Us / 1000, true
		}),
		figure(recs, "fill: longest create (server stall)", "ms", "lower", func(r *runRecord) (float64, bool) {
			if r.Fill == nil || r.Fill.SetupLatency.Count == 0 {
				return 0, false
			}
			return r.Fill.SetupLatency.MaxUs / 1000, true
		}),
	}
}

// writeTable prints the table as Markdown, with the settings above it.
func writeTable(w io.Writer, rep *report) {
	fmt.Fprintf(w, "Machine: %s\n", rep.Machine)
	fmt.Fprintf(w, "Apache: %s\nzkmesh: %s\n", rep.Versions["apache"], rep.Versions["zkmesh"])
	fmt.Fprintf(w, "Runs: %d per server, median shown; ratio = zkmesh / Apache\n\n", rep.Runs)
	fmt.Fprintln(w, "| figure | unit | Apache ZooKeeper 3.8 | zkmesh | ratio | better |")
	fmt.Fprintln(w, "|---|---|--:|--:|--:|---|")
	for _, r := range rep.Table {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %.2f | %s |\n", r.Figure, r.Unit, num(r.Apache), num(r.Zkmesh), r.Ratio, r.Better)
	}
}

// num formats a figure with precision that suits its size.
func num(v float64) string {
	switch {
	case v >= 1000:
		return fmt.Sprintf("%.0f", v)
	case v >= 100:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

func splitComma(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
