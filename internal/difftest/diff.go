package difftest

import (
	"fmt"
	"strings"
)

// Difference is one field on which two recordings disagree.
type Difference struct {
	Seq string
	// Index is the observation's position in the sequence (0-based).
	Index int
	// Label is the observation's label on side A.
	Label string
	// Field is the field name, or "label" / "count" for structural
	// mismatches.
	Field string
	// A and B are the normalised values on each side ("<absent>" when the
	// field or observation is missing).
	A, B string
}

func (d Difference) String() string {
	return fmt.Sprintf("%s #%d %s: %s: %s=%q %s=%q", d.Seq, d.Index, d.Label, d.Field, "A", d.A, "B", d.B)
}

const absent = "<absent>"

// Compare aligns two recordings of the same sequence by position and
// returns every field that differs. Observations must carry the same label
// at the same position; a label mismatch is reported once and the
// comparison stops there, since later positions no longer correspond.
//
// Zxids are ranked over the fields that hold a zxid on both sides only, so
// a reply one server sends and the other does not shifts no later rank.
func Compare(a, b *Recording) []Difference {
	na, nb := normalizePair(a, b)
	var out []Difference
	n := len(na)
	if len(nb) < n {
		n = len(nb)
	}
	for i := 0; i < n; i++ {
		oa, ob := na[i], nb[i]
		if oa.Label != ob.Label {
			out = append(out, Difference{Seq: a.Seq, Index: i, Label: oa.Label, Field: "label", A: oa.Label, B: ob.Label})
			return out
		}
		out = append(out, compareFields(a.Seq, i, oa, ob)...)
	}
	if len(na) != len(nb) {
		d := Difference{Seq: a.Seq, Index: n, Field: "count", A: fmt.Sprint(len(na)), B: fmt.Sprint(len(nb))}
		if n < len(na) {
			d.Label = na[n].Label
		} else {
			d.Label = nb[n].Label
		}
		out = append(out, d)
	}
	return out
}

func compareFields(seq string, i int, oa, ob NormObs) []Difference {
	var out []Difference
	vb := make(map[string]string, len(ob.Fields))
	for _, f := range ob.Fields {
		vb[f.Name] = f.Value
	}
	seen := make(map[string]bool, len(oa.Fields))
	for _, f := range oa.Fields {
		seen[f.Name] = true
		v, ok := vb[f.Name]
		if !ok {
			v = absent
		}
		if v != f.Value {
			out = append(out, Difference{Seq: seq, Index: i, Label: oa.Label, Field: f.Name, A: f.Value, B: v})
		}
	}
	for _, f := range ob.Fields {
		if !seen[f.Name] {
			out = append(out, Difference{Seq: seq, Index: i, Label: oa.Label, Field: f.Name, A: absent, B: f.Value})
		}
	}
	return out
}

// Report renders differences side by side with the observation around
// each, for a test failure message.
func Report(nameA, nameB string, a, b *Recording, diffs []Difference) string {
	if len(diffs) == 0 {
		return ""
	}
	na, nb := normalizePair(a, b)
	var s strings.Builder
	fmt.Fprintf(&s, "sequence %s: %d difference(s) (A=%s, B=%s)\n", a.Seq, len(diffs), nameA, nameB)
	last := -1
	for _, d := range diffs {
		if d.Index != last {
			last = d.Index
			if d.Index < len(na) {
				fmt.Fprintf(&s, "  #%d A: %s\n", d.Index, na[d.Index])
			}
			if d.Index < len(nb) {
				fmt.Fprintf(&s, "  #%d B: %s\n", d.Index, nb[d.Index])
			}
		}
		fmt.Fprintf(&s, "      %-16s A=%-24q B=%q\n", d.Field, d.A, d.B)
	}
	return s.String()
}

// normalizePair normalises both recordings, ranking zxids over the fields
// both hold at the same position under the same label.
func normalizePair(a, b *Recording) ([]NormObs, []NormObs) {
	ka, kb := a.zxidKeys(), b.zxidKeys()
	shared := map[fieldKey]bool{}
	for k := range ka {
		if kb[k] && k.obs < len(b.Obs) && a.Obs[k.obs].Label == b.Obs[k.obs].Label {
			shared[k] = true
		}
	}
	return a.normalized(shared), b.normalized(shared)
}
