package sim

import (
	"strconv"
	"strings"

	"github.com/zkmesh/zkmesh/zab"
)

// configPrefix starts the data of every configuration txn of the
// simulator: "cfg:v=1,2,3;o=4,5" sets voters 1, 2, 3 and observers 4, 5.
// No client write starts with it (they are "k<n>=..." or "fwd:...").
const configPrefix = "cfg:"

// EncodeConfig returns the txn data that sets m.
func EncodeConfig(m zab.Membership) []byte {
	m = m.Clone()
	f := func(ids []zab.ServerID) string {
		p := make([]string, len(ids))
		for i, id := range ids {
			p[i] = strconv.FormatUint(uint64(id), 10)
		}
		return strings.Join(p, ",")
	}
	return []byte(configPrefix + "v=" + f(m.Voters) + ";o=" + f(m.Observers))
}

// ConfigOf is the simulator's zab.Config.ConfigOf: it recognises the data
// EncodeConfig makes. It is pure.
func ConfigOf(data []byte) (zab.Membership, bool) {
	s, ok := strings.CutPrefix(string(data), configPrefix)
	if !ok {
		return zab.Membership{}, false
	}
	vs, os, ok := strings.Cut(s, ";")
	if !ok || !strings.HasPrefix(vs, "v=") || !strings.HasPrefix(os, "o=") {
		return zab.Membership{}, false
	}
	parse := func(s string) ([]zab.ServerID, bool) {
		if s == "" {
			return nil, true
		}
		var out []zab.ServerID
		for _, f := range strings.Split(s, ",") {
			n, err := strconv.ParseUint(f, 10, 64)
			if err != nil {
				return nil, false
			}
			out = append(out, zab.ServerID(n))
		}
		return out, true
	}
	var m zab.Membership
	if m.Voters, ok = parse(vs[2:]); !ok {
		return zab.Membership{}, false
	}
	if m.Observers, ok = parse(os[2:]); !ok {
		return zab.Membership{}, false
	}
	return m, true
}
