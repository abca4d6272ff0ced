package sim

import (
	"errors"
	"math/rand"

	"github.com/zkmesh/zkmesh/zab"
)

// logUnit is one atomic unit of a log write: a snapshot install, a
// truncation, or one appended entry.
type logUnit struct {
	snap  *zab.Snapshot
	trunc *zab.Zxid
	ent   *zab.Entry
}

// Disk is a storage double that knows what was fsync'd. Writes land in a
// live view at once (the page cache) and reach the durable view on Sync.
// A Crash keeps only what was synced, plus a random prefix of the unsynced
// log writes (the rest lost or torn) and, independently, maybe the unsynced
// hard state.
type Disk struct {
	durable *zab.MemoryStorage
	live    *zab.MemoryStorage
	pending []logUnit
	hs      *zab.HardState
}

// NewDisk returns an empty disk.
func NewDisk() *Disk {
	return &Disk{durable: zab.NewMemoryStorage(), live: zab.NewMemoryStorage()}
}

// Storage is the view zab reads.
func (d *Disk) Storage() *zab.MemoryStorage { return d.live }

// Write performs rd's writes without syncing them.
func (d *Disk) Write(rd zab.Ready) error {
	if rd.Snapshot != nil {
		s := *rd.Snapshot
		d.pending = append(d.pending, logUnit{snap: &s})
		if err := d.live.ApplySnapshot(s, true); err != nil {
			return err
		}
	}
	if rd.Truncate != nil {
		t := *rd.Truncate
		d.pending = append(d.pending, logUnit{trunc: &t})
		if err := d.live.Truncate(t); err != nil {
			return err
		}
	}
	for i := range rd.Entries {
		e := rd.Entries[i]
		d.pending = append(d.pending, logUnit{ent: &e})
	}
	if err := d.live.Append(rd.Entries); err != nil {
		return err
	}
	if rd.HardState != nil {
		hs := *rd.HardState
		d.hs = &hs
		if err := d.live.SetHardState(hs); err != nil {
			return err
		}
	}
	return nil
}

func apply(m *zab.MemoryStorage, u logUnit) error {
	switch {
	case u.snap != nil:
		return m.ApplySnapshot(*u.snap, true)
	case u.trunc != nil:
		return m.Truncate(*u.trunc)
	default:
		return m.Append([]zab.Entry{*u.ent})
	}
}

// Sync makes every write durable.
func (d *Disk) Sync() error {
	for _, u := range d.pending {
		if err := apply(d.durable, u); err != nil {
			return err
		}
	}
	d.pending = nil
	if d.hs != nil {
		if err := d.durable.SetHardState(*d.hs); err != nil {
			return err
		}
		d.hs = nil
	}
	return nil
}

// Unsynced reports whether writes are waiting for Sync.
func (d *Disk) Unsynced() bool { return len(d.pending) > 0 || d.hs != nil }

// Crash loses unsynced writes: it keeps a prefix of keep log units (keep
// < 0 draws it from r) and the unsynced hard state if keepHS. It returns
// how many units it kept and lost.
func (d *Disk) Crash(r *rand.Rand, keep int, keepHS bool) (kept, lost int, err error) {
	if keep < 0 {
		keep = r.Intn(len(d.pending) + 1)
	}
	keep = min(keep, len(d.pending))
	for _, u := range d.pending[:keep] {
		if err := apply(d.durable, u); err != nil {
			return 0, 0, err
		}
	}
	if keepHS && d.hs != nil {
		if err := d.durable.SetHardState(*d.hs); err != nil {
			return 0, 0, err
		}
	}
	lost = len(d.pending) - keep
	d.pending, d.hs = nil, nil
	d.live, err = clone(d.durable)
	return keep, lost, err
}

func clone(m *zab.MemoryStorage) (*zab.MemoryStorage, error) {
	c := zab.NewMemoryStorage()
	hs, _ := m.HardState()
	if err := c.SetHardState(hs); err != nil {
		return nil, err
	}
	after := zab.Zxid(0)
	snap, err := m.Snapshot()
	switch {
	case err == nil:
		if err := c.ApplySnapshot(snap, true); err != nil {
			return nil, err
		}
		after = snap.Zxid
	case !errors.Is(err, zab.ErrNoSnapshot):
		return nil, err
	}
	ents, err := m.Entries(after, 0)
	if err != nil {
		return nil, err
	}
	return c, c.Append(ents)
}

// Zxids lists the zxids of the durable log (after the snapshot, if any).
func Zxids(m *zab.MemoryStorage) (snap zab.Zxid, zs []zab.Zxid) {
	if s, err := m.Snapshot(); err == nil {
		snap = s.Zxid
	}
	ents, _ := m.Entries(snap, 0)
	for _, e := range ents {
		zs = append(zs, e.Zxid)
	}
	return snap, zs
}
