package multihost

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/zkmesh/zkmesh/internal/zktest"
	"github.com/zkmesh/zkmesh/sidecar"
)

// The ports every member uses on its own host's address: one member per
// host, so ZooKeeper's and zkmesh's defaults do not collide.
const (
	ClientPort   = 2181
	PeerPort     = 2888
	ElectionPort = 3888
	GossipPort   = 7946
	AdminPort    = 8080
	XDSPort      = 18000
)

// BinaryEnv names a prebuilt zkmesh binary to use instead of building one.
const BinaryEnv = "ZKMESH_BIN"

var build struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// Binary returns the zkmesh binary: $ZKMESH_BIN when set, else
// ./cmd/zkmesh built once per test binary, statically (CGO_ENABLED=0), into
// a private temporary directory that RemoveBinary deletes.
func Binary(t testing.TB) string {
	t.Helper()
	if p := os.Getenv(BinaryEnv); p != "" {
		return p
	}
	b := &build
	b.once.Do(func() {
		out, err := exec.Command("go", "env", "GOMOD").Output()
		if err != nil {
			b.err = fmt.Errorf("go env GOMOD: %w", err)
			return
		}
		mod := strings.TrimSpace(string(out))
		if mod == "" || mod == os.DevNull {
			b.err = errors.New("not inside the zkmesh module")
			return
		}
		if b.dir, b.err = os.MkdirTemp("", "zkmesh-multihost-bin-"); b.err != nil {
			return
		}
		b.path = filepath.Join(b.dir, "zkmesh")
		cmd := exec.Command("go", "build", "-o", b.path, "./cmd/zkmesh")
		cmd.Dir = filepath.Dir(mod)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go build ./cmd/zkmesh: %w\n%s", err, out)
		}
	})
	if b.err != nil {
		t.Fatalf("multihost: %v", b.err)
	}
	return b.path
}

// RemoveBinary deletes the binary Binary built, if any. TestMain calls it
// after the tests.
func RemoveBinary() {
	if build.dir != "" {
		os.RemoveAll(build.dir)
	}
}

// Member is one `zkmesh run` process on a Host, with its zoo.cfg and data
// directory (which survive Kill and Start). Its methods may be called from
// any goroutine.
type Member struct {
	// Name is the member's gossip name.
	Name string
	// Host is where it runs.
	Host *Host
	// DataDir is zoo.cfg's dataDir; ConfigPath the zoo.cfg; LogPath
	// receives the process's output (JSON log lines).
	DataDir, ConfigPath, LogPath string

	t    testing.TB
	bin  string
	argv []string

	mu        sync.Mutex
	cmd       *exec.Cmd
	done      chan struct{} // closed once cmd has been waited for
	startedAt time.Time
}

