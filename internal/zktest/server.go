package zktest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Kind says which implementation a Server runs.
type Kind string

// The two server implementations.
const (
	KindApache Kind = "apache"
	KindZkmesh Kind = "zkmesh"
)

// ErrNotRunning is returned by Kill and Stop when the process has already
// ended.
var ErrNotRunning = errors.New("zktest: server not running")

// Server is one running server process (one member of an ensemble). Its
// methods may be called from any goroutine.
type Server struct {
	// Kind is the implementation.
	Kind Kind
	// ID is the member's myid (1 for a standalone server).
	ID int
	// Addr is the client address, 127.0.0.1:Port.
	Addr string
	// Port is the client port.
	Port int
	// DataDir is zoo.cfg's dataDir; it survives Kill and Restart.
	DataDir string
	// ConfigPath is the zoo.cfg the process was started with.
	ConfigPath string
	// LogPath receives the process's stdout and stderr.
	LogPath string
	// Members holds every member of the ensemble in myid order, this one
	// included; a standalone server's Members is just itself.
	Members []*Server

	t       testing.TB
	network *Network // nil unless Options.PartitionableLinks
	argv    []string
	timeout time.Duration
	xdsAddr string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has been waited for
}

// Hosts returns the comma-separated client addresses of every member, the
// connect string a client uses for the whole ensemble.
func (s *Server) Hosts() string {
	addrs := make([]string, len(s.Members))
	for i, m := range s.Members {
		addrs[i] = m.Addr
	}
	return strings.Join(addrs, ",")
}

// XDSAddr returns the xDS (ADS) address zoo.cfg gives this member
// (xds.address, 127.0.0.1:<port>), or "" for Apache ZooKeeper.
func (s *Server) XDSAddr() string { return s.xdsAddr }

// Network returns the peer network of the ensemble, through which a test
// cuts members off from each other, or nil unless it was started with
// Options.PartitionableLinks. Every member returns the same Network.
func (s *Server) Network() *Network { return s.network }

// FourLetter sends a four-letter word to this member's client port.
func (s *Server) FourLetter(cmd string) (string, error) { return FourLetter(s.Addr, cmd) }

// Running reports whether the process is alive.
func (s *Server) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done == nil {
		return false
	}
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

// start launches the process; the caller then waits for it to serve.
func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	logf, err := os.OpenFile(s.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(s.argv[0], s.argv[1:]...)
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.Dir = s.DataDir
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("zktest: start %s: %w", s.argv[0], err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(done)
	}()
	s.cmd, s.done = cmd, done
	return nil
}

// signal sends sig and waits up to grace for the process to end, then
// SIGKILLs it.
func (s *Server) signal(sig os.Signal, grace time.Duration) error {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.mu.Unlock()
	if cmd == nil {
		return ErrNotRunning
	}
	select {
	case <-done:
		return ErrNotRunning
	default:
	}
	_ = cmd.Process.Signal(sig)
	select {
	case <-done:
		return nil
	case <-time.After(grace):
	}
	_ = cmd.Process.Kill()
	<-done
	return nil
}

// Kill ends the process with SIGKILL (a crash: nothing is flushed) and
// waits for it to be gone.
func (s *Server) Kill() error { return s.signal(syscall.SIGKILL, 10*time.Second) }

// Stop asks the process to end with SIGTERM, waits up to 10 s, then kills it.
func (s *Server) Stop() error { return s.signal(syscall.SIGTERM, 10*time.Second) }

// Restart stops the process if it is running, starts it again with the same
// config and dataDir, and waits until it serves requests (for an ensemble
// member: until it has joined a quorum). It fails the test on error.
func (s *Server) Restart() {
	s.t.Helper()
	_ = s.Stop()
	if err := s.start(); err != nil {
		s.t.Fatalf("zktest: restart %s member %d: %v", s.Kind, s.ID, err)
	}
	if err := s.waitServing(s.timeout); err != nil {
		s.t.Fatalf("zktest: restart %s member %d: %v\n%s", s.Kind, s.ID, err, s.logTail())
	}
}

