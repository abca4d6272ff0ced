package difftest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestKazooShim runs scripts/kazoo-shim/java the way kazoo's harness runs
// java, with a stand-in zkmesh that prints its arguments and config, and
// checks what zkmesh would be started with; other java invocations must
// reach the real java unchanged.
func TestKazooShim(t *testing.T) {
	shim, err := filepath.Abs("../../scripts/kazoo-shim/java")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	fake := filepath.Join(dir, "fake-zkmesh")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\necho \"args: $*\"\ncat \"$3\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "zoo.cfg")
	if err := os.WriteFile(cfg, []byte("tickTime=2000\nclientPort=20000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	shimLog := filepath.Join(dir, "k.shim.log")
	run := func(args ...string) string {
		cmd := exec.Command(shim, args...)
		cmd.Env = append(os.Environ(), "ZKMESH_BIN="+fake, "ZKMESH_REAL_JAVA=/bin/echo", "KAZOO_SHIM_LOG="+shimLog)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("shim %v: %v\n%s", args, err, out)
		}
		return string(out)
	}

	out := run("-cp", "x.jar", "-Dfile.encoding=UTF-8", "-Dzookeeper.log.dir=/tmp/l",
		"-Dzookeeper.DigestAuthenticationProvider.superDigest=super:abc=",
		"org.apache.zookeeper.server.quorum.QuorumPeerMain", cfg)
	if out != "" {
		t.Fatalf("with KAZOO_SHIM_LOG set, zkmesh's output belongs in its log, got %q", out)
	}
	logs, _ := filepath.Glob(filepath.Join(dir, "k.zkmesh-*.log"))
	if len(logs) != 1 {
		t.Fatalf("zkmesh logs %v, want one", logs)
	}
	logged, err := os.ReadFile(logs[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"args: run --config " + filepath.Join(dir, "zoo.zkmesh.cfg"),
		"clientPort=20000\n",
		"DigestAuthenticationProvider.superDigest=super:abc=\n",
		"xds.address=127.0.0.1:20005\n",
	} {
		if !strings.Contains(string(logged), want) {
			t.Errorf("zkmesh run lacks %q:\n%s", want, logged)
		}
	}
	if strings.Contains(string(logged), "log.dir") {
		t.Errorf("logging properties leaked into zoo.cfg:\n%s", logged)
	}
	if n := strings.Count(readFile(t, shimLog), "\n"); n != 1 {
		t.Errorf("shim log has %d lines, want 1", n)
	}

	if out := run("-version"); strings.TrimSpace(out) != "-version" {
		t.Errorf("a non-server java call reached %q, want the real java with its arguments", out)
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
