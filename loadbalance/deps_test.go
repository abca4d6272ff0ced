package loadbalance

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies keeps loadbalance on the standard library only.
func TestDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		if strings.Contains(strings.SplitN(p, "/", 2)[0], ".") && p != "github.com/zkmesh/zkmesh/loadbalance" {
			t.Errorf("loadbalance depends on non-standard package %s", p)
		}
	}
}
