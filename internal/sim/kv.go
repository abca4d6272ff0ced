package sim

import (
	"encoding/json"
	"fmt"
	"hash/fnv"

	"github.com/zkmesh/zkmesh/zab"
)

// KV is the simulator's state machine: txns are opaque bytes, applied in
// order into a running digest, a count and the last value per key (the
// bytes up to '=' name the key). A configuration txn (see ConfigOf) also
// sets the membership, as of Last, and counts in Configs.
type KV struct {
	Count  uint64
	Digest uint64
	Last   zab.Zxid
	Vals   map[string]string
	// Members is the membership as of Last: the latest valid configuration
	// applied, or the one the member booted with.
	Members zab.Membership
	// Configs counts the configuration txns applied.
	Configs int
}

var _ zab.StateMachine = (*KV)(nil)

// NewKV returns an empty KV.
func NewKV() *KV { return &KV{Vals: map[string]string{}} }

// Apply applies e.
func (k *KV) Apply(e zab.Entry) {
	k.Count++
	k.Digest = chain(k.Digest, e)
	k.Last = e.Zxid
	key, val := string(e.Data), ""
	for i, c := range e.Data {
		if c == '=' {
			key, val = string(e.Data[:i]), string(e.Data[i+1:])
			break
		}
	}
	k.Vals[key] = val
	if m, ok := ConfigOf(e.Data); ok {
		k.Configs++
		if m.Validate() == nil {
			k.Members = m.Clone()
		}
	}
}

func chain(d uint64, e zab.Entry) uint64 {
	h := fnv.New64a()
	var b [16]byte
	for i := 0; i < 8; i++ {
		b[i] = byte(d >> (8 * i))
		b[8+i] = byte(uint64(e.Zxid) >> (8 * i))
	}
	h.Write(b[:])
	h.Write(e.Data)
	return h.Sum64()
}

// Snapshot implements zab.StateMachine.
func (k *KV) Snapshot() (zab.Snapshot, error) {
	b, err := json.Marshal(k)
	if err != nil {
		return zab.Snapshot{}, err
	}
	return zab.Snapshot{Zxid: k.Last, Data: b}, nil
}

// RestoreKV rebuilds a KV from a snapshot.
func RestoreKV(s zab.Snapshot) (*KV, error) {
	k := NewKV()
	if err := json.Unmarshal(s.Data, k); err != nil {
		return nil, fmt.Errorf("sim: bad snapshot: %w", err)
	}
	if k.Vals == nil {
		k.Vals = map[string]string{}
	}
	if k.Last != s.Zxid {
		return nil, fmt.Errorf("sim: snapshot says %s, image says %s", s.Zxid, k.Last)
	}
	return k, nil
}
