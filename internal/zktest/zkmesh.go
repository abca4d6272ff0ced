package zktest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// zkmeshBuild caches the one build of ./cmd/zkmesh per test binary.
var zkmeshBuild struct {
	once sync.Once
	path string
	skip string // non-empty: no main package yet
	err  error
}

// ZkmeshBinary returns the path of a zkmesh binary: $ZKMESH_BIN when set,
// otherwise ./cmd/zkmesh built with `go build` once per test binary into a
// temporary directory. It skips the test when cmd/zkmesh holds no Go files
// yet, and fails it when the build fails.
func ZkmeshBinary(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("ZKMESH_BIN"); p != "" {
		return p
	}
	b := &zkmeshBuild
	b.once.Do(func() { b.path, b.skip, b.err = buildZkmesh() })
	if b.skip != "" {
		t.Skipf("zktest: %s", b.skip)
	}
	if b.err != nil {
		t.Fatalf("zktest: %v", b.err)
	}
	return b.path
}

func buildZkmesh() (path, skip string, err error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", "", fmt.Errorf("not inside the zkmesh module")
	}
	root := filepath.Dir(mod)
	srcs, _ := filepath.Glob(filepath.Join(root, "cmd", "zkmesh", "*.go"))
	if len(srcs) == 0 {
		return "", "cmd/zkmesh has no Go files yet", nil
	}
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("zktest-zkmesh-%d", os.Getuid()))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", err
	}
	// Build to a private name and rename, so that concurrent test binaries
	// never run a half-written file.
	tmp := filepath.Join(dir, fmt.Sprintf("zkmesh.%d", os.Getpid()))
	cmd := exec.Command("go", "build", "-o", tmp, "./cmd/zkmesh")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", "", fmt.Errorf("go build ./cmd/zkmesh: %w\n%s", err, stderr.String())
	}
	path = filepath.Join(dir, "zkmesh")
	if err := os.Rename(tmp, path); err != nil {
		return "", "", err
	}
	return path, "", nil
}

// StartZkmesh starts `zkmesh run --config <zoo.cfg>` with o (the same zoo.cfg
// keys StartApacheZK writes, plus server.N lines for an ensemble) and returns
// member 1 once every member answers ruok and serves requests. Every member
// is killed when the test ends.
func StartZkmesh(t testing.TB, o Options) *Server {
	t.Helper()
	bin := ZkmeshBinary(t)
	return startEnsemble(t, KindZkmesh, o, func(id int, cfgPath, dir string) []string {
		return []string{bin, "run", "--config", cfgPath}
	})
}

// Start starts a server of the given kind.
func Start(t testing.TB, kind Kind, o Options) *Server {
	t.Helper()
	switch kind {
	case KindApache:
		return StartApacheZK(t, o)
	case KindZkmesh:
		return StartZkmesh(t, o)
	}
	t.Fatalf("zktest: unknown server kind %q", kind)
	return nil
}
