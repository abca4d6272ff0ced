package storage

import (
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"sync"
)

// MemFS is an in-memory FS that models what survives a power loss.
//
// Each file keeps its current bytes and the bytes its last Sync made
// durable; each directory keeps its current names and the names its last
// SyncDir made durable. Crash throws away everything not made durable,
// and, decided by the seeded source, may keep a torn prefix of the unsynced
// writes to the file written last (possibly with its last bytes replaced by
// garbage, as a torn sector would). CrashAfter arms a crash point: after n
// more mutating operations every call fails with ErrPowerLoss until Crash.
// FailWrites and FailSyncs inject errors such as ENOSPC.
//
// MemFS is safe for concurrent use. Directories passed to MkdirAll are
// durable at once.
type MemFS struct {
	mu  sync.Mutex
	rng *rand.Rand
	// dirs maps a cleaned directory path to its entries.
	dirs map[string]*memDir
	// era is bumped by Crash; handles from an older era are stale.
	era uint64
	// opsLeft counts mutating operations until the armed crash point; -1
	// when none is armed.
	opsLeft int64
	down    bool
	// last is the inode written most recently (the candidate for a tear).
	last      *memInode
	writeErr  error
	syncErr   error
	syncCount uint64
	syncHook  func()
	locked    map[string]bool
}

type memDir struct {
	cur, durable map[string]*memInode
}

type memInode struct {
	data    []byte
	durable []byte
	// pending lists the writes and truncations since the last Sync, in
	// order.
	pending []memOp
}

type memOp struct {
	trunc bool
	off   int64 // write offset, or new length for a truncation
	data  []byte
}

// NewMemFS returns an empty MemFS whose crash decisions come from seed.
func NewMemFS(seed uint64) *MemFS {
	return &MemFS{
		rng:     rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		dirs:    map[string]*memDir{},
		opsLeft: -1,
	}
}

var (
	_ FS     = (*MemFS)(nil)
	_ Locker = (*MemFS)(nil)
)

// Lock implements Locker. Locks do not survive Crash (a restarted
// process holds none).
func (m *MemFS) Lock(dir string) (io.Closer, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	dir = filepath.Clean(dir)
	if m.locked == nil {
		m.locked = map[string]bool{}
	}
	if m.locked[dir] {
		return nil, fmt.Errorf("%w: %s", ErrLocked, dir)
	}
	m.locked[dir] = true
	return &memLock{m: m, dir: dir, era: m.era}, nil
}

type memLock struct {
	m    *MemFS
	dir  string
	era  uint64
	done bool
}

func (l *memLock) Close() error {
	l.m.mu.Lock()
	defer l.m.mu.Unlock()
	if !l.done && l.era == l.m.era {
		delete(l.m.locked, l.dir)
	}
	l.done = true
	return nil
}

// CrashAfter arms a power loss: n more mutating operations (write,
// truncate, sync, create, rename, remove, directory sync) succeed, then
// every operation fails with ErrPowerLoss until Crash. n < 0 disarms.
func (m *MemFS) CrashAfter(n int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.opsLeft = n
}

// FailWrites makes every later write, truncation and preallocation fail
// with err (nil clears it), like a full disk.
func (m *MemFS) FailWrites(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.writeErr = err
}

// FailSyncs makes every later file Sync and SyncDir fail with err (nil
// clears it).
func (m *MemFS) FailSyncs(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.syncErr = err
}

// SetSyncHook makes every file Sync call hook first, without MemFS's lock
// held, so a test can hold an fsync "in flight". nil removes it.
func (m *MemFS) SetSyncHook(hook func()) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.syncHook = hook
}

// Syncs returns how many file Syncs have succeeded.
func (m *MemFS) Syncs() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.syncCount
}

