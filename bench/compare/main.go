package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// options are compare's command line.
type options struct {
	runs     int
	memory   bool
	znodes   int
	sessions int
	depth    int
	keys     int
	payload  int
	warmup   time.Duration
	// serverWarmup is unmeasured load sent to each server after it starts.
	serverWarmup time.Duration
	// fillDepth is the requests in flight per session while filling in
	// --memory mode.
	fillDepth int
	// drain bounds the wait for any one reply.
	drain     time.Duration
	duration  time.Duration
	jsonPath  string
	workDir   string
	keepDirs  bool
	setup     serverSetup
	jvmFlags  string
	onlyLoads string
}

func parseOptions(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.runs, "runs", 3, "runs per server; every figure is the median over the runs")
	fs.BoolVar(&o.memory, "memory", false, "memory mode: fill each server with --znodes znodes of --payload bytes and report its resident memory")
	fs.IntVar(&o.znodes, "znodes", 1_000_000, "znodes created in --memory mode")
	fs.IntVar(&o.fillDepth, "fill-depth", 64, "requests in flight per session while filling the tree in --memory mode")
	fs.IntVar(&o.sessions, "sessions", 4, "client sessions per load")
	fs.IntVar(&o.depth, "depth", 8, "requests in flight per session (the loaded runs keep sessions x depth in flight)")
	fs.IntVar(&o.keys, "keys", 10000, "key space of the set, get and mixed loads")
	fs.IntVar(&o.payload, "payload", 100, "bytes per znode")
	fs.DurationVar(&o.warmup, "warmup", 3*time.Second, "warmup per load (not measured)")
	fs.DurationVar(&o.serverWarmup, "server-warmup", 20*time.Second, "unmeasured create and mixed load sent to each server after it starts, so that Java's JIT has compiled the request path")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "measurement per load")
	fs.DurationVar(&o.drain, "drain-timeout", 5*time.Minute, "longest wait for a reply before a load fails (a server may stall while it writes a snapshot)")
	fs.StringVar(&o.jsonPath, "json", "", "also write the results as JSON to this file (- for stdout)")
	fs.StringVar(&o.workDir, "work-dir", "", "where the servers' data directories go (default: a new temporary directory)")
	fs.BoolVar(&o.keepDirs, "keep-dirs", false, "keep the data directories and server logs")
	fs.StringVar(&o.setup.zkmeshBin, "zkmesh-bin", "", "zkmesh binary (default: go build ./cmd/zkmesh)")
	fs.StringVar(&o.setup.java, "java", "java", "java executable for Apache ZooKeeper")
	fs.StringVar(&o.setup.zkJar, "zk-jar", "/usr/share/java/zookeeper.jar", "Apache ZooKeeper jar (its manifest carries the classpath)")
	fs.StringVar(&o.setup.zkConfDir, "zk-conf-dir", "/etc/zookeeper/conf", "put first on Apache's classpath, as Debian's zkServer.sh does")
	fs.StringVar(&o.jvmFlags, "jvm-flags", "", "extra JVM flags for Apache, space separated (default none: the JVM's defaults, as Debian's zkServer.sh runs it)")
	fs.IntVar(&o.setup.tickMs, "tick", 2000, "zoo.cfg tickTime for both servers")
	fs.DurationVar(&o.setup.startWait, "start-timeout", 60*time.Second, "longest wait for a server to serve")
	fs.StringVar(&o.onlyLoads, "loads", "", "comma-separated subset of loads to run (default all)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() != 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.drain <= 0 {
		return o, fmt.Errorf("--drain-timeout %v: want a positive duration", o.drain)
	}
	if o.runs < 1 {
		return o, fmt.Errorf("--runs %d: want at least 1", o.runs)
	}
	o.setup.jvmFlags = strings.Fields(o.jvmFlags)
	return o, nil
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	o, err := parseOptions(os.Args[1:], os.Stderr)
	if err != nil {
		if err == flag.ErrHelp {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "compare:", err)
		os.Exit(2)
	}
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	root := o.workDir
	if root == "" {
		d, err := os.MkdirTemp("", "zkmesh-compare-")
		if err != nil {
			return err
		}
		root = d
	} else if err := os.MkdirAll(root, 0o755); err != nil {
		return err
	}
	if !o.keepDirs {
		defer os.RemoveAll(root)
	}
	if o.setup.zkmeshBin == "" {
		bin, err := buildZkmesh(root)
		if err != nil {
			return err
		}
		o.setup.zkmeshBin = bin
	}
	rep := &report{
		Machine:  machine(),
		Versions: map[string]string{"apache": javaVersion(o.setup.java) + "; " + o.setup.zkJar, "zkmesh": zkmeshVersion(o.setup.zkmeshBin)},
		ZooCfg:   zooCfg(o.setup.tickMs, "<fresh>", 0),
		JVMFlags: o.jvmFlags,
		Runs:     o.runs,
		Command:  "go run ./bench/compare " + strings.Join(os.Args[1:], " "),
		Started:  time.Now().UTC().Format(time.RFC3339),
	}
	loads := standardLoads(o)
	var sel []load
	for _, l := range loads {
		if selected(&o, l.Name) {
			sel = append(sel, l)
		}
	}
	if len(sel) == 0 {
		return fmt.Errorf("--loads %q names none of the loads", o.onlyLoads)
	}
	loads = sel
	for r := 1; r <= o.runs; r++ {
		order := []Kind{kindApache, kindZkmesh}
		if r%2 == 0 {
			order = []Kind{kindZkmesh, kindApache}
		}
		for _, k := range order {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			var rec *runRecord
			var err error
			if o.memory {
				rec, err = memoryRun(ctx, &o, k, r, root)
			} else {
				rec, err = loadRun(ctx, &o, k, r, root)
			}
			if err != nil {
				return err
			}
			rep.Records = append(rep.Records, rec)
		}
	}
	if o.memory {
		rep.Table = memoryTable(rep.Records, o.znodes, o.payload)
	} else {
		rep.Table = loadTable(rep.Records, loads)
	}
	rep.Finished = time.Now().UTC().Format(time.RFC3339)
	writeTable(os.Stdout, rep)
	if o.jsonPath != "" {
		w := io.Writer(os.Stdout)
		if o.jsonPath != "-" {
			f, err := os.Create(o.jsonPath)
			if err != nil {
				return err
			}
			defer f.Close()
			w = f
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	}
	return nil
}

// buildZkmesh builds ./cmd/zkmesh of the module the command runs in.
func buildZkmesh(dir string) (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("not inside the zkmesh module; pass --zkmesh-bin")
	}
	bin := filepath.Join(dir, "zkmesh")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/zkmesh")
	cmd.Dir = filepath.Dir(mod)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build ./cmd/zkmesh: %w", err)
	}
	return bin, nil
}

func javaVersion(java string) string {
	out, err := exec.Command(java, "-version").CombinedOutput()
	if err != nil {
		return "java: " + err.Error()
	}
	return strings.SplitN(strings.TrimSpace(string(out)), "\n", 2)[0]
}

func zkmeshVersion(bin string) string {
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		return "zkmesh: " + err.Error()
	}
	return strings.Join(strings.Fields(string(out)), " ")
}

func machine() string {
	model := ""
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	return fmt.Sprintf("%d CPUs (%s), %s/%s, %s", runtime.NumCPU(), model, runtime.GOOS, runtime.GOARCH, runtime.Version())
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// say prints a progress line on stderr.
func say(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}
