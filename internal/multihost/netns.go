package multihost

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
)

// RequireEnv names the variable that turns a missing namespace capability
// into a test failure instead of a skip (CI sets it).
const RequireEnv = "ZKMESH_REQUIRE_NETNS"

// hostOctet is the last octet of the test process's own address on every
// Net's subnet.
const hostOctet = 254

// Host is one simulated machine: a network namespace with one interface,
// eth0, at IP on the Net's subnet, and no route but that subnet's.
type Host struct {
	// Index is the host's number on its Net, from 1; its address is
	// 10.<x>.0.<Index>.
	Index int
	// NS is the namespace's name (`ip netns exec NS …`).
	NS string
	// IP is the host's address.
	IP string
}

// Addr returns IP:port.
func (h *Host) Addr(port int) string { return net.JoinHostPort(h.IP, strconv.Itoa(port)) }

// Net is a private layer-2 network for one test: a "switch" namespace
// holding a bridge, one namespace per Host attached to the bridge by a veth
// pair, and a veth from the test process's namespace with address
// 10.<x>.0.254, through which the test reaches every host. Its methods may
// be called from any goroutine.
type Net struct {
	t      testing.TB
	prefix string // zkm-<pid>-<n>; every namespace of this Net starts with it
	subnet int    // x of 10.x.0.0/24
	sw     string // the switch namespace
	uplink string // the test process's interface, in its own namespace
	lock   *os.File

	mu    sync.Mutex
	hosts []*Host
	// cuts holds the blackhole routes in place: cuts[[2]int{a, b}] is true
	// when host a drops every packet it would send to host b, and absent
	// otherwise.
	cuts map[[2]int]bool
}

var (
	netSeq    atomic.Int64
	sweepOnce sync.Once

	probeOnce sync.Once
	probeErr  error
)

// Usable reports why network namespaces cannot be used here, or nil. It
// checks once per test binary, by creating and deleting a namespace.
func Usable() error {
	probeOnce.Do(func() {
		if _, err := exec.LookPath("ip"); err != nil {
			probeErr = fmt.Errorf("iproute2's ip command not found: %w", err)
			return
		}
		name := fmt.Sprintf("zkm-%d-probe", os.Getpid())
		if err := ip("netns", "add", name); err != nil {
			probeErr = fmt.Errorf("cannot create a network namespace (needs root or CAP_SYS_ADMIN and CAP_NET_ADMIN): %w", err)
			return
		}
		if err := ip("netns", "del", name); err != nil {
			probeErr = fmt.Errorf("cannot delete network namespace %s: %w", name, err)
		}
	})
	return probeErr
}

// RequireNetns skips t when network namespaces are unusable or the tests
// run with -short, and fails it instead when RequireEnv is 1.
func RequireNetns(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("multihost: starts processes in network namespaces")
	}
	if err := Usable(); err != nil {
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("multihost: %v (%s=1 requires network namespaces)", err, RequireEnv)
		}
		t.Skipf("multihost: skipped: %v; run as root with iproute2 (set %s=1 to fail instead)", err, RequireEnv)
	}
}

// NewNet creates an empty network on a free subnet and removes everything
// it creates when t ends. It skips or fails t as RequireNetns does.
func NewNet(t testing.TB) *Net {
	t.Helper()
	RequireNetns(t)
	sweepOnce.Do(sweepStale)
	n := &Net{t: t, cuts: map[[2]int]bool{}}
	seq := netSeq.Add(1)
	n.prefix = fmt.Sprintf("zkm-%d-%d", os.Getpid(), seq)
	n.sw = n.prefix + "-sw"
	n.uplink = fmt.Sprintf("zkm%dh%d", os.Getpid(), seq%1000) // at most 15 bytes, IFNAMSIZ-1
	var err error
	if n.subnet, n.lock, err = takeSubnet(); err != nil {
		t.Fatalf("multihost: %v", err)
	}
	t.Cleanup(n.destroy)
	steps := [][]string{
		{"netns", "add", n.sw},
		{"-n", n.sw, "link", "set", "lo", "up"},
		{"-n", n.sw, "link", "add", "br0", "type", "bridge"},
		{"-n", n.sw, "link", "set", "br0", "up"},
		{"link", "add", n.uplink, "type", "veth", "peer", "name", "up0", "netns", n.sw},
		{"-n", n.sw, "link", "set", "up0", "master", "br0"},
		{"-n", n.sw, "link", "set", "up0", "up"},
		{"addr", "add", fmt.Sprintf("10.%d.0.%d/24", n.subnet, hostOctet), "dev", n.uplink},
		{"link", "set", n.uplink, "up"},
	}
	for _, s := range steps {
		if err := ip(s...); err != nil {
			t.Fatalf("multihost: building the network: %v", err)
		}
	}
	return n
}

