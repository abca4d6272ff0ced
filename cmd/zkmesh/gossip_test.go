package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zkmesh/zkmesh/discovery"
	"github.com/zkmesh/zkmesh/internal/zktest"
	"github.com/zkmesh/zkmesh/sidecar"
)

// These tests run real zkmesh processes on loopback that find each other by
// gossip (gossip.timing=fast), and read the fleet with `zkmesh members`
// from their admin servers.

var testBinary struct {
	once sync.Once
	path string
	err  error
}

// zkmeshBin builds the command once per test binary.
func zkmeshBin(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary and runs processes")
	}
	b := &testBinary
	b.once.Do(func() {
		dir, err := os.MkdirTemp("", "zkmesh-gossip-test")
		if err != nil {
			b.err = err
			return
		}
		b.path = filepath.Join(dir, "zkmesh")
		if out, err := exec.Command("go", "build", "-o", b.path, ".").CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

// tcpFreePort returns a free port on 127.0.0.1 (see zktest.FreePort).
func tcpFreePort(t *testing.T) int { return zktest.FreePort(t) }

// proc is one zkmesh process and its JSON log.
type proc struct {
	name string
	cfg  string
	cmd  *exec.Cmd
	logs *logLines
	done chan struct{} // closed when the process has exited
	// From the "zkmesh ready" record.
	client, gossip, admin string
}

// startProc runs `zkmesh run --config cfg` and waits for it to be ready.
func startProc(t *testing.T, bin, name, cfg string) *proc {
	t.Helper()
	p := &proc{name: name, cfg: cfg, logs: newLogLines(), done: make(chan struct{})}
	p.cmd = exec.Command(bin, "run", "--config", cfg, "--log-format", "json")
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	ready := p.logs.await("zkmesh ready")
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			p.logs.Write(append(sc.Bytes(), '\n'))
		}
		p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() { p.kill() })
	select {
	case r := <-ready:
		p.client, _ = r["client_addr"].(string)
		p.gossip, _ = r["gossip_addr"].(string)
		p.admin, _ = r["admin_addr"].(string)
	case <-p.done:
		t.Fatalf("%s exited before ready; log %s", name, p.logs)
	case <-time.After(startTimeout):
		t.Fatalf("%s not ready after %v; log %s", name, startTimeout, p.logs)
	}
	if p.gossip == "" || p.admin == "" {
		t.Fatalf("%s: ready record without gossip or admin address; log %s", name, p.logs)
	}
	return p
}

