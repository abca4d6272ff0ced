package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/zkmesh/zkmesh/bench"
)

func init() {
	commands = append(commands, command{
		name:    "bench",
		args:    "[--servers HOST:PORT,...] [--workload create|set|get|exists|getChildren|mixed] [--read-percent N] [--sessions N] [--depth N] [--setup-depth N] [--payload BYTES] [--keys N] [--children N] [--warmup D] [--duration D] [--prefix PATH] [--json] [--keep]",
		summary: "load a ZooKeeper server (zkmesh or Apache) with pipelined requests and report throughput, latency and errors",
		run:     benchCommand,
	})
}

// parseBenchArgs turns the arguments of `zkmesh bench` into a bench.Config
// and the output format. The error wraps errUsage, or is flag.ErrHelp.
func parseBenchArgs(args []string, e *env) (cfg bench.Config, asJSON bool, err error) {
	cfg = bench.DefaultConfig()
	fs := flag.NewFlagSet("zkmesh bench", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	servers := fs.String("servers", strings.Join(cfg.Servers, ","), "comma-separated client addresses; session i uses server i mod n")
	workload := fs.String("workload", string(cfg.Workload), "create, set, get, exists, getChildren or mixed")
	fs.IntVar(&cfg.ReadPercent, "read-percent", cfg.ReadPercent, "share of gets in the mixed workload (the rest are sets), 0-100")
	fs.IntVar(&cfg.Sessions, "sessions", cfg.Sessions, "client sessions (one TCP connection each)")
	fs.IntVar(&cfg.Depth, "depth", cfg.Depth, "requests in flight per session")
	fs.IntVar(&cfg.SetupDepth, "setup-depth", cfg.SetupDepth, "requests in flight per session while filling the key space and cleaning up")
	fs.IntVar(&cfg.PayloadBytes, "payload", cfg.PayloadBytes, "bytes of data per create and set (and per key)")
	fs.IntVar(&cfg.KeySpace, "keys", cfg.KeySpace, "key nodes created before the run, read and set at random")
	fs.IntVar(&cfg.ChildrenPerKey, "children", cfg.ChildrenPerKey, "children per key for the getChildren workload")
	fs.DurationVar(&cfg.Warmup, "warmup", cfg.Warmup, "load sent before the measurement, not counted")
	fs.DurationVar(&cfg.Duration, "duration", cfg.Duration, "measurement window")
	fs.DurationVar(&cfg.DrainTimeout, "drain-timeout", cfg.DrainTimeout, "longest wait for a reply before the run gives up")
	fs.StringVar(&cfg.Prefix, "prefix", cfg.Prefix, "znode under which the run creates its nodes; must not exist; deleted afterwards")
	fs.BoolVar(&cfg.KeepData, "keep", false, "leave the nodes in place after the run")
	fs.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "seed of the key choice")
	fs.BoolVar(&asJSON, "json", false, "print the result as JSON instead of text")
	fs.Usage = func() {
		c, _ := lookup("bench")
		commandUsage(fs.Output(), c)
		fmt.Fprintln(fs.Output(), "\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return cfg, false, err
		}
		return cfg, false, fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() != 0 {
		return cfg, false, fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	cfg.Servers = nil
	for _, s := range strings.Split(*servers, ",") {
		if s = strings.TrimSpace(s); s != "" {
			cfg.Servers = append(cfg.Servers, s)
		}
	}
	if cfg.Workload, err = bench.ParseWorkload(*workload); err != nil {
		return cfg, false, fmt.Errorf("%w: --workload: %v", errUsage, err)
	}
	if err := cfg.Validate(); err != nil {
		return cfg, false, fmt.Errorf("%w: %v", errUsage, err)
	}
	return cfg, asJSON, nil
}

func benchCommand(ctx context.Context, e *env, args []string) int {
	cfg, asJSON, err := parseBenchArgs(args, e)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case err != nil:
		fmt.Fprintf(e.stderr, "zkmesh bench: %v\n", err)
		fmt.Fprintln(e.stderr, "Run 'zkmesh help bench' for usage.")
		return exitUsage
	}
	res, err := bench.Run(ctx, cfg, e.stderr)
	if res != nil {
		if asJSON {
			_ = res.WriteJSON(e.stdout)
		} else {
			_ = res.WriteText(e.stdout)
		}
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "zkmesh bench: %v\n", err)
		return exitFailure
	}
	return exitOK
}
