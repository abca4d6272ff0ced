package zab

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// zab imports nothing but the standard library (DESIGN.md).
func TestImportsOnlyStandardLibrary(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, f := range files {
		af, err := parser.ParseFile(fset, f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range af.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if first, _, _ := strings.Cut(p, "/"); strings.Contains(first, ".") {
				t.Errorf("%s imports %s", f, p)
			}
		}
	}
}

// BenchmarkProposeCommit measures a 3-voter ensemble committing one txn
// (propose, replicate, ack, commit, apply everywhere) through the test
// driver.
func BenchmarkProposeCommit(b *testing.B) {
	t := &testing.T{}
	w := newWorld(t, 3, 0)
	l := w.stable()
	data := []byte("benchmark-txn")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		z, err := w.peers[l].n.Propose(data)
		if err != nil {
			b.Fatal(err)
		}
		w.drain(l)
		w.deliver(0)
		if c := w.peers[l].n.Status().Applied; c != z {
			b.Fatalf("applied %s, want %s", c, z)
		}
	}
}
