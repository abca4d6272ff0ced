package difftest

import (
	"fmt"
	"sort"
	"strings"
)

// fieldKind says how a field is normalised before comparison.
type fieldKind int

const (
	kindPlain   fieldKind = iota // compared as recorded
	kindZxid                     // replaced by its rank among the recording's zxids
	kindTime                     // replaced by "unset" (0) or "set"
	kindSession                  // replaced by the owning client's name
)

// Field is one recorded value of an observation.
type Field struct {
	Name string
	kind fieldKind
	str  string
	num  int64
}

// Obs is one observation: a reply or an event, in the order the sequence
// made it.
type Obs struct {
	// Label names the observation: "<client> <op> <path>" or
	// "<client> event". Two recordings are aligned by position and must
	// agree on labels.
	Label  string
	Fields []Field
}

// Recording is everything one sequence observed on one server.
// Invariant: Obs is in the order the sequence made the observations.
type Recording struct {
	Seq string
	Obs []Obs
	// sessions maps session ids to the client names that own them.
	sessions map[int64]string
}

func newRecording(seq string) *Recording {
	return &Recording{Seq: seq, sessions: map[int64]string{}}
}

func (r *Recording) add(label string, fields ...Field) {
	r.Obs = append(r.Obs, Obs{Label: label, Fields: fields})
}

func plain(name string, format string, args ...any) Field {
	return Field{Name: name, str: fmt.Sprintf(format, args...)}
}

func zxidField(name string, z int64) Field { return Field{Name: name, kind: kindZxid, num: z} }

func timeField(name string, ms int64) Field { return Field{Name: name, kind: kindTime, num: ms} }

func sessionField(name string, id int64) Field { return Field{Name: name, kind: kindSession, num: id} }

// fieldKey names one field of one observation.
type fieldKey struct {
	obs  int
	name string
}

// zxidKeys returns the keys of every zxid field holding a real zxid (> 0).
func (r *Recording) zxidKeys() map[fieldKey]bool {
	keys := map[fieldKey]bool{}
	for i, o := range r.Obs {
		for _, f := range o.Fields {
			if f.kind == kindZxid && f.num > 0 {
				keys[fieldKey{i, f.Name}] = true
			}
		}
	}
	return keys
}

// Normalized returns the observations with every field rendered as the
// string that is compared, ranking every zxid the recording holds.
func (r *Recording) Normalized() []NormObs { return r.normalized(nil) }

// normalized ranks zxids by the values of the fields in ranked only (all
// fields when ranked is nil), so that an observation present on one side
// only does not shift the ranks of everything after it. A zxid outside the
// ranked set is rendered relative to them: "z3+" lies between z3 and z4.
func (r *Recording) normalized(ranked map[fieldKey]bool) []NormObs {
	var zs []int64
	seen := map[int64]bool{}
	for i, o := range r.Obs {
		for _, f := range o.Fields {
			if f.kind != kindZxid || f.num <= 0 || seen[f.num] {
				continue
			}
			if ranked != nil && !ranked[fieldKey{i, f.Name}] {
				continue
			}
			seen[f.num] = true
			zs = append(zs, f.num)
		}
	}
	sort.Slice(zs, func(i, j int) bool { return zs[i] < zs[j] })
	rank := make(map[int64]int, len(zs))
	for i, z := range zs {
		rank[z] = i + 1
	}
	rankOf := func(z int64) string {
		if k, ok := rank[z]; ok {
			return fmt.Sprintf("z%d", k)
		}
		below := sort.Search(len(zs), func(i int) bool { return zs[i] > z })
		return fmt.Sprintf("z%d+", below)
	}
	out := make([]NormObs, len(r.Obs))
	for i, o := range r.Obs {
		n := NormObs{Label: o.Label}
		for _, f := range o.Fields {
			var v string
			switch f.kind {
			case kindPlain:
				v = f.str
			case kindZxid:
				if f.num > 0 {
					v = rankOf(f.num)
				} else {
					v = fmt.Sprint(f.num)
				}
			case kindTime:
				v = "set"
				if f.num == 0 {
					v = "unset"
				}
			case kindSession:
				switch name, ok := r.sessions[f.num]; {
				case f.num == 0:
					v = "0"
				case ok:
					v = "session(" + name + ")"
				case uint64(f.num) == 1<<63:
					v = "container"
				case uint64(f.num)>>56 == 0xff:
					v = fmt.Sprintf("ttl(%d)", f.num&(1<<56-1))
				default:
					v = "session(unknown)"
				}
			}
			n.Fields = append(n.Fields, NormField{Name: f.Name, Value: v})
		}
		out[i] = n
	}
	return out
}

// NormObs is a normalised observation.
type NormObs struct {
	Label  string
	Fields []NormField
}

// NormField is a normalised field.
type NormField struct {
	Name, Value string
}

// String renders the observation on one line.
func (o NormObs) String() string {
	var b strings.Builder
	b.WriteString(o.Label)
	for _, f := range o.Fields {
		fmt.Fprintf(&b, " %s=%s", f.Name, f.Value)
	}
	return b.String()
}