// kill sends SIGKILL (no gossip leave) and waits for the process to exit.
func (p *proc) kill() {
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// waitLog waits until p logged a record satisfying pred.
func (p *proc) waitLog(t *testing.T, what string, d time.Duration, pred func(map[string]any) bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !p.logs.has(pred) {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not log %s within %v; log %s", p.name, what, d, p.logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// members runs `zkmesh members --admin <p's admin> --json` and decodes it.
func (p *proc) members(t *testing.T) sidecar.MembersReport {
	t.Helper()
	code, stdout, stderr := call(t, "members", "--admin", p.admin, "--json")
	if code != exitOK {
		t.Fatalf("zkmesh members --admin %s (%s): exit %d: %s", p.admin, p.name, code, stderr)
	}
	var r sidecar.MembersReport
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("members --json: %v: %s", err, stdout)
	}
	return r
}

// waitMember polls p's members until the member named name is in state
// (absent counts as state "") and returns how long that took.
func (p *proc) waitMember(t *testing.T, name, state string, d time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		r := p.members(t)
		got := ""
		for _, m := range r.Members {
			if m.Name == name {
				got = m.State
			}
		}
		if got == state {
			return time.Since(start)
		}
		if time.Since(start) > d {
			t.Fatalf("%s: member %s is %q, not %q, after %v: %+v", p.name, name, got, state, d, r.Members)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func msgIs(msg string, fields map[string]any) func(map[string]any) bool {
	return func(r map[string]any) bool {
		if r["message"] != msg {
			return false
		}
		for k, v := range fields {
			if r[k] != v {
				return false
			}
		}
		return true
	}
}

// TestGossipProcesses: three voters find each other by gossip; one killed
// with SIGKILL is seen dead by the others within FastTiming's bound and
// alive again once restarted; a member with a conflicting server id is
// refused and both sides log it; `zkmesh members` shows the fleet.
func TestGossipProcesses(t *testing.T) {
	bin := zkmeshBin(t)
	const n = 3
	var servers, gossipSeeds []string
	gossipPorts := make([]int, n)
	for i := 0; i < n; i++ {
		servers = append(servers, fmt.Sprintf("server.%d=127.0.0.1:%d:%d", i+1, tcpFreePort(t), tcpFreePort(t)))
		gossipPorts[i] = tcpFreePort(t)
		gossipSeeds = append(gossipSeeds, fmt.Sprintf("127.0.0.1:%d", gossipPorts[i]))
	}
	root := t.TempDir()
	cfgs := make([]string, n)
	for i := 0; i < n; i++ {
		dir := filepath.Join(root, fmt.Sprintf("m%d", i+1))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "myid"), []byte(fmt.Sprintf("%d\n", i+1)), 0o644); err != nil {
			t.Fatal(err)
		}
		text := strings.Join(append([]string{
			"tickTime=200", "initLimit=10", "syncLimit=5",
			"dataDir=" + dir,
			fmt.Sprintf("clientPort=%d", tcpFreePort(t)), "clientPortAddress=127.0.0.1",
			"standaloneEnabled=false",
			"xds.address=127.0.0.1:0",
			fmt.Sprintf("gossip.address=127.0.0.1:%d", gossipPorts[i]),
			"gossip.seeds=" + strings.Join(gossipSeeds, ","),
			"gossip.timing=fast",
			fmt.Sprintf("gossip.name=m%d", i+1),
			fmt.Sprintf("zone=zone-%d", i+1),
			"admin.serverPort=0",
			"4lw.commands.whitelist=mntr",
		}, servers...), "\n") + "\n"
		cfgs[i] = filepath.Join(dir, "zoo.cfg")
		if err := os.WriteFile(cfgs[i], []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ps := make([]*proc, n)
	for i := range ps {
		ps[i] = startProc(t, bin, fmt.Sprintf("m%d", i+1), cfgs[i])
	}
	for _, p := range ps {
		for i := 0; i < n; i++ {
			p.waitMember(t, fmt.Sprintf("m%d", i+1), "alive", startTimeout)
		}
	}
	r := ps[0].members(t)
	for i, m := range r.Members {
		if m.ServerID != uint64(i+1) || m.Role != "voter" || m.Zone != fmt.Sprintf("zone-%d", i+1) || m.ClientAddr != ps[i].client {
			t.Errorf("m1 lists %+v", m)
		}
	}

	// The table.
	deadline := time.Now().Add(startTimeout)
	for {
		code, out, stderr := call(t, "members", "--admin", ps[0].admin)
		if code != exitOK {
			t.Fatalf("zkmesh members: exit %d: %s", code, stderr)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		ok := len(lines) == n+1 && strings.Fields(lines[0])[0] == "ID" && strings.Count(out, " leader ") == 1
		for i := 1; ok && i < len(lines); i++ {
			f := strings.Fields(lines[i])
			want := []string{fmt.Sprint(i), fmt.Sprintf("m%d", i), "", "alive", fmt.Sprintf("zone-%d", i)}
			if i == 1 {
				want[1] += "*"
			}
			ok = len(f) == 9 && f[0] == want[0] && f[1] == want[1] && f[3] == want[3] && f[4] == want[4] &&
				(f[2] == "voter" || f[2] == "leader") && f[7] == ps[i-1].client
		}
		if ok {
			t.Logf("zkmesh members:\n%s", out)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("zkmesh members table:\n%s", out)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if out := mntrServing(t, ps[1].client); !strings.Contains(out, "zk_gossip_alive\t3\n") {
		t.Errorf("mntr of m2 lacks zk_gossip_alive 3:\n%s", out)
	}

	// SIGKILL m3: no leave; the others detect it.
	bound := discovery.FastTiming().DeadDetectionBound(n)
	ps[2].kill()
	killed := time.Now()
	var wg sync.WaitGroup
	took := make([]time.Duration, 2)
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				r := ps[i].members(t)
				for _, m := range r.Members {
					if m.Name == "m3" && m.State == "dead" {
						took[i] = time.Since(killed)
						return
					}
				}
				if time.Since(killed) > 3*bound {
					t.Errorf("m%d does not see m3 dead %v after SIGKILL", i+1, time.Since(killed))
					return
				}
				time.Sleep(20 * time.Millisecond)
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	t.Logf("m3 seen dead by m1 after %v, by m2 after %v (bound %v)", took[0], took[1], bound)
	for i, d := range took {
		if d > bound {
			t.Errorf("m%d saw m3 dead after %v, above FastTiming's bound %v", i+1, d, bound)
		}
		ps[i].waitLog(t, "m3 dead", time.Second, msgIs("gossip member dead", map[string]any{"member": "m3"}))
	}

	// A write while m3 is down.
	zc, _, err := zk.Connect([]string{ps[0].client}, 4*time.Second, zk.WithLogInfo(false), zk.WithLogger(quietLogger{}))
	if err != nil {
		t.Fatal(err)
	}
	defer zc.Close()
	if _, err := zc.Create("/while-m3-dead", nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	_, st, err := zc.Get("/while-m3-dead")
	if err != nil {
		t.Fatal(err)
	}

	// Restarted, m3 rejoins through its seeds and is alive for everyone,
	// and its advertised zxid catches up with the write it missed.
	ps[2] = startProc(t, bin, "m3", cfgs[2])
	for _, p := range ps {
		d := p.waitMember(t, "m3", "alive", startTimeout)
		t.Logf("%s sees m3 alive %v after its restart was ready", p.name, d)
	}
	for i := 0; i < 2; i++ {
		ps[2].waitMember(t, fmt.Sprintf("m%d", i+1), "alive", startTimeout)
		ps[i].waitLog(t, "m3 alive again", time.Second, msgIs("gossip member alive again", map[string]any{"member": "m3", "was": "dead"}))
	}
	deadline = time.Now().Add(startTimeout)
	for {
		r := ps[0].members(t)
		if m := r.Members[2]; m.Name == "m3" && m.Zxid >= st.Mzxid && m.Lag == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("m1 does not see m3 caught up with zxid %#x: %+v", st.Mzxid, r.Members)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// A standalone member with server id 1 (one server line and myid 1: a
	// copied configuration) joining through m2 conflicts with m1: it is
	// refused, and both sides log it.
	dir := filepath.Join(root, "intruder")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "myid"), []byte("1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(root, "intruder.cfg")
	text := "dataDir=" + dir + "\nclientPort=0\nxds.address=127.0.0.1:0\ngossip.address=127.0.0.1:0\ngossip.timing=fast\n" +
		"gossip.name=intruder\nadmin.serverPort=0\ngossip.seeds=" + gossipSeeds[1] + "\n" +
		fmt.Sprintf("server.1=127.0.0.1:%d:%d\n", tcpFreePort(t), tcpFreePort(t))
	if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	intruder := startProc(t, bin, "intruder", cfg)
	intruder.waitLog(t, "its join refused", startTimeout, func(r map[string]any) bool {
		msg, _ := r["message"].(string)
		return r["level"] == "error" && strings.HasPrefix(msg, "gossip join refused: another live member holds this server id") &&
			r["server_id"] == float64(1)
	})
	ps[1].waitLog(t, "the intruder refused", startTimeout, func(r map[string]any) bool {
		msg, _ := r["message"].(string)
		return r["level"] == "error" && strings.HasPrefix(msg, "gossip refused a member") && r["member"] == "intruder" &&
			r["server_id"] == float64(1)
	})
	for _, p := range ps {
		for _, m := range p.members(t).Members {
			if m.Name == "intruder" {
				t.Errorf("%s lists the intruder: %+v", p.name, m)
			}
		}
	}
	if ms := intruder.members(t).Members; len(ms) != 1 || !ms[0].Local {
		t.Errorf("the intruder lists %+v, want itself only", ms)
	}
	if out := mntrServing(t, ps[1].client); !strings.Contains(out, "zk_gossip_refused\t") || strings.Contains(out, "zk_gossip_refused\t0\n") {
		t.Errorf("mntr of m2 counts no refusal:\n%s", out)
	}
}

// TestMembersCommandErrors: bad arguments exit 2, an unreachable admin
// server or one without gossip exit 1 with a reason.
func TestMembersCommandErrors(t *testing.T) {
	if code, _, stderr := call(t, "members", "--admin", "nohost"); code != exitUsage || !strings.Contains(stderr, "want HOST:PORT") {
		t.Errorf("bad --admin: exit %d %q", code, stderr)
	}
	if code, _, _ := call(t, "members", "extra"); code != exitUsage {
		t.Errorf("extra argument: exit %d", code)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	if code, _, stderr := call(t, "members", "--admin", addr, "--timeout", "2s"); code != exitFailure || !strings.Contains(stderr, "admin server") {
		t.Errorf("nothing listening: exit %d %q", code, stderr)
	}

	// A running server with the admin server on and no gossip.
	dir := t.TempDir()
	logs := newLogLines()
	ready := logs.await("zkmesh ready")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	cfg := filepath.Join(dir, "zoo.cfg")
	if err := os.WriteFile(cfg, []byte("admin.enableServer=true\nadmin.serverPort=0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	go func() {
		done <- dispatch(ctx, []string{"run", "--config", cfg, "--data-dir", filepath.Join(dir, "data"), "--client-addr", "127.0.0.1:0",
			"--xds-addr", "127.0.0.1:0", "--log-format", "json"}, &env{stdout: os.Stderr, stderr: logs})
	}()
	defer func() { cancel(); <-done }()
	var admin string
	select {
	case r := <-ready:
		admin, _ = r["admin_addr"].(string)
	case <-time.After(startTimeout):
		t.Fatalf("not ready; log %s", logs)
	}
	if code, _, stderr := call(t, "members", "--admin", admin); code != exitFailure || !strings.Contains(stderr, "runs no gossip") {
		t.Errorf("no gossip: exit %d %q", code, stderr)
	}
}

// TestRunGossipFlags: the gossip flags reach the configuration, and a bad
// value is a startup error naming the key and the flag.
func TestRunGossipFlags(t *testing.T) {
	_, o, err := parseRunArgs([]string{"--gossip-addr", "127.0.0.1:7000", "--join", "10.0.0.1:7946,10.0.0.2:7946",
		"--gossip-key-file", "/k", "--zone", "z1", "--region", "r1"}, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"gossip.address": "127.0.0.1:7000", "gossip.seeds": "10.0.0.1:7946,10.0.0.2:7946",
		"gossip.keyFile": "/k", "zone": "z1", "region": "r1"}
	if len(o) != len(want) {
		t.Fatalf("overrides %+v", o)
	}
	for _, x := range o {
		if want[x.Key] != x.Value || !strings.HasPrefix(x.Origin, "flag --") {
			t.Errorf("override %+v", x)
		}
	}
	dir := t.TempDir()
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"--gossip-addr", "localhost:7946"}, []string{"gossip.address", "flag --gossip-addr", "literal IP"}},
		{[]string{"--join", "10.0.0.1"}, []string{"gossip.seeds", "flag --join", "host:port"}},
		{[]string{"--join", "127.0.0.1:1", "--gossip-key-file", filepath.Join(dir, "absent")}, []string{"gossip.keyFile", "flag --gossip-key-file"}},
		{[]string{"--zone", strings.Repeat("z", 100)}, []string{"zone", "flag --zone", "64 bytes"}},
	}
	for _, tc := range cases {
		args := append([]string{"run", "--data-dir", dir, "--client-addr", "127.0.0.1:0", "--xds-addr", "127.0.0.1:0"}, tc.args...)
		code, _, stderr := call(t, args...)
		if code != exitFailure {
			t.Errorf("%q: exit %d, want %d (%q)", tc.args, code, exitFailure, stderr)
		}
		for _, w := range tc.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("%q: stderr %q lacks %q", tc.args, stderr, w)
			}
		}
	}
}

type quietLogger struct{}

func (quietLogger) Printf(string, ...any) {}

// mntrServing asks mntr until the member serves (a loaded machine may cost
// a member its leader for a moment) and returns the answer.
func mntrServing(t *testing.T, addr string) string {
	t.Helper()
	out := fourLetter(t, addr, "mntr")
	for end := time.Now().Add(startTimeout); strings.Contains(out, "not currently serving") && time.Now().Before(end); {
		time.Sleep(20 * time.Millisecond)
		out = fourLetter(t, addr, "mntr")
	}
	return out
}