// Crash simulates a power loss and restart: every directory reverts to its
// durable names, every file to its durable bytes, except that the file
// written last may keep a torn prefix of its unsynced writes. Open handles
// become stale. The armed crash point is cleared.
func (m *MemFS) Crash() {
	m.mu.Lock()
	defer m.mu.Unlock()
	var torn []byte
	tearIt := m.last != nil && len(m.last.pending) > 0 && m.rng.IntN(2) == 0
	if tearIt {
		torn = m.tear(m.last)
	}
	seen := map[*memInode]*memInode{}
	for _, d := range m.dirs {
		d.cur = map[string]*memInode{}
		for name, ino := range d.durable {
			n, ok := seen[ino]
			if !ok {
				data := ino.durable
				if tearIt && ino == m.last {
					data = torn
				}
				b := append([]byte(nil), data...)
				n = &memInode{data: b, durable: append([]byte(nil), b...)}
				seen[ino] = n
			}
			d.cur[name] = n
			d.durable[name] = n
		}
	}
	m.last = nil
	m.locked = nil
	m.era++
	m.down = false
	m.opsLeft = -1
}

// tear returns ino's durable bytes with a seeded prefix of its pending
// operations applied, the last of them possibly cut short and possibly
// ending in garbage.
func (m *MemFS) tear(ino *memInode) []byte {
	b := append([]byte(nil), ino.durable...)
	k := 1 + m.rng.IntN(len(ino.pending))
	for i, op := range ino.pending[:k] {
		if op.trunc {
			b = resize(b, op.off)
			continue
		}
		data := op.data
		if i == k-1 {
			data = append([]byte(nil), data[:m.rng.IntN(len(data)+1)]...)
			if g := len(data); g > 0 && m.rng.IntN(3) == 0 {
				from := m.rng.IntN(g)
				for j := from; j < g; j++ {
					data[j] = byte(m.rng.Uint32())
				}
			}
		}
		b = writeAt(b, data, op.off)
	}
	return b
}

func resize(b []byte, n int64) []byte {
	if int64(len(b)) >= n {
		return b[:n]
	}
	return append(b, make([]byte, n-int64(len(b)))...)
}

func writeAt(b, p []byte, off int64) []byte {
	if end := off + int64(len(p)); end > int64(len(b)) {
		b = resize(b, end)
	}
	copy(b[off:], p)
	return b
}

// step accounts one mutating operation; the caller holds m.mu.
func (m *MemFS) step() error {
	if m.down {
		return ErrPowerLoss
	}
	if m.opsLeft == 0 {
		m.down = true
		return ErrPowerLoss
	}
	if m.opsLeft > 0 {
		m.opsLeft--
	}
	return nil
}

func (m *MemFS) dir(name string) (*memDir, string, error) {
	d, ok := m.dirs[filepath.Dir(filepath.Clean(name))]
	if !ok {
		return nil, "", &os.PathError{Op: "open", Path: name, Err: os.ErrNotExist}
	}
	return d, filepath.Base(name), nil
}

// Create implements FS.
func (m *MemFS) Create(name string) (File, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.step(); err != nil {
		return nil, err
	}
	d, base, err := m.dir(name)
	if err != nil {
		return nil, err
	}
	ino := &memInode{}
	d.cur[base] = ino
	return &memFile{fs: m, ino: ino, era: m.era, name: name}, nil
}

// Open implements FS.
func (m *MemFS) Open(name string) (File, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.down {
		return nil, ErrPowerLoss
	}
	d, base, err := m.dir(name)
	if err != nil {
		return nil, err
	}
	ino, ok := d.cur[base]
	if !ok {
		return nil, &os.PathError{Op: "open", Path: name, Err: os.ErrNotExist}
	}
	return &memFile{fs: m, ino: ino, era: m.era, name: name}, nil
}

// Rename implements FS.
func (m *MemFS) Rename(oldname, newname string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.step(); err != nil {
		return err
	}
	od, ob, err := m.dir(oldname)
	if err != nil {
		return err
	}
	nd, nb, err := m.dir(newname)
	if err != nil {
		return err
	}
	ino, ok := od.cur[ob]
	if !ok {
		return &os.PathError{Op: "rename", Path: oldname, Err: os.ErrNotExist}
	}
	delete(od.cur, ob)
	nd.cur[nb] = ino
	return nil
}

// Remove implements FS.
func (m *MemFS) Remove(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.step(); err != nil {
		return err
	}
	d, base, err := m.dir(name)
	if err != nil {
		return err
	}
	if _, ok := d.cur[base]; !ok {
		return &os.PathError{Op: "remove", Path: name, Err: os.ErrNotExist}
	}
	delete(d.cur, base)
	return nil
}

