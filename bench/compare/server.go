package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Kind names a server implementation.
type Kind string

const (
	kindApache Kind = "apache"
	kindZkmesh Kind = "zkmesh"
)

// serverSetup says how to start each implementation.
type serverSetup struct {
	zkmeshBin string
	java      string
	zkJar     string
	zkConfDir string
	jvmFlags  []string
	tickMs    int
	startWait time.Duration
}

// server is one running server process on a fresh data directory.
type server struct {
	kind    Kind
	addr    string
	dir     string
	logPath string
	cmd     *exec.Cmd
	done    chan struct{}
}

// zooCfg is the zoo.cfg both servers are started from; only dataDir and
// clientPort differ between starts. forceSync=yes is ZooKeeper's default,
// written out so that nobody wonders; zkmesh always fsyncs. Keys one server
// does not know are harmless to the other: Apache keeps xds.address as a
// system property nobody reads, zkmesh warns about admin.enableServer and
// forceSync and ignores them.
func zooCfg(tickMs int, dataDir string, port int) string {
	return fmt.Sprintf(`tickTime=%d
initLimit=10
syncLimit=5
dataDir=%s
clientPort=%d
clientPortAddress=127.0.0.1
maxClientCnxns=0
forceSync=yes
4lw.commands.whitelist=*
admin.enableServer=false
xds.address=127.0.0.1:0
`, tickMs, dataDir, port)
}

// log4jProps sends Apache's log to the console (the server's log file), at
// INFO as Debian's default configuration does.
const log4jProps = `log4j.rootLogger=INFO, CONSOLE
log4j.appender.CONSOLE=org.apache.log4j.ConsoleAppender
log4j.appender.CONSOLE.layout=org.apache.log4j.PatternLayout
log4j.appender.CONSOLE.layout.ConversionPattern=%d{ISO8601} - %-5p [%t:%C{1}@%L] - %m%n
`

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// start writes a fresh dir under root with zoo.cfg and starts kind on it,
// returning once the server answers ruok and srvr says it serves.
func (st *serverSetup) start(kind Kind, root string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(root, string(kind)+"-")
	if err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		return nil, err
	}
	cfgPath := filepath.Join(dir, "zoo.cfg")
	if err := os.WriteFile(cfgPath, []byte(zooCfg(st.tickMs, data, port)), 0o644); err != nil {
		return nil, err
	}
	var argv []string
	switch kind {
	case kindZkmesh:
		argv = []string{st.zkmeshBin, "run", "--config", cfgPath, "--log-format", "json"}
	case kindApache:
		log4j := filepath.Join(dir, "log4j.properties")
		if err := os.WriteFile(log4j, []byte(log4jProps), 0o644); err != nil {
			return nil, err
		}
		argv = []string{st.java, "-cp", st.zkConfDir + ":" + st.zkJar}
		argv = append(argv, st.jvmFlags...)
		argv = append(argv,
			"-Dzookeeper.log.dir="+dir,
			"-Dlog4j.configuration=file:"+log4j,
			"org.apache.zookeeper.server.quorum.QuorumPeerMain", cfgPath)
	default:
		return nil, fmt.Errorf("unknown server kind %q", kind)
	}
	s := &server{kind: kind, addr: fmt.Sprintf("127.0.0.1:%d", port), dir: dir, logPath: filepath.Join(dir, "server.log"), done: make(chan struct{})}
	logf, err := os.Create(s.logPath)
	if err != nil {
		return nil, err
	}
	s.cmd = exec.Command(argv[0], argv[1:]...)
	s.cmd.Stdout, s.cmd.Stderr, s.cmd.Dir = logf, logf, dir
	if err := s.cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", kind, err)
	}
	go func() {
		_ = s.cmd.Wait()
		logf.Close()
		close(s.done)
	}()
	if err := s.waitServing(st.startWait); err != nil {
		s.stop()
		return nil, fmt.Errorf("%s on %s: %w\n%s", kind, s.addr, err, s.logTail())
	}
	return s, nil
}

// waitServing polls ruok and srvr until the server serves requests.
func (s *server) waitServing(d time.Duration) error {
	deadline := time.Now().Add(d)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	last := ""
	for {
		select {
		case <-s.done:
			return fmt.Errorf("process exited before serving (last answer %q)", last)
		case <-tick.C:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not serving after %v (last answer %q)", d, last)
		}
		out, err := fourLetter(s.addr, "srvr")
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

// fourLetter sends a four-letter word and returns the whole answer.
func fourLetter(addr, word string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, word); err != nil {
		return "", err
	}
	b, err := io.ReadAll(c)
	return string(b), err
}

// memory is what /proc/<pid>/status says of a process's memory, in KiB.
type memory struct {
	RSSKiB int64 `json:"rss_kib"` // VmRSS: resident now
	HWMKiB int64 `json:"hwm_kib"` // VmHWM: peak resident
}

// memory reads the server's VmRSS and VmHWM.
func (s *server) memory() (memory, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return memory{}, err
	}
	defer f.Close()
	var m memory
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		fields := strings.Fields(v)
		if len(fields) == 0 {
			continue
		}
		n, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			continue
		}
		switch k {
		case "VmRSS":
			m.RSSKiB = n
		case "VmHWM":
			m.HWMKiB = n
		}
	}
	if m.RSSKiB == 0 {
		return m, errors.New("no VmRSS in /proc status")
	}
	return m, sc.Err()
}

// cpuSeconds returns the user+system CPU time the process has used.
func (s *server) cpuSeconds() (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name (which is in parentheses and may
	// contain spaces): state is field 3, utime 14, stime 15.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, errors.New("malformed /proc stat")
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, errors.New("short /proc stat")
	}
	ut, err1 := strconv.ParseFloat(f[11], 64)
	st, err2 := strconv.ParseFloat(f[12], 64)
	if err1 != nil || err2 != nil {
		return 0, errors.New("bad utime/stime in /proc stat")
	}
	return (ut + st) / clockTicksPerSecond, nil
}

// clockTicksPerSecond is USER_HZ, 100 on Linux.
const clockTicksPerSecond = 100

// stop sends SIGTERM, waits up to 20 s, then kills the process.
func (s *server) stop() {
	select {
	case <-s.done:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

func (s *server) logTail() string {
	b, err := os.ReadFile(s.logPath)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 30 {
		lines = lines[len(lines)-30:]
	}
	return strings.Join(lines, "\n")
}