// WaitServing waits until the member answers ruok with imok and srvr says
// it serves requests (for an ensemble member: it leads or is synced with a
// leader), and fails with the last answer when the process exits or d
// passes.
func (s *Server) WaitServing(d time.Duration) error { return s.waitServing(d) }

// waitServing polls ruok and srvr until the member answers imok and says it
// serves requests, the process exits, or d passes.
func (s *Server) waitServing(d time.Duration) error {
	deadline := time.Now().Add(d)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var last string
	for {
		s.mu.Lock()
		done := s.done
		s.mu.Unlock()
		select {
		case <-done:
			return fmt.Errorf("process exited before serving (last answer %q)", last)
		case <-tick.C:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not serving after %v (last answer %q)", d, last)
		}
		out, err := s.FourLetter("ruok")
		if err != nil {
			last = err.Error()
			continue
		}
		if out != "imok" {
			last = out
			continue
		}
		out, err = s.FourLetter("srvr")
		if err != nil {
			last = err.Error()
			continue
		}
		last = out
		if strings.Contains(out, "Mode:") && !strings.Contains(out, "not currently serving") {
			return nil
		}
	}
}

// logTail returns the last lines of the process log, for failure messages.
func (s *Server) logTail() string {
	b, err := os.ReadFile(s.LogPath)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 40 {
		lines = lines[len(lines)-40:]
	}
	return fmt.Sprintf("--- last lines of %s ---\n%s", s.LogPath, strings.Join(lines, "\n"))
}

// startEnsemble starts every member, registers their cleanup, and waits
// until all serve. argvFor gives each member's command line.
func startEnsemble(t testing.TB, kind Kind, o Options, argvFor func(id int, cfgPath, dir string) []string) *Server {
	t.Helper()
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	ports := make([]memberPorts, o.Members)
	for i := range ports {
		ports[i] = memberPorts{client: FreePort(t)}
		if kind == KindZkmesh {
			ports[i].xds = FreePort(t)
		}
		if o.Members > 1 {
			ports[i].quorum = FreePort(t)
			ports[i].election = FreePort(t)
		}
	}
	var network *Network
	if o.PartitionableLinks {
		if kind != KindZkmesh {
			t.Fatalf("zktest: PartitionableLinks is not supported for %s servers", kind)
		}
		network = newNetwork(t, ports)
	}
	members := make([]*Server, o.Members)
	for i := range members {
		id := i + 1
		dir := fmt.Sprintf("%s/member%d", root, id)
		view := ports
		if network != nil {
			view = network.view(id, ports)
		}
		cfg, data, err := writeMember(dir, o, id, view, kind == KindZkmesh)
		if err != nil {
			t.Fatalf("zktest: write config: %v", err)
		}
		members[i] = &Server{
			Kind: kind, ID: id, Port: ports[i].client,
			Addr:    fmt.Sprintf("127.0.0.1:%d", ports[i].client),
			DataDir: data, ConfigPath: cfg, LogPath: dir + "/server.log",
			t: t, network: network, argv: argvFor(id, cfg, dir), timeout: o.StartTimeout,
		}
		if kind == KindZkmesh {
			members[i].xdsAddr = fmt.Sprintf("127.0.0.1:%d", ports[i].xds)
			if a, ok := o.Extra["xds.address"]; ok {
				members[i].xdsAddr = a
			}
		}
	}
	for _, m := range members {
		m.Members = members
	}
	for _, m := range members {
		m := m
		if err := m.start(); err != nil {
			t.Fatalf("zktest: %v", err)
		}
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("%s member %d (%s):\n%s", m.Kind, m.ID, m.Addr, m.logTail())
			}
			_ = m.Kill()
		})
	}
	var wg sync.WaitGroup
	errs := make([]error, len(members))
	for i, m := range members {
		wg.Add(1)
		go func(i int, m *Server) {
			defer wg.Done()
			errs[i] = m.waitServing(o.StartTimeout)
		}(i, m)
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("zktest: %s member %d: %v\n%s", kind, i+1, err, members[i].logTail())
		}
	}
	return members[0]
}

// oracleRequired reports whether a missing oracle must fail the test.
func oracleRequired() bool { return os.Getenv("ZKMESH_REQUIRE_ORACLE") == "1" }
