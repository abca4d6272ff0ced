package discovery

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies keeps discovery free of other zkmesh packages: it sees
// memberlist, zerolog and the standard library, and the daemon wires it in.
func TestDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		if strings.HasPrefix(p, "github.com/zkmesh/zkmesh/") && p != "github.com/zkmesh/zkmesh/discovery" {
			t.Errorf("discovery depends on zkmesh package %s", p)
		}
	}
}
