package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/zkmesh/zkmesh/jute"
)

// Latency summarises a latency histogram, in microseconds.
type Latency struct {
	Count  uint64  `json:"count"`
	MeanUs float64 `json:"mean_us"`
	P50Us  float64 `json:"p50_us"`
	P99Us  float64 `json:"p99_us"`
	P999Us float64 `json:"p999_us"`
	MaxUs  float64 `json:"max_us"`
}

func summarize(h *Histogram) Latency {
	us := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
	return Latency{
		Count:  h.Count(),
		MeanUs: us(h.Mean()),
		P50Us:  us(h.Quantile(0.5)),
		P99Us:  us(h.Quantile(0.99)),
		P999Us: us(h.Quantile(0.999)),
		MaxUs:  us(h.Max()),
	}
}

// OpResult is the share of one opcode in a run.
type OpResult struct {
	Ops          uint64            `json:"ops"`
	Successes    uint64            `json:"successes"`
	Errors       uint64            `json:"errors"`
	ErrorsByCode map[string]uint64 `json:"errors_by_code"`
	Latency      Latency           `json:"latency"`
}

// Result is the report of one run. Counts and latencies cover the replies
// that arrived inside the measurement window; every such reply is a success
// or an error: Ops == Successes + Errors, and the same holds per opcode.
type Result struct {
	Workload        Workload `json:"workload"`
	ReadPercent     int      `json:"read_percent,omitempty"`
	Servers         []string `json:"servers"`
	Sessions        int      `json:"sessions"`
	Depth           int      `json:"depth"`
	PayloadBytes    int      `json:"payload_bytes"`
	KeySpace        int      `json:"key_space"`
	WarmupSeconds   float64  `json:"warmup_seconds"`
	DurationSeconds float64  `json:"duration_seconds"`

	Ops               uint64            `json:"ops"`
	Successes         uint64            `json:"successes"`
	Errors            uint64            `json:"errors"`
	ErrorsByCode      map[string]uint64 `json:"errors_by_code"`
	ThroughputOpsPerS float64           `json:"throughput_ops_per_s"`
	Latency           Latency           `json:"latency"`
	// ByOp splits the counts by opcode name (getData, setData ...).
	ByOp map[string]OpResult `json:"by_op"`
	// WarmupOps and LateOps are replies before the window opened and after
	// it closed (requests still in flight at its end); they are not counted
	// above.
	WarmupOps uint64 `json:"warmup_ops"`
	LateOps   uint64 `json:"late_ops"`

	// SetupSeconds is the time taken to create the key space (and
	// children); SetupNodes is how many nodes that was.
	SetupSeconds float64 `json:"setup_seconds"`
	SetupNodes   int     `json:"setup_nodes"`
	// SetupLatency is the latency of the creates of the setup (SetupDepth
	// in flight per session); its max shows the server's longest stall.
	SetupLatency Latency `json:"setup_latency"`
	// CleanupSeconds is the time taken to delete the subtree; CleanupErrors
	// counts deletes that failed other than with "no node".
	CleanupSeconds float64 `json:"cleanup_seconds"`
	CleanupErrors  uint64  `json:"cleanup_errors"`
	// Error is the error the run ended with, if any (the counts above are
	// then partial).
	Error string `json:"error,omitempty"`
}

// codeKey is how a code is named in ErrorsByCode: "no node (-101)".
func codeKey(c jute.Code) string { return fmt.Sprintf("%s (%d)", c, int32(c)) }

// fill computes the totals of r from the merged per-opcode stats.
func (r *Result) fill(byOp map[jute.OpCode]*opStats, window time.Duration) {
	var all Histogram
	r.ErrorsByCode = map[string]uint64{}
	r.ByOp = map[string]OpResult{}
	for op, o := range byOp {
		or := OpResult{Successes: o.ok, ErrorsByCode: map[string]uint64{}, Latency: summarize(&o.hist)}
		for c, n := range o.errs {
			or.Errors += n
			or.ErrorsByCode[codeKey(c)] += n
			r.ErrorsByCode[codeKey(c)] += n
		}
		or.Ops = or.Successes + or.Errors
		r.ByOp[op.String()] = or
		r.Ops += or.Ops
		r.Successes += or.Successes
		r.Errors += or.Errors
		all.Merge(&o.hist)
	}
	r.Latency = summarize(&all)
	if window > 0 {
		r.ThroughputOpsPerS = float64(r.Ops) / window.Seconds()
	}
}

// WriteJSON writes r as one indented JSON object.
func (r *Result) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes r for a person to read.
func (r *Result) WriteText(w io.Writer) error {
	var b strings.Builder
	wl := string(r.Workload)
	if r.Workload == WorkloadMixed {
		wl = fmt.Sprintf("mixed (%d%% reads)", r.ReadPercent)
	}
	fmt.Fprintf(&b, "workload    %s on %s\n", wl, strings.Join(r.Servers, ","))
	fmt.Fprintf(&b, "load        %d sessions x %d in flight, %d-byte payload, %d keys\n", r.Sessions, r.Depth, r.PayloadBytes, r.KeySpace)
	fmt.Fprintf(&b, "time        warmup %gs, measured %gs (setup %.1fs for %d nodes, cleanup %.1fs)\n",
		r.WarmupSeconds, r.DurationSeconds, r.SetupSeconds, r.SetupNodes, r.CleanupSeconds)
	fmt.Fprintf(&b, "ops         %d (%d ok, %d errors)\n", r.Ops, r.Successes, r.Errors)
	fmt.Fprintf(&b, "throughput  %.0f ops/s\n", r.ThroughputOpsPerS)
	fmt.Fprintf(&b, "latency     %s\n", latencyText(r.Latency))
	names := make([]string, 0, len(r.ByOp))
	for n := range r.ByOp {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) > 1 {
		for _, n := range names {
			o := r.ByOp[n]
			fmt.Fprintf(&b, "  %-9s %d ops, %s\n", n, o.Ops, latencyText(o.Latency))
		}
	}
	codes := make([]string, 0, len(r.ErrorsByCode))
	for c := range r.ErrorsByCode {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	for _, c := range codes {
		fmt.Fprintf(&b, "error       %s: %d\n", c, r.ErrorsByCode[c])
	}
	if r.CleanupErrors > 0 {
		fmt.Fprintf(&b, "cleanup     %d deletes failed\n", r.CleanupErrors)
	}
	if r.Error != "" {
		fmt.Fprintf(&b, "run error   %s\n", r.Error)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func latencyText(l Latency) string {
	ms := func(us float64) string { return fmt.Sprintf("%.3fms", us/1000) }
	return fmt.Sprintf("p50 %s  p99 %s  p99.9 %s  max %s  mean %s", ms(l.P50Us), ms(l.P99Us), ms(l.P999Us), ms(l.MaxUs), ms(l.MeanUs))
}