// Subnet returns the network's prefix, 10.<x>.0.0/24.
func (n *Net) Subnet() string { return fmt.Sprintf("10.%d.0.0/24", n.subnet) }

// AddHost creates the next host and attaches it to the bridge.
func (n *Net) AddHost() *Host {
	n.t.Helper()
	n.mu.Lock()
	h := &Host{Index: len(n.hosts) + 1}
	h.NS = fmt.Sprintf("%s-h%d", n.prefix, h.Index)
	h.IP = fmt.Sprintf("10.%d.0.%d", n.subnet, h.Index)
	n.hosts = append(n.hosts, h)
	n.mu.Unlock()
	if h.Index >= hostOctet {
		n.t.Fatalf("multihost: at most %d hosts", hostOctet-1)
	}
	port := fmt.Sprintf("p%d", h.Index)
	steps := [][]string{
		{"netns", "add", h.NS},
		{"-n", h.NS, "link", "set", "lo", "up"},
		{"-n", n.sw, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", h.NS},
		{"-n", n.sw, "link", "set", port, "master", "br0"},
		{"-n", n.sw, "link", "set", port, "up"},
		{"-n", h.NS, "addr", "add", h.IP + "/24", "dev", "eth0"},
		{"-n", h.NS, "link", "set", "eth0", "up"},
	}
	for _, s := range steps {
		if err := ip(s...); err != nil {
			n.t.Fatalf("multihost: adding host %d: %v", h.Index, err)
		}
	}
	return h
}

// Cut drops every packet between the hosts of a and those of b, both ways,
// with blackhole routes inside their namespaces. Connections in place stay
// open and carry nothing (their segments are retransmitted once healed);
// new connections fail at once. Hosts in neither set are untouched, and so
// is the test process's access to every host.
func (n *Net) Cut(a, b []*Host) {
	n.t.Helper()
	for _, x := range a {
		for _, y := range b {
			n.route(x, y, true)
			n.route(y, x, true)
		}
	}
}

// Heal removes the cuts between a and b made by Cut.
func (n *Net) Heal(a, b []*Host) {
	n.t.Helper()
	for _, x := range a {
		for _, y := range b {
			n.route(x, y, false)
			n.route(y, x, false)
		}
	}
}

// HealAll removes every cut.
func (n *Net) HealAll() {
	n.t.Helper()
	n.mu.Lock()
	var pairs [][2]int
	for p := range n.cuts {
		pairs = append(pairs, p)
	}
	hosts := n.hosts
	n.mu.Unlock()
	for _, p := range pairs {
		n.route(hosts[p[0]-1], hosts[p[1]-1], false)
	}
}

// route adds (or deletes) the blackhole route in from's namespace that
// drops what it sends to to.
func (n *Net) route(from, to *Host, add bool) {
	n.t.Helper()
	key := [2]int{from.Index, to.Index}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cuts[key] == add {
		return
	}
	verb := "del"
	if add {
		verb = "add"
	}
	if err := ip("-n", from.NS, "route", verb, "blackhole", to.IP+"/32"); err != nil {
		n.t.Fatalf("multihost: %s cut %d→%d: %v", verb, from.Index, to.Index, err)
	}
	if add {
		n.cuts[key] = true
	} else {
		delete(n.cuts, key)
	}
}

// destroy deletes every namespace of the Net (the veth pairs go with them,
// the test process's end included) and releases the subnet. The members'
// processes have been killed by their own cleanups, registered later.
func (n *Net) destroy() {
	n.mu.Lock()
	hosts := n.hosts
	n.mu.Unlock()
	var errs []error
	// The uplink first: deleting it deletes its peer in the switch, whereas
	// deleting the switch namespace removes the uplink asynchronously.
	if linkExists(n.uplink) {
		if err := ip("link", "del", n.uplink); err != nil && linkExists(n.uplink) {
			errs = append(errs, err)
		}
	}
	for _, ns := range append(namespaceNames(hosts), n.sw) {
		if !nsExists(ns) {
			continue
		}
		killNamespacePids(ns)
		if err := ip("netns", "del", ns); err != nil {
			errs = append(errs, err)
		}
	}
	if n.lock != nil {
		n.lock.Close() // releases the flock; the file stays, empty
	}
	if len(errs) > 0 {
		n.t.Errorf("multihost: cleanup of %s: %v", n.prefix, errors.Join(errs...))
	}
}

func namespaceNames(hosts []*Host) []string {
	out := make([]string, len(hosts))
	for i, h := range hosts {
		out[i] = h.NS
	}
	return out
}

// killNamespacePids SIGKILLs the processes still inside ns, which this
// Net created and only its members' processes entered.
func killNamespacePids(ns string) {
	out, err := exec.Command("ip", "netns", "pids", ns).Output()
	if err != nil {
		return
	}
	for _, f := range strings.Fields(string(out)) {
		if pid, err := strconv.Atoi(f); err == nil && pid > 1 && pid != os.Getpid() {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

func nsExists(name string) bool {
	_, err := os.Stat(filepath.Join("/run/netns", name))
	return err == nil
}

func linkExists(name string) bool {
	_, err := net.InterfaceByName(name)
	return err == nil
}

// staleName matches the namespaces this package creates: zkm-<pid>-….
var staleName = regexp.MustCompile(`^zkm-(\d+)-`)

// sweepStale deletes namespaces left by test binaries that died before
// their cleanup ran (their pid is gone). Their veth pairs go with them.
func sweepStale() {
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		m := staleName.FindStringSubmatch(f[0])
		if m == nil {
			continue
		}
		pid, _ := strconv.Atoi(m[1])
		if pid == os.Getpid() || syscall.Kill(pid, 0) != syscall.ESRCH {
			continue
		}
		_ = ip("netns", "del", f[0])
	}
}

// takeSubnet picks x such that 10.x.0.0/24 overlaps no route of the test
// process's namespace and no concurrent run holds it (an exclusive flock on
// a file named for it, released when the returned file is closed or the
// process dies).
func takeSubnet() (int, *os.File, error) {
	routes, err := exec.Command("ip", "-4", "route", "show", "table", "all").Output()
	if err != nil {
		return 0, nil, fmt.Errorf("ip route show: %w", err)
	}
	var used []*net.IPNet
	for _, line := range strings.Split(string(routes), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		dst := f[0]
		if dst == "broadcast" || dst == "local" || dst == "blackhole" || dst == "unreachable" || dst == "prohibit" {
			if len(f) < 2 {
				continue
			}
			dst = f[1]
		}
		if dst == "default" {
			continue
		}
		if !strings.Contains(dst, "/") {
			dst += "/32"
		}
		if _, p, err := net.ParseCIDR(dst); err == nil {
			used = append(used, p)
		}
	}
	const lo, hi = 64, 254
	start := lo + os.Getpid()%(hi-lo)
	for i := 0; i < hi-lo; i++ {
		x := lo + (start-lo+i)%(hi-lo)
		_, mine, _ := net.ParseCIDR(fmt.Sprintf("10.%d.0.0/24", x))
		if overlaps(mine, used) {
			continue
		}
		path := filepath.Join(os.TempDir(), fmt.Sprintf("zkmesh-multihost-10.%d.lock", x))
		f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
		if err != nil {
			return 0, nil, err
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			f.Close()
			continue
		}
		return x, f, nil
	}
	return 0, nil, errors.New("no free 10.x.0.0/24 subnet")
}

func overlaps(p *net.IPNet, used []*net.IPNet) bool {
	for _, u := range used {
		if u.Contains(p.IP) || p.Contains(u.IP) {
			return true
		}
	}
	return false
}

// ip runs iproute2's ip with args and returns its output in the error.
func ip(args ...string) error {
	cmd := exec.Command("ip", args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(out.String()))
	}
	return nil
}
