package sim

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var rewrite = flag.Bool("rewrite", false, "rewrite the expected output of testdata scenarios")

func TestScenarios(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no scenarios")
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			cases, err := ParseScript(path)
			if err != nil {
				t.Fatal(err)
			}
			var s Script
			for i, c := range cases {
				got, err := s.Run(c.Cmd)
				if err != nil {
					t.Fatalf("%s:%d: %s: %v", path, c.Line, c.Cmd, err)
				}
				if *rewrite {
					cases[i].Want = got
					continue
				}
				if got != c.Want {
					t.Errorf("%s:%d: %s\n--- got\n%s\n--- want\n%s", path, c.Line, c.Cmd, got, c.Want)
				}
			}
			if *rewrite {
				if err := os.WriteFile(path, []byte(FormatScript(cases)), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}
