package difftest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ZkCliPath is Debian's zkCli.sh.
const ZkCliPath = "/usr/share/zookeeper/bin/zkCli.sh"

// ZkCliScript is the zkCli session TestZkCli drives: create, get, set, ls,
// stat, delete, getAcl, setAcl, addauth and their failures.
var ZkCliScript = []string{
	"create /zkcli hello",
	"create /zkcli again",
	"get /zkcli",
	"set /zkcli world",
	"get -s /zkcli",
	"set -v 0 /zkcli stale",
	"create /zkcli/a",
	"create -s /zkcli/s- x",
	"create -s /zkcli/s- y",
	"create -e /zkcli/e eph",
	"create -c /zkcli/c",
	"create -t 60000 /zkcli/t ttl",
	"ls /zkcli",
	"ls -s /zkcli",
	"stat /zkcli",
	"stat /zkcli/e",
	"stat /zkcli/none",
	"get /zkcli/none",
	"getAcl /zkcli",
	"setAcl /zkcli world:anyone:cdr",
	"getAcl -s /zkcli",
	"set /zkcli denied",
	"addauth digest alice:secret",
	"create /zkcli/a/priv secret",
	"setAcl /zkcli/a/priv auth::cdrwa",
	"getAcl /zkcli/a/priv",
	"get /zkcli/a/priv",
	"create /zkcli/b",
	"setAcl /zkcli/b digest:bob:notahash:cdrwa",
	"getAcl /zkcli/b",
	"delete /zkcli/b",
	"setAcl /zkcli/a ip:127.0.0.1:cdrwa",
	"getAcl /zkcli/a",
	"delete /zkcli/a",
	"delete /zkcli/none",
	"delete -v 5 /zkcli/s-0000000001",
	"delete /zkcli/s-0000000001",
	"ls -R /zkcli",
	"getAllChildrenNumber /zkcli",
	"getEphemerals /zkcli",
	"sync /zkcli",
	"whoami",
	"deleteall /zkcli",
	"ls /zkcli",
	"quit",
}

var (
	reZxid  = regexp.MustCompile(`^([cmp]Zxid) = (0x[0-9a-f]+)$`)
	reTime  = regexp.MustCompile(`^([cm]time) = .+$`)
	reOwner = regexp.MustCompile(`^ephemeralOwner = (0x[0-9a-f]+)$`)
	reNoise = regexp.MustCompile(`^(SLF4J: |Connecting to |Welcome to ZooKeeper|JLine support|WATCHER::|WatchedEvent state:(SyncConnected|Closed) type:None|\s*$)`)
	reAddr  = regexp.MustCompile(`127\.0\.0\.1:[0-9]+`)
	reIdent = regexp.MustCompile(`^[a-z0-9]+: \S`)
)

// RunZkCli feeds script to zkCli.sh connected to addr on stdin and returns
// its standard output and error together.
func RunZkCli(addr string, script []string) (string, error) {
	cmd := exec.Command(ZkCliPath, "-server", addr)
	cmd.Stdin = strings.NewReader(strings.Join(script, "\n") + "\n")
	cmd.Env = append(os.Environ(), "ZOO_LOG_DIR="+os.TempDir())
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		return "", err
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		// zkCli exits non-zero when a command failed; the output says
		// which, so only a failure to run at all is an error.
		if _, ok := err.(*exec.ExitError); ok {
			err = nil
		}
		return out.String(), err
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		return out.String(), fmt.Errorf("zkCli.sh did not finish in 60 s")
	}
}

// NormalizeZkCli removes start-up noise and replaces what differs between
// two correct servers: zxids by their rank, times, session ids, ports. The
// identities whoami lists are sorted: Apache ZooKeeper keeps a connection's
// auth ids in a hash set, so their order is Java's hash order, which no
// client can rely on.
func NormalizeZkCli(out string) []string {
	lines := normalizeZkCliLines(out)
	for i := 0; i < len(lines); i++ {
		if lines[i] != "Auth scheme: User" {
			continue
		}
		j := i + 1
		for j < len(lines) && reIdent.MatchString(lines[j]) {
			j++
		}
		sort.Strings(lines[i+1 : j])
		i = j - 1
	}
	return lines
}

func normalizeZkCliLines(out string) []string {
	var lines []string
	var zs []int64
	seen := map[int64]bool{}
	for _, l := range strings.Split(out, "\n") {
		l = strings.TrimRight(l, "\r")
		if reNoise.MatchString(l) {
			continue
		}
		if m := reZxid.FindStringSubmatch(l); m != nil {
			v, _ := strconv.ParseInt(m[2][2:], 16, 64)
			if !seen[v] {
				seen[v] = true
				zs = append(zs, v)
			}
		}
		lines = append(lines, l)
	}
	sort.Slice(zs, func(i, j int) bool { return zs[i] < zs[j] })
	rank := map[int64]int{}
	for i, z := range zs {
		rank[z] = i + 1
	}
	for i, l := range lines {
		switch {
		case reZxid.MatchString(l):
			m := reZxid.FindStringSubmatch(l)
			v, _ := strconv.ParseInt(m[2][2:], 16, 64)
			lines[i] = fmt.Sprintf("%s = z%d", m[1], rank[v])
		case reTime.MatchString(l):
			lines[i] = reTime.ReplaceAllString(l, "$1 = <time>")
		case reOwner.MatchString(l):
			if l != "ephemeralOwner = 0x0" {
				lines[i] = "ephemeralOwner = <session>"
			}
		default:
			lines[i] = reAddr.ReplaceAllString(l, "<addr>")
		}
	}
	return lines
}
