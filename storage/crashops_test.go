package storage

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/zkmesh/zkmesh/zab"
)

// diskState is what a restart sees, or what the model expects.
type diskState struct {
	snap    zab.Zxid
	hasSnap bool
	log     []zab.Entry
	hs      zab.HardState
}

// inflight describes the operation the power loss interrupted, as the
// set of states a restart may legitimately find.
type inflight struct {
	name  string
	allow func(old, got diskState) error
}

func sameLog(a, b []zab.Entry) bool { return sameEntries(a, b) == nil }

func exactly(old, got diskState) error {
	if got.snap != old.snap || got.hasSnap != old.hasSnap || got.hs != old.hs || !sameLog(got.log, old.log) {
		return fmt.Errorf("state changed: got snap %v/%v hs %+v %d entries, want snap %v/%v hs %+v %d entries",
			got.snap, got.hasSnap, got.hs, len(got.log), old.snap, old.hasSnap, old.hs, len(old.log))
	}
	return nil
}

// TestCrashDuringEveryOperation runs a seeded sequence of every write the
// driver makes (append+sync, epochs, snapshot, truncate, SNAP, purge),
// cuts the power at a seeded point, and checks that the restart finds the
// state before the interrupted operation, after it, or (for operations
// that are not atomic by nature) one of the documented states in between.
func TestCrashDuringEveryOperation(t *testing.T) {
	seeds := 300
	if raceEnabled {
		seeds = 150
	}
	if testing.Short() {
		seeds = 50
	}
	for seed := 0; seed < seeds; seed++ {
		if err := crashOpsRun(uint64(seed)); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
	}
}

func readState(s *Store) (diskState, error) {
	var st diskState
	snap, err := s.Snapshot()
	switch {
	case err == nil:
		if string(snap.Data) != snap.Zxid.String() {
			return st, fmt.Errorf("snapshot %v holds %q", snap.Zxid, snap.Data)
		}
		st.snap, st.hasSnap = snap.Zxid, true
	case !errors.Is(err, zab.ErrNoSnapshot):
		return st, err
	}
	first, _ := s.FirstZxid()
	after, _ := s.LastZxid()
	if first > 0 {
		after = first - 1
	}
	if err := s.Replay(after, func(e zab.Entry) error { st.log = append(st.log, e); return nil }); err != nil {
		return st, err
	}
	// The log must continue the snapshot.
	if err := s.Replay(st.snap, func(zab.Entry) error { return nil }); err != nil {
		return st, fmt.Errorf("log does not continue snapshot %v: %w", st.snap, err)
	}
	st.hs, _ = s.HardState()
	return st, nil
}

