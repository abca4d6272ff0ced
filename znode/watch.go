package znode

import (
	"sort"

	"github.com/zkmesh/zkmesh/jute"
)

// Watcher receives watch events. Client sessions implement it.
//
// Event is called while the Tree holds its write lock, in zxid order, before
// the reply to the write that caused it is produced and before any later read
// can see the change. It must not block and must not call back into the Tree.
// AuthIDs and SessionID may be called at the same moment, from the same
// goroutine.
type Watcher interface {
	Event(ev Event)
	AuthIDs() []jute.Id
	SessionID() int64
}

// Event is one watch notification.
type Event struct {
	Type jute.EventType
	Path string
	// Zxid is the txn that caused the event, or -1 for events synthesized
	// when watches are re-armed (setWatches).
	Zxid int64
}

// watchMode is a bit set of the ways a watcher watches one path.
type watchMode uint8

const (
	modeStandard watchMode = 1 << iota
	modePersistent
	modeRecursive
)

// watchTable maps paths to watchers and back, for one kind of watch (data or
// child), like ZooKeeper's WatchManager.
//
// Invariant: byPath[p][w] == byWatcher[w][p] for every registration, and no
// entry holds a zero mode.
type watchTable struct {
	byPath    map[string]map[Watcher]watchMode
	byWatcher map[Watcher]map[string]watchMode
	recursive int // registrations that include modeRecursive
}

func newWatchTable() *watchTable {
	return &watchTable{
		byPath:    make(map[string]map[Watcher]watchMode),
		byWatcher: make(map[Watcher]map[string]watchMode),
	}
}

func (t *watchTable) set(path string, w Watcher, m watchMode) {
	old := t.byPath[path][w]
	if m == old {
		return
	}
	if old&modeRecursive != 0 {
		t.recursive--
	}
	if m&modeRecursive != 0 {
		t.recursive++
	}
	if m == 0 {
		delete(t.byPath[path], w)
		if len(t.byPath[path]) == 0 {
			delete(t.byPath, path)
		}
		delete(t.byWatcher[w], path)
		if len(t.byWatcher[w]) == 0 {
			delete(t.byWatcher, w)
		}
		return
	}
	if t.byPath[path] == nil {
		t.byPath[path] = make(map[Watcher]watchMode)
	}
	t.byPath[path][w] = m
	if t.byWatcher[w] == nil {
		t.byWatcher[w] = make(map[string]watchMode)
	}
	t.byWatcher[w][path] = m
}

func (t *watchTable) add(path string, w Watcher, m watchMode) {
	t.set(path, w, t.byPath[path][w]|m)
}

// trigger collects the watchers to notify of an event of type typ at path,
// consuming standard (one-shot) watches, as ZooKeeper 3.8's
// WatchManager.triggerWatch does: watches on path itself fire in every
// mode, watches on its ancestors only when recursive, and recursive
// watches never fire for NodeChildrenChanged.
func (t *watchTable) trigger(path string, typ jute.EventType, into map[Watcher]struct{}) {
	children := typ == jute.EventNodeChildrenChanged
	for w, m := range t.byPath[path] {
		if children && m == modeRecursive {
			continue
		}
		into[w] = struct{}{}
		if m&modeStandard != 0 {
			t.set(path, w, m&^modeStandard)
		}
	}
	if t.recursive == 0 || children {
		return
	}
	for p := path; p != "/"; {
		p, _ = splitPath(p)
		for w, m := range t.byPath[p] {
			if m&modeRecursive != 0 {
				into[w] = struct{}{}
			}
		}
	}
}

func (t *watchTable) removeWatcher(w Watcher) {
	for p := range t.byWatcher[w] {
		t.set(p, w, 0)
	}
}

// count counts (path, watcher) pairs, leaving out the server's own
// watchers (session 0).
func (t *watchTable) count() int {
	n := 0
	for _, ws := range t.byPath {
		for w := range ws {
			if w.SessionID() != 0 {
				n++
			}
		}
	}
	return n
}

// WatchReport is a point-in-time view of the watch registry, for the wchs,
// wchc and wchp four-letter words.
type WatchReport struct {
	// ByPath maps each watched path to the sessions watching it, sorted.
	ByPath map[string][]int64
	// BySession maps each session to the paths it watches, sorted.
	BySession map[int64][]string
	// Watches counts (path, watcher) pairs over data and child watches.
	Watches int
}

func addReport(r *WatchReport, t *watchTable) {
	for p, ws := range t.byPath {
		for w := range ws {
			sid := w.SessionID()
			if sid == 0 {
				continue // the server's own watchers belong to no session
			}
			if !containsInt64(r.ByPath[p], sid) {
				r.ByPath[p] = append(r.ByPath[p], sid)
			}
			if !containsString(r.BySession[sid], p) {
				r.BySession[sid] = append(r.BySession[sid], p)
			}
		}
	}
}

func containsInt64(v []int64, x int64) bool {
	for _, y := range v {
		if y == x {
			return true
		}
	}
	return false
}

func containsString(v []string, x string) bool {
	for _, y := range v {
		if y == x {
			return true
		}
	}
	return false
}

func sortReport(r *WatchReport) {
	for _, v := range r.ByPath {
		sort.Slice(v, func(i, j int) bool { return v[i] < v[j] })
	}
	for _, v := range r.BySession {
		sort.Strings(v)
	}
}
