package difftest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
)

// ErrBadKnownLine is wrapped by ParseKnown for a malformed line.
var ErrBadKnownLine = errors.New("difftest: bad known-differences line")

// Known is one accepted difference between Apache ZooKeeper and zkmesh.
// Seq, Label and Field are path.Match patterns ("*" matches anything within
// a space-free word; a Label pattern is matched against the whole label).
type Known struct {
	Seq, Label, Field string
	// Reason says why the difference is acceptable; it is required.
	Reason string
	// Line is the line number in the table, for messages.
	Line int
}

// Matches reports whether k explains d.
func (k Known) Matches(d Difference) bool {
	return match(k.Seq, d.Seq) && match(k.Label, d.Label) && match(k.Field, d.Field)
}

func match(pattern, s string) bool {
	ok, err := path.Match(pattern, s)
	return err == nil && ok
}

// ParseKnown reads the known-differences table: tab-separated lines
// "seq<TAB>label<TAB>field<TAB>reason"; blank lines and lines starting with
// '#' are ignored. Every entry needs a non-empty reason.
func ParseKnown(r io.Reader) ([]Known, error) {
	var out []Known
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.SplitN(line, "\t", 4)
		if len(parts) != 4 || strings.TrimSpace(parts[3]) == "" {
			return nil, fmt.Errorf("%w %d: want seq, label, field and reason separated by tabs", ErrBadKnownLine, n)
		}
		for _, p := range parts[:3] {
			if _, err := path.Match(p, ""); err != nil {
				return nil, fmt.Errorf("%w %d: pattern %q: %v", ErrBadKnownLine, n, p, err)
			}
		}
		out = append(out, Known{Seq: parts[0], Label: parts[1], Field: parts[2], Reason: strings.TrimSpace(parts[3]), Line: n})
	}
	return out, sc.Err()
}

// Explain splits diffs into those a table entry explains (with the entry)
// and those none does.
func Explain(known []Known, diffs []Difference) (explained map[int]Known, unexplained []Difference) {
	explained = map[int]Known{}
	for i, d := range diffs {
		found := false
		for _, k := range known {
			if k.Matches(d) {
				explained[i] = k
				found = true
				break
			}
		}
		if !found {
			unexplained = append(unexplained, d)
		}
	}
	return explained, unexplained
}
