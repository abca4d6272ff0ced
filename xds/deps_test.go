package xds

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies keeps the dependency direction: xds imports loadbalance
// and no other zkmesh package.
func TestDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		if strings.HasPrefix(p, "github.com/zkmesh/zkmesh/") && p != "github.com/zkmesh/zkmesh/xds" && p != "github.com/zkmesh/zkmesh/loadbalance" {
			t.Errorf("xds depends on %s", p)
		}
	}
}