func crashOpsRun(seed uint64) error {
	rng := rand.New(rand.NewPCG(seed, 7))
	m := NewMemFS(seed)
	cfg := smallConfig(testDir)
	cfg.SegmentMaxEntries = 3 + rng.IntN(10)
	cfg.WriteBufferBytes = 16 + rng.IntN(512)
	if seed%2 == 1 {
		cfg.SnapDir = "/snap" // snapshots and epochs apart from the log
	}
	s, err := Open(m, cfg)
	if err != nil {
		return err
	}
	model := diskState{}
	epoch, counter := uint32(1), uint32(0)
	m.CrashAfter(rng.Int64N(250))
	var cut *inflight
	for i := 0; i < 80 && cut == nil; i++ {
		old := model
		switch k := rng.IntN(10); {
		case k < 5: // append and sync
			var ents []zab.Entry
			for j := rng.IntN(6); j >= 0; j-- {
				counter++
				ents = append(ents, entry(zab.MakeZxid(epoch, counter), rng.IntN(200)))
			}
			err := s.Append(ents)
			if err == nil {
				err = s.Sync()
			}
			if err != nil {
				cut = &inflight{"append", func(old, got diskState) error {
					if got.snap != old.snap || got.hs != old.hs || len(got.log) < len(old.log) ||
						!sameLog(got.log, append(append([]zab.Entry(nil), old.log...), ents...)[:len(got.log)]) {
						return fmt.Errorf("not the old log plus a prefix of the batch")
					}
					return nil
				}}
				break
			}
			model.log = append(model.log, ents...)
		case k == 5: // epochs
			hs := zab.HardState{AcceptedEpoch: old.hs.AcceptedEpoch + 1, CurrentEpoch: old.hs.CurrentEpoch + uint32(rng.IntN(2))}
			if err := s.SetHardState(hs); err != nil {
				cut = &inflight{"epochs", func(old, got diskState) error {
					mixed := zab.HardState{AcceptedEpoch: hs.AcceptedEpoch, CurrentEpoch: old.hs.CurrentEpoch}
					if got.hs != old.hs && got.hs != hs && got.hs != mixed {
						return fmt.Errorf("hard state %+v, from %+v to %+v", got.hs, old.hs, hs)
					}
					return exactly(old, diskState{old.snap, old.hasSnap, got.log, old.hs})
				}}
				break
			}
			model.hs = hs
		case k == 6: // local snapshot at the end of the log
			if len(old.log) == 0 {
				continue
			}
			z := old.log[len(old.log)-1].Zxid
			if err := s.SaveSnapshot(zab.Snapshot{Zxid: z, Data: []byte(z.String())}); err != nil {
				cut = &inflight{"snapshot", func(old, got diskState) error {
					if got.snap == z && got.hasSnap {
						got.snap, got.hasSnap = old.snap, old.hasSnap
					}
					return exactly(old, got)
				}}
				break
			}
			model.snap, model.hasSnap = z, true
		case k == 7: // truncate, not below the snapshot
			if len(old.log) == 0 {
				continue
			}
			keep := rng.IntN(len(old.log) + 1)
			after := old.snap
			if keep > 0 && old.log[keep-1].Zxid > after {
				after = old.log[keep-1].Zxid
			}
			n := 0
			for n < len(old.log) && old.log[n].Zxid <= after {
				n++
			}
			if err := s.Truncate(after); err != nil {
				cut = &inflight{"truncate", func(old, got diskState) error {
					if len(got.log) < n || len(got.log) > len(old.log) || !sameLog(got.log, old.log[:len(got.log)]) {
						return fmt.Errorf("%d entries, want a prefix of %d of at least %d", len(got.log), len(old.log), n)
					}
					got.log = old.log
					return exactly(old, got)
				}}
				break
			}
			model.log = old.log[:n]
			if n > 0 {
				counter = model.log[n-1].Zxid.Counter()
			} else if old.hasSnap {
				counter = old.snap.Counter()
			}
			if n > 0 && model.log[n-1].Zxid.Epoch() != epoch || n == 0 && old.snap.Epoch() != epoch {
				epoch++ // never reuse a zxid of another history
				counter = 0
			}
		case k == 8: // SNAP from a leader of a new epoch
			epoch++
			counter = uint32(rng.IntN(5))
			z := zab.MakeZxid(epoch, counter)
			if err := s.ApplySnapshot(zab.Snapshot{Zxid: z, Data: []byte(z.String())}, true); err != nil {
				cut = &inflight{"snap sync", func(old, got diskState) error {
					if got.hasSnap && got.snap == z {
						if len(got.log) != 0 || got.hs != old.hs {
							return fmt.Errorf("SNAP installed but %d old entries remain", len(got.log))
						}
						return nil
					}
					return exactly(old, got)
				}}
				break
			}
			model.snap, model.hasSnap, model.log = z, true, nil
		default: // purge
			if err := s.Purge(1 + rng.IntN(2)); err != nil {
				cut = &inflight{"purge", func(old, got diskState) error {
					if d := len(old.log) - len(got.log); d < 0 || !sameLog(got.log, old.log[d:]) {
						return fmt.Errorf("%d entries, want a suffix of the %d", len(got.log), len(old.log))
					}
					got.log = old.log
					return exactly(old, got)
				}}
				break
			}
			first, _ := s.FirstZxid()
			for len(model.log) > 0 && model.log[0].Zxid < first {
				model.log = model.log[1:]
			}
		}
		if cut == nil {
			if err := s.checkInvariants(); err != nil {
				return fmt.Errorf("op %d: %w", i, err)
			}
			got, err := readState(s)
			if err != nil {
				return fmt.Errorf("op %d: %w", i, err)
			}
			if err := exactly(model, got); err != nil {
				return fmt.Errorf("op %d, live store: %w", i, err)
			}
		}
	}
	s.Close()
	m.Crash()
	s, err = Open(m, cfg)
	if err != nil {
		return fmt.Errorf("Open after crash: %w", err)
	}
	defer s.Close()
	if err := s.checkInvariants(); err != nil {
		return fmt.Errorf("after crash: %w", err)
	}
	got, err := readState(s)
	if err != nil {
		return fmt.Errorf("after crash: %w", err)
	}
	if cut == nil {
		return exactly(model, got)
	}
	if err := cut.allow(model, got); err != nil {
		return fmt.Errorf("crash during %s: %w", cut.name, err)
	}
	return nil
}
