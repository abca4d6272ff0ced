package difftest

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/zkmesh/zkmesh/internal/zktest"
)

func requireZkCli(t *testing.T) {
	t.Helper()
	zktest.RequireApache(t)
	if _, err := os.Stat(ZkCliPath); err != nil {
		if os.Getenv("ZKMESH_REQUIRE_ORACLE") == "1" {
			t.Fatalf("%s missing (apt-get install zookeeper)", ZkCliPath)
		}
		t.Skipf("%s missing", ZkCliPath)
	}
}

// zkCliExpect are lines Apache ZooKeeper's zkCli session must print, in
// this order (other lines may come between).
var zkCliExpect = []string{
	"Created /zkcli",
	"Node already exists: /zkcli",
	"hello",
	"world",
	"dataVersion = 1",
	"version No is not valid : /zkcli",
	"Created /zkcli/a",
	"Created /zkcli/s-0000000001",
	"Created /zkcli/s-0000000002",
	"Created /zkcli/e",
	"Created /zkcli/c",
	"Created /zkcli/t",
	"[a, c, e, s-0000000001, s-0000000002, t]",
	"[a, c, e, s-0000000001, s-0000000002, t]",
	"numChildren = 6",
	"numChildren = 6",
	"ephemeralOwner = <session>",
	"Node does not exist: /zkcli/none",
	"Node does not exist: /zkcli/none",
	"'world,'anyone",
	": cdrwa",
	"'world,'anyone",
	": cdr",
	"aclVersion = 1",
	"Insufficient permission : /zkcli",
	"Created /zkcli/a/priv",
	"'digest,'alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E=",
	": cdrwa",
	"secret",
	"Created /zkcli/b",
	"Insufficient permission : /zkcli/b",
	"'ip,'127.0.0.1",
	"Node not empty: /zkcli/a",
	"Node does not exist: /zkcli/none",
	"version No is not valid : /zkcli/s-0000000001",
	"/zkcli",
	"/zkcli/a/priv",
	"6",
	"[/zkcli/e]",
	"Sync is OK",
	"digest: alice",
	"ip: 127.0.0.1",
	"Node does not exist: /zkcli",
}

func runZkCli(t *testing.T, srv *zktest.Server) []string {
	t.Helper()
	out, err := RunZkCli(srv.Addr, ZkCliScript)
	if err != nil {
		t.Fatalf("zkCli.sh against %s: %v\n%s", srv.Kind, err, out)
	}
	return NormalizeZkCli(out)
}

// TestZkCliApache drives Debian's zkCli.sh against Apache ZooKeeper and
// checks its output, which pins the script's expectations to the oracle.
func TestZkCliApache(t *testing.T) {
	requireZkCli(t)
	lines := oracleZkCli(t)
	i := 0
	for _, l := range lines {
		if i < len(zkCliExpect) && strings.Contains(l, zkCliExpect[i]) {
			i++
		}
	}
	if i < len(zkCliExpect) {
		t.Fatalf("zkCli output lacks %q (after the first %d expected lines):\n%s", zkCliExpect[i], i, strings.Join(lines, "\n"))
	}
}

// TestZkCliZkmesh runs the same zkCli session against Apache ZooKeeper and
// zkmesh and requires the same normalised output.
func TestZkCliZkmesh(t *testing.T) {
	requireZkCli(t)
	zktest.ZkmeshBinary(t)
	compareZkCli(t, zktest.KindZkmesh)
}

// TestZkCliApacheTwice compares two Apache servers the same way: the
// normalisation must leave no difference.
func TestZkCliApacheTwice(t *testing.T) {
	requireZkCli(t)
	compareZkCli(t, zktest.KindApache)
}

// zkCliOracle caches zkCli's normalised output against Apache ZooKeeper.
var zkCliOracle struct {
	once  sync.Once
	lines []string
}

func oracleZkCli(t *testing.T) []string {
	zkCliOracle.once.Do(func() {
		zkCliOracle.lines = runZkCli(t, zktest.StartApacheZK(t, ServerOptions()))
	})
	if zkCliOracle.lines == nil {
		t.Fatal("zkCli against Apache ZooKeeper failed")
	}
	return zkCliOracle.lines
}

func compareZkCli(t *testing.T, kind zktest.Kind) {
	want := oracleZkCli(t)
	got := runZkCli(t, zktest.Start(t, kind, ServerOptions()))
	n := len(want)
	if len(got) > n {
		n = len(got)
	}
	var diff []string
	for i := 0; i < n; i++ {
		var w, g string
		if i < len(want) {
			w = want[i]
		}
		if i < len(got) {
			g = got[i]
		}
		if w != g {
			diff = append(diff, fmt.Sprintf("line %d:\n  apache: %s\n  %s: %s", i, w, kind, g))
		}
	}
	if len(diff) > 0 {
		t.Fatalf("zkCli output differs on %d line(s):\n%s", len(diff), strings.Join(diff, "\n"))
	}
}

func TestNormalizeZkCliSortsWhoAmI(t *testing.T) {
	a := NormalizeZkCli("Auth scheme: User\nip: 127.0.0.1\ndigest: alice\nSync is OK\n")
	b := NormalizeZkCli("Auth scheme: User\ndigest: alice\nip: 127.0.0.1\nSync is OK\n")
	if strings.Join(a, "|") != strings.Join(b, "|") || a[3] != "Sync is OK" {
		t.Fatalf("whoami blocks normalise to %q and %q", a, b)
	}
	c := NormalizeZkCli("cZxid = 0x5\nmZxid = 0x9\npZxid = 0x5\nctime = Mon Nov 23\nephemeralOwner = 0x1000a\n")
	want := "cZxid = z1|mZxid = z2|pZxid = z1|ctime = <time>|ephemeralOwner = <session>"
	if got := strings.Join(c, "|"); got != want {
		t.Fatalf("stat normalises to %q, want %q", got, want)
	}
}
