package sidecar

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/go-zookeeper/zk"
)

// TestSnapshotRecoveryAndInspect writes enough txns for several background
// snapshots, restarts on the same data dir (snapshot plus log replay), and
// prints the directory with Inspect.
func TestSnapshotRecoveryAndInspect(t *testing.T) {
	dir := t.TempDir()
	_, addr, stop := startStoppable(t, dir, func(c *Config) { c.SnapCountTxns = 20 })
	c, _ := connect(t, addr)
	for i := 0; i < 100; i++ {
		if _, err := c.Create(fmt.Sprintf("/n%03d", i), []byte(fmt.Sprint(i)), 0, zk.WorldACL(zk.PermAll)); err != nil {
			t.Fatal(err)
		}
	}
	c.Close()
	stop() // Run waits for a background snapshot in progress

	var out bytes.Buffer
	if err := Inspect(dir, &out, true); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{"snapshot.", "createSession", "/n099", "snapshot tree at zxid", "dataVersion = 0"} {
		if !strings.Contains(s, want) {
			t.Errorf("inspect output lacks %q:\n%.2000s", want, s)
		}
	}

	_, addr2 := startServer(t, dir)
	c2, _ := connect(t, addr2)
	for i := 0; i < 100; i++ {
		data, _, err := c2.Get(fmt.Sprintf("/n%03d", i))
		if err != nil || string(data) != fmt.Sprint(i) {
			t.Fatalf("/n%03d after recovery: %q %v", i, data, err)
		}
	}
}