// NewMember writes the zoo.cfg of a member named name on h from lines
// (dataDir is added) and, when myid > 0, dataDir/myid. The process, once
// started, runs `zkmesh run --config <zoo.cfg> --log-format json <args>`
// inside h's namespace. It is killed when t ends; if t failed, the end of
// its log is printed.
func NewMember(t testing.TB, h *Host, name string, myid int, lines []string, args ...string) *Member {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	m := &Member{Name: name, Host: h, t: t, bin: Binary(t),
		DataDir: filepath.Join(dir, "data"), ConfigPath: filepath.Join(dir, "zoo.cfg"), LogPath: filepath.Join(dir, "zkmesh.log")}
	if err := os.MkdirAll(m.DataDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if myid > 0 {
		if err := os.WriteFile(filepath.Join(m.DataDir, "myid"), []byte(fmt.Sprintf("%d\n", myid)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	text := strings.Join(append([]string{"dataDir=" + m.DataDir}, lines...), "\n") + "\n"
	if err := os.WriteFile(m.ConfigPath, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	m.argv = append([]string{"netns", "exec", h.NS, m.bin, "run", "--config", m.ConfigPath, "--log-format", "json"}, args...)
	t.Cleanup(func() {
		m.Kill()
		if t.Failed() {
			t.Logf("member %s (%s):\n%s", m.Name, m.Host.IP, m.LogTail(60))
		}
	})
	return m
}

// BaseConfig returns the zoo.cfg lines every member of a test fleet has:
// every address on h's own IP with the default ports, a 200 ms tick,
// read-only mode and reconfiguration on, gossip with fast timing, the admin
// server on, and every four-letter word allowed.
func BaseConfig(h *Host, name string) []string {
	return []string{
		"tickTime=200", "initLimit=10", "syncLimit=5",
		fmt.Sprintf("clientPort=%d", ClientPort), "clientPortAddress=" + h.IP,
		"readonlymode.enabled=true",
		"reconfigEnabled=true",
		"4lw.commands.whitelist=*",
		"xds.address=" + h.Addr(XDSPort),
		"gossip.address=" + h.Addr(GossipPort),
		"gossip.timing=fast",
		"gossip.name=" + name,
		"admin.enableServer=true",
		"admin.serverAddress=" + h.IP, fmt.Sprintf("admin.serverPort=%d", AdminPort),
	}
}

// VoterConfig returns the zoo.cfg lines of a voter on h: BaseConfig, the
// server lines of voters (server.i is voters[i-1]) and gossip.seeds.
func VoterConfig(h *Host, name string, voters []*Host, seed string) []string {
	lines := append(BaseConfig(h, name), "standaloneEnabled=false", "gossip.seeds="+seed)
	for i, v := range voters {
		lines = append(lines, fmt.Sprintf("server.%d=%s:%d:%d:participant", i+1, v.IP, PeerPort, ElectionPort))
	}
	return lines
}

// JoinerConfig returns the zoo.cfg lines of a member on h that joins
// through gossip as an observer: BaseConfig with its peer and election
// addresses on h's IP, no server lines and no seeds (they come from --join).
func JoinerConfig(h *Host, name string) []string {
	return append(BaseConfig(h, name), "join.peerAddress="+h.Addr(PeerPort), "join.electionAddress="+h.Addr(ElectionPort))
}

// ClientAddr returns the member's ZooKeeper client address.
func (m *Member) ClientAddr() string { return m.Host.Addr(ClientPort) }

// AdminAddr returns the member's admin HTTP address.
func (m *Member) AdminAddr() string { return m.Host.Addr(AdminPort) }

// GossipAddr returns the member's gossip address.
func (m *Member) GossipAddr() string { return m.Host.Addr(GossipPort) }

// Start launches the process and returns when it was started; it fails t
// if the process cannot start or is already running. The process gets
// SIGKILL if the test binary dies.
func (m *Member) Start() time.Time {
	m.t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.done != nil {
		select {
		case <-m.done:
		default:
			m.t.Fatalf("multihost: member %s is already running", m.Name)
		}
	}
	logf, err := os.OpenFile(m.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		m.t.Fatal(err)
	}
	// `ip netns exec` enters the namespace and execs zkmesh in the same
	// process, so the death signal reaches zkmesh.
	cmd := exec.Command("ip", m.argv...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Dir = m.DataDir
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		m.t.Fatalf("multihost: starting member %s: %v", m.Name, err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(done)
	}()
	m.cmd, m.done, m.startedAt = cmd, done, time.Now()
	return m.startedAt
}

// Running reports whether the process is alive.
func (m *Member) Running() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.done == nil {
		return false
	}
	select {
	case <-m.done:
		return false
	default:
		return true
	}
}

// Kill sends SIGKILL (a crash: no gossip leave, nothing flushed) and waits
// for the process to be gone. It does nothing if the process is not running.
func (m *Member) Kill() {
	m.mu.Lock()
	cmd, done := m.cmd, m.done
	m.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-done
}

// Exited returns a channel closed when the process has ended (nil before
// the first Start).
func (m *Member) Exited() <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.done
}

// FourLetter sends a four-letter word to the member's client port.
func (m *Member) FourLetter(cmd string) (string, error) {
	return zktest.FourLetter(m.ClientAddr(), cmd)
}

// Mode returns what srvr says after "Mode: " (leader, follower, observer,
// read-only …), or "" when the member does not serve or does not answer.
func (m *Member) Mode() string {
	out, err := m.FourLetter("srvr")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, "Mode: "); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// WaitServing polls ruok and srvr until the member says it serves requests
// (it leads or is synced with a leader) and fails t when the process exits
// or d passes.
func (m *Member) WaitServing(d time.Duration) time.Duration {
	m.t.Helper()
	start := time.Now()
	var last string
	for {
		select {
		case <-m.Exited():
			m.t.Fatalf("multihost: member %s exited before serving (last answer %q)\n%s", m.Name, last, m.LogTail(40))
		default:
		}
		out, err := m.FourLetter("srvr")
		if err == nil && strings.Contains(out, "Mode: ") && !strings.Contains(out, "not currently serving") &&
			!strings.Contains(out, "Mode: read-only") {
			return time.Since(start)
		}
		if err != nil {
			last = err.Error()
		} else {
			last = out
		}
		if time.Since(start) > d {
			m.t.Fatalf("multihost: member %s not serving after %v (last answer %q)\n%s", m.Name, d, last, m.LogTail(40))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// ServerID returns the member's server id: dataDir/myid, else the id it
// took when it joined (dataDir/observer.id); 0 when neither exists yet.
func (m *Member) ServerID() int {
	for _, name := range []string{"myid", "observer.id"} {
		b, err := os.ReadFile(filepath.Join(m.DataDir, name))
		if err == nil {
			id, _ := strconv.Atoi(strings.TrimSpace(string(b)))
			return id
		}
	}
	return 0
}

// Members asks the member's admin server for the fleet as it sees it (GET
// /commands/members, what `zkmesh members` prints).
func (m *Member) Members() (sidecar.MembersReport, error) {
	var r sidecar.MembersReport
	c := http.Client{Timeout: 3 * time.Second}
	resp, err := c.Get("http://" + m.AdminAddr() + "/commands/members")
	if err != nil {
		return r, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return r, err
	}
	if resp.StatusCode != http.StatusOK {
		return r, fmt.Errorf("GET /commands/members of %s: %s: %s", m.Name, resp.Status, body)
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return r, fmt.Errorf("GET /commands/members of %s: %w: %s", m.Name, err, body)
	}
	return r, nil
}

// MembersTable runs `zkmesh members --admin <admin>` from the test
// process, as an operator would, and returns the table it prints.
func (m *Member) MembersTable() (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, m.bin, "members", "--admin", m.AdminAddr(), "--timeout", "3s")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("zkmesh members --admin %s: %w: %s", m.AdminAddr(), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// LogTail returns the last n lines of the member's log.
func (m *Member) LogTail(n int) string {
	b, err := os.ReadFile(m.LogPath)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return fmt.Sprintf("--- last lines of %s ---\n%s", m.LogPath, strings.Join(lines, "\n"))
}
