package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/zkmesh/zkmesh/sidecar"
)

func call(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = dispatch(context.Background(), args, &env{stdout: &out, stderr: &errb})
	return code, out.String(), errb.String()
}

func TestUsageErrorsExit2(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{nil, "missing command"},
		{[]string{"serve"}, `unknown command "serve"`},
		{[]string{"run", "--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"run", "extra"}, `unexpected arguments ["extra"]`},
		{[]string{"run", "--client-addr", "2181"}, `--client-addr "2181": want HOST:PORT`},
		{[]string{"run", "--client-addr", ":2181"}, "want HOST:PORT"},
		{[]string{"run", "--config"}, "flag needs an argument"},
		{[]string{"version", "now"}, "unexpected arguments"},
		{[]string{"help", "serve"}, `unknown command "serve"`},
		{[]string{"help", "run", "version"}, "at most one"},
	}
	for _, tc := range cases {
		code, _, stderr := call(t, tc.args...)
		if code != exitUsage {
			t.Errorf("%q: exit %d, want %d", tc.args, code, exitUsage)
		}
		if !strings.Contains(stderr, tc.want) {
			t.Errorf("%q: stderr %q does not contain %q", tc.args, stderr, tc.want)
		}
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}} {
		code, stdout, _ := call(t, args...)
		if code != exitOK || !strings.Contains(stdout, "Usage: zkmesh <command>") {
			t.Errorf("%q: exit %d, stdout %q", args, code, stdout)
		}
		for _, c := range []string{"run", "version", "help"} {
			if !strings.Contains(stdout, "  "+c+" ") {
				t.Errorf("%q: help does not list %s", args, c)
			}
		}
	}
	code, stdout, _ := call(t, "help", "run")
	if code != exitOK || !strings.Contains(stdout, "Usage: zkmesh run [--config zoo.cfg]") {
		t.Errorf("help run: exit %d, %q", code, stdout)
	}
	code, _, stderr := call(t, "run", "-h")
	if code != exitOK {
		t.Errorf("run -h: exit %d", code)
	}
	for _, f := range []string{"-config", "-data-dir", "-client-addr", "-xds-addr", "-log-format", "-log-level", "override the config file"} {
		if !strings.Contains(stderr, f) {
			t.Errorf("run -h does not mention %s: %q", f, stderr)
		}
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		code, stdout, _ := call(t, args...)
		if code != exitOK {
			t.Fatalf("exit %d", code)
		}
		for _, want := range []string{"zkmesh " + sidecar.Version + "\n", "git commit: ", "go: go1.", "ZooKeeper 3.8 protocol", sidecar.FullVersion()} {
			if !strings.Contains(stdout, want) {
				t.Errorf("version output %q lacks %q", stdout, want)
			}
		}
	}
	old := sidecar.GitCommit
	defer func() { sidecar.GitCommit = old }()
	sidecar.GitCommit = "deadbeef"
	if _, stdout, _ := call(t, "version"); !strings.Contains(stdout, "git commit: deadbeef\n") {
		t.Errorf("embedded commit not printed: %q", stdout)
	}
}