// ReadDir implements FS.
func (m *MemFS) ReadDir(dir string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.down {
		return nil, ErrPowerLoss
	}
	d, ok := m.dirs[filepath.Clean(dir)]
	if !ok {
		return nil, &os.PathError{Op: "readdir", Path: dir, Err: os.ErrNotExist}
	}
	names := make([]string, 0, len(d.cur))
	for n := range d.cur {
		names = append(names, n)
	}
	sort.Strings(names)
	return names, nil
}

// MkdirAll implements FS. The directory is durable at once.
func (m *MemFS) MkdirAll(dir string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.down {
		return ErrPowerLoss
	}
	dir = filepath.Clean(dir)
	if _, ok := m.dirs[dir]; !ok {
		m.dirs[dir] = &memDir{cur: map[string]*memInode{}, durable: map[string]*memInode{}}
	}
	return nil
}

// SyncDir implements FS.
func (m *MemFS) SyncDir(dir string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.step(); err != nil {
		return err
	}
	if m.syncErr != nil {
		return m.syncErr
	}
	d, ok := m.dirs[filepath.Clean(dir)]
	if !ok {
		return &os.PathError{Op: "syncdir", Path: dir, Err: os.ErrNotExist}
	}
	d.durable = make(map[string]*memInode, len(d.cur))
	for n, ino := range d.cur {
		d.durable[n] = ino
	}
	return nil
}

// memFile is a handle on a MemFS inode.
type memFile struct {
	fs     *MemFS
	ino    *memInode
	era    uint64
	name   string
	closed bool
}

var (
	_ File         = (*memFile)(nil)
	_ Preallocator = (*memFile)(nil)
)

// check validates the handle; the caller holds fs.mu.
func (f *memFile) check() error {
	switch {
	case f.fs.down:
		return ErrPowerLoss
	case f.era != f.fs.era:
		return ErrStaleHandle
	case f.closed:
		return os.ErrClosed
	}
	return nil
}

func (f *memFile) ReadAt(p []byte, off int64) (int, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if err := f.check(); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, fmt.Errorf("memfs: negative offset %d", off)
	}
	if off >= int64(len(f.ino.data)) {
		return 0, io.EOF
	}
	n := copy(p, f.ino.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (f *memFile) WriteAt(p []byte, off int64) (int, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if err := f.check(); err != nil {
		return 0, err
	}
	if err := f.fs.step(); err != nil {
		return 0, err
	}
	if f.fs.writeErr != nil {
		return 0, f.fs.writeErr
	}
	if off < 0 {
		return 0, fmt.Errorf("memfs: negative offset %d", off)
	}
	d := append([]byte(nil), p...)
	f.ino.data = writeAt(f.ino.data, d, off)
	f.ino.pending = append(f.ino.pending, memOp{off: off, data: d})
	f.fs.last = f.ino
	return len(p), nil
}

func (f *memFile) Truncate(size int64) error {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if err := f.check(); err != nil {
		return err
	}
	if err := f.fs.step(); err != nil {
		return err
	}
	if f.fs.writeErr != nil {
		return f.fs.writeErr
	}
	f.ino.data = resize(f.ino.data, size)
	f.ino.pending = append(f.ino.pending, memOp{trunc: true, off: size})
	f.fs.last = f.ino
	return nil
}

func (f *memFile) Preallocate(off, n int64) error {
	f.fs.mu.Lock()
	cur := int64(len(f.ino.data))
	f.fs.mu.Unlock()
	if off+n <= cur {
		return nil
	}
	return f.Truncate(off + n)
}

func (f *memFile) Sync() error {
	f.fs.mu.Lock()
	hook := f.fs.syncHook
	f.fs.mu.Unlock()
	if hook != nil {
		hook()
	}
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if err := f.check(); err != nil {
		return err
	}
	if err := f.fs.step(); err != nil {
		return err
	}
	if f.fs.syncErr != nil {
		return f.fs.syncErr
	}
	f.ino.durable = append(f.ino.durable[:0:0], f.ino.data...)
	f.ino.pending = nil
	f.fs.syncCount++
	return nil
}

func (f *memFile) Size() (int64, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if err := f.check(); err != nil {
		return 0, err
	}
	return int64(len(f.ino.data)), nil
}

func (f *memFile) Close() error {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if f.closed {
		return os.ErrClosed
	}
	f.closed = true
	return nil
}