func TestParseRunArgsOnlySetFlagsOverride(t *testing.T) {
	path, o, err := parseRunArgs([]string{"--config", "/etc/zk/zoo.cfg", "--log-level", "debug"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if path != "/etc/zk/zoo.cfg" || len(o) != 1 || o[0] != (sidecar.Override{Key: "log.level", Value: "debug", Origin: "flag --log-level"}) {
		t.Errorf("path %q overrides %+v", path, o)
	}
	_, o, err = parseRunArgs([]string{"-data-dir=d", "--client-addr=[::1]:3000", "--xds-addr", "127.0.0.1:9", "--log-format", "console"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"dataDir": "d", "clientPortAddress": "::1", "clientPort": "3000", "xds.address": "127.0.0.1:9", "log.format": "console"}
	if len(o) != len(want) {
		t.Fatalf("overrides %+v", o)
	}
	for _, x := range o {
		if want[x.Key] != x.Value || !strings.HasPrefix(x.Origin, "flag --") {
			t.Errorf("override %+v", x)
		}
	}
}

func TestStartupErrorsExit1NamingTheField(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "zoo.cfg")
	if err := os.WriteFile(cfg, []byte("dataDir="+dir+"\ntickTime=2000\nmaxSessionTimeout=10s\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"run", "--config", cfg}, []string{"maxSessionTimeout", `"10s"`, cfg + ":3"}},
		{[]string{"run", "--config", filepath.Join(dir, "absent.cfg")}, []string{"absent.cfg", "no such file"}},
		{[]string{"run", "--data-dir", dir, "--log-format", "xml"}, []string{"log.format", `"xml"`, "flag --log-format"}},
		{[]string{"run", "--data-dir", dir, "--client-addr", "127.0.0.1:99999"}, []string{"clientPort", "99999", "flag --client-addr"}},
		{[]string{"run", "--data-dir", dir, "--xds-addr", "nowhere"}, []string{"xds.address", "flag --xds-addr"}},
	}
	for _, tc := range cases {
		code, _, stderr := call(t, tc.args...)
		if code != exitFailure {
			t.Errorf("%q: exit %d, want %d (stderr %q)", tc.args, code, exitFailure, stderr)
		}
		for _, w := range tc.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("%q: stderr %q lacks %q", tc.args, stderr, w)
			}
		}
	}
}

// logLines collects JSON log records written by the command and signals
// when one with a given message arrives.
type logLines struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	records []map[string]any
	waiters map[string]chan map[string]any
}

func newLogLines() *logLines { return &logLines{waiters: map[string]chan map[string]any{}} }

// await returns a channel that receives the first record whose message is msg.
func (l *logLines) await(msg string) <-chan map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	ch := make(chan map[string]any, 1)
	for _, r := range l.records {
		if r["message"] == msg {
			ch <- r
			return ch
		}
	}
	l.waiters[msg] = ch
	return ch
}

func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	for {
		line, err := l.buf.ReadBytes('\n')
		if err != nil {
			l.buf.Write(line) // keep the partial line
			return len(p), nil
		}
		var r map[string]any
		if json.Unmarshal(line, &r) != nil {
			continue
		}
		l.records = append(l.records, r)
		if msg, _ := r["message"].(string); l.waiters[msg] != nil {
			l.waiters[msg] <- r
			delete(l.waiters, msg)
		}
	}
}

// has reports whether a record satisfying pred was logged.
func (l *logLines) has(pred func(map[string]any) bool) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, r := range l.records {
		if pred(r) {
			return true
		}
	}
	return false
}

func (l *logLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, _ := json.Marshal(l.records)
	return string(b)
}

// fourLetter sends word to addr and returns the whole answer.
func fourLetter(t *testing.T, addr, word string) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte(word)); err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

const startTimeout = 30 * time.Second

// TestRunServesAndStopsOnCancel runs `zkmesh run` in-process on a free
// loopback port, asks srvr and ruok, then cancels as SIGINT would.
func TestRunServesAndStopsOnCancel(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "zoo.cfg")
	if err := os.WriteFile(cfg, []byte("4lw.commands.whitelist=ruok\nlocalSessionsEnabled=false\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	logs := newLogLines()
	ready := logs.await("zkmesh ready")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- dispatch(ctx, []string{"run", "--config", cfg, "--data-dir", filepath.Join(dir, "data"),
			"--client-addr", "127.0.0.1:0", "--xds-addr", "127.0.0.1:0", "--log-format", "json"},
			&env{stdout: io.Discard, stderr: logs})
	}()
	var addr string
	select {
	case r := <-ready:
		addr, _ = r["client_addr"].(string)
	case code := <-done:
		t.Fatalf("run exited %d before serving; log %s", code, logs)
	case <-time.After(startTimeout):
		t.Fatalf("not ready after %v; log %s", startTimeout, logs)
	}
	if out := fourLetter(t, addr, "srvr"); !strings.Contains(out, "Mode: standalone\n") || !strings.HasPrefix(out, "Zookeeper version: 3.8.0-zkmesh-") {
		t.Errorf("srvr = %q", out)
	}
	if out := fourLetter(t, addr, "ruok"); out != "imok" {
		t.Errorf("ruok = %q", out)
	}
	if out := fourLetter(t, addr, "mntr"); out != "mntr is not executed because it is not in the whitelist.\n" {
		t.Errorf("mntr = %q", out)
	}
	started := <-logs.await("zkmesh starting")
	if started["mode"] != "standalone" || started["server_id"] != float64(1) {
		t.Errorf("starting record %v", started)
	}
	if !logs.has(func(r map[string]any) bool {
		msg, _ := r["message"].(string)
		return r["level"] == "warn" && strings.Contains(msg, "localSessionsEnabled")
	}) {
		t.Errorf("no warning for the ignored key localSessionsEnabled; log %s", logs)
	}
	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Fatalf("exit %d after cancel; log %s", code, logs)
		}
	case <-time.After(startTimeout):
		t.Fatalf("run did not return after cancel; log %s", logs)
	}
	<-logs.await("zkmesh stopped")
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Error("client port still accepts after shutdown")
	}
}

// TestBinarySIGTERM builds the command and checks that SIGTERM stops it
// cleanly with exit code 0, and that SIGINT does too.
func TestBinarySIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "zkmesh")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			cmd := exec.Command(bin, "run", "--data-dir", dir, "--client-addr", "127.0.0.1:0", "--xds-addr", "127.0.0.1:0", "--log-format", "json")
			stderr, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Kill()
			lines := make(chan map[string]any, 64)
			go func() {
				defer close(lines)
				sc := bufio.NewScanner(stderr)
				for sc.Scan() {
					var r map[string]any
					if json.Unmarshal(sc.Bytes(), &r) == nil {
						lines <- r
					}
				}
			}()
			waitFor := func(msg string) map[string]any {
				deadline := time.After(startTimeout)
				for {
					select {
					case r, ok := <-lines:
						if !ok {
							t.Fatalf("stderr closed before %q", msg)
						}
						if r["message"] == msg {
							return r
						}
					case <-deadline:
						t.Fatalf("no %q within %v", msg, startTimeout)
					}
				}
			}
			r := waitFor("zkmesh ready")
			addr, _ := r["client_addr"].(string)
			if out := fourLetter(t, addr, "srvr"); !strings.Contains(out, "Mode: standalone") {
				t.Errorf("srvr = %q", out)
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			waitFor("zkmesh stopped")
			for range lines {
			}
			if err := cmd.Wait(); err != nil {
				t.Fatalf("exit after %v: %v", sig, err)
			}
		})
	}
}

// TestRunPortInUseExits1 occupies a loopback port and checks that run
// fails with exit code 1 and a message naming clientPort.
func TestRunPortInUseExits1(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	logs := newLogLines()
	code := dispatch(context.Background(), []string{"run", "--data-dir", t.TempDir(), "--client-addr", l.Addr().String(),
		"--xds-addr", "127.0.0.1:0", "--log-format", "json"}, &env{stdout: io.Discard, stderr: logs})
	if code != exitFailure {
		t.Fatalf("exit %d, want %d; log %s", code, exitFailure, logs)
	}
	if !logs.has(func(r map[string]any) bool {
		e, _ := r["error"].(string)
		return r["level"] == "error" && strings.Contains(e, "clientPort") && strings.Contains(e, "address already in use")
	}) {
		t.Errorf("no error record naming clientPort; log %s", logs)
	}
}
