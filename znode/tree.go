package znode

import (
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/zkmesh/zkmesh/jute"
)

// Tree is the in-memory data tree of one replica.
//
// Reads may run from any goroutine at the same time. Apply must be called
// from one goroutine at a time, in zxid order, with committed txns only.
// A read that registers a watch does so atomically with the read, so no
// change between the read and the registration can be missed.
type Tree struct {
	mu sync.RWMutex
	// Invariant: every key is a valid path, "/" is always present, and every
	// node but "/" has its parent in nodes listing it as a child.
	nodes      map[string]*node
	ephemerals map[int64]map[string]struct{}
	containers map[string]struct{}
	ttls       map[string]struct{}
	// sessions maps live session ids to their negotiated timeout (ms).
	sessions map[int64]int32
	lastZxid int64
	dataSize int64
	// wmu serializes access to the watch tables by holders of mu's read
	// lock: reads register watches under the read lock, so that many reads
	// run at once. Holders of mu's write lock need not take it.
	wmu          sync.Mutex
	dataWatches  *watchTable
	childWatches *watchTable
	// acls interns ACL lists, which nodes share (ZooKeeper's aclCache):
	// most of a tree has one or two distinct ACLs. Guarded by mu (write).
	acls map[string][]jute.ACL
}

// maxInternedACLs bounds acls; ACL lists beyond it are kept per node.
const maxInternedACLs = 4096

// internACL returns the shared copy of acl. Callers hold mu for writing
// (or own the tree alone).
func (t *Tree) internACL(acl []jute.ACL) []jute.ACL {
	var b strings.Builder
	for _, a := range acl {
		b.WriteString(strconv.Itoa(int(a.Perms)))
		b.WriteByte(0)
		b.WriteString(a.ID.Scheme)
		b.WriteByte(0)
		b.WriteString(a.ID.ID)
		b.WriteByte(0)
	}
	key := b.String()
	if shared, ok := t.acls[key]; ok {
		return shared
	}
	if t.acls == nil {
		t.acls = make(map[string][]jute.ACL)
	}
	if len(t.acls) < maxInternedACLs {
		t.acls[key] = acl
	}
	return acl
}

// addWatchRLocked registers a watch while t.mu is held for reading.
func (t *Tree) addWatchRLocked(tab *watchTable, path string, w Watcher) {
	t.wmu.Lock()
	tab.add(path, w, modeStandard)
	t.wmu.Unlock()
}

// System paths that every tree has, as ZooKeeper's DataTree creates them.
const (
	ZookeeperPath = "/zookeeper"
	QuotaPath     = "/zookeeper/quota"
	ConfigPath    = "/zookeeper/config"
)

// NewTree returns a tree with the root and ZooKeeper's system nodes.
func NewTree() *Tree {
	t := &Tree{
		nodes:        make(map[string]*node),
		ephemerals:   make(map[int64]map[string]struct{}),
		containers:   make(map[string]struct{}),
		ttls:         make(map[string]struct{}),
		sessions:     make(map[int64]int32),
		dataWatches:  newWatchTable(),
		childWatches: newWatchTable(),
	}
	t.nodes["/"] = &node{data: []byte{}, acl: jute.OpenACLUnsafe}
	for _, p := range []string{ZookeeperPath, QuotaPath, ConfigPath} {
		acl := jute.OpenACLUnsafe
		if p == ConfigPath {
			acl = jute.ReadACLUnsafe
		}
		t.nodes[p] = &node{data: []byte{}, acl: acl}
		parent, name := splitPath(p)
		t.nodes[parent].addChild(name)
	}
	// Like DataTree.approximateDataSize, the size counts every node's path,
	// the root and system nodes included.
	for p, n := range t.nodes {
		t.dataSize += int64(len(p) + len(n.data))
	}
	return t
}

// LastZxid returns the zxid of the last txn applied.
func (t *Tree) LastZxid() int64 {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.lastZxid
}

// Sessions returns the live sessions and their timeouts (ms).
func (t *Tree) Sessions() map[int64]int32 {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make(map[int64]int32, len(t.sessions))
	for k, v := range t.sessions {
		out[k] = v
	}
	return out
}

// HasSession reports whether id is a live session.
func (t *Tree) HasSession(id int64) bool {
	t.mu.RLock()
	defer t.mu.RUnlock()
	_, ok := t.sessions[id]
	return ok
}

// readable returns the node at path if ids hold any of perm on it. The
// caller holds mu.
func (t *Tree) readable(path string, perm jute.Perm, ids []jute.Id) (*node, error) {
	n := t.nodes[path]
	if n == nil {
		return nil, ErrNoNode
	}
	if !CheckACL(n.acl, perm, ids) {
		return nil, ErrNoAuth
	}
	return n, nil
}

// GetData returns a node's data and Stat after checking READ permission.
// A non-nil w registers a data watch.
func (t *Tree) GetData(path string, ids []jute.Id, w Watcher) ([]byte, jute.Stat, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	n, err := t.readable(path, jute.PermRead, ids)
	if err != nil {
		return nil, jute.Stat{}, err
	}
	if w != nil {
		t.addWatchRLocked(t.dataWatches, path, w)
	}
	return n.data, n.clientStat(), nil
}

// Exists returns a node's Stat. A non-nil w registers a watch whether or not
// the node exists (an exist watch). Like ZooKeeper 3.8.0 it checks no ACL.
func (t *Tree) Exists(path string, ids []jute.Id, w Watcher) (jute.Stat, error) {
	if strings.IndexByte(path, 0) >= 0 {
		return jute.Stat{}, ErrBadArguments
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	// ZooKeeper 3.8.0 checks no permission for exists; ids is kept for
	// the day that changes (later releases check READ).
	_ = ids
	n := t.nodes[path]
	if w != nil {
		t.addWatchRLocked(t.dataWatches, path, w)
	}
	if n == nil {
		return jute.Stat{}, ErrNoNode
	}
	return n.clientStat(), nil
}

// GetChildren returns the sorted child names and the Stat of a node after
// checking READ. A non-nil w registers a child watch.
func (t *Tree) GetChildren(path string, ids []jute.Id, w Watcher) ([]string, jute.Stat, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	n, err := t.readable(path, jute.PermRead, ids)
	if err != nil {
		return nil, jute.Stat{}, err
	}
	if w != nil {
		t.addWatchRLocked(t.childWatches, path, w)
	}
	return n.sortedChildren(), n.clientStat(), nil
}

// GetACL returns a node's ACL and Stat. The caller needs READ or ADMIN;
// without ADMIN, digest hashes are hidden.
func (t *Tree) GetACL(path string, ids []jute.Id) ([]jute.ACL, jute.Stat, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	n, err := t.readable(path, jute.PermRead|jute.PermAdmin, ids)
	if err != nil {
		return nil, jute.Stat{}, err
	}
	acl := n.acl
	if !CheckACL(n.acl, jute.PermAdmin, ids) {
		acl = HideDigests(acl)
	}
	return acl, n.clientStat(), nil
}

// AllChildrenNumber counts every descendant of path after checking READ.
func (t *Tree) AllChildrenNumber(path string, ids []jute.Id) (int32, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	n, err := t.readable(path, jute.PermRead, ids)
	if err != nil {
		return 0, err
	}
	var count func(p string, n *node) int32
	count = func(p string, n *node) int32 {
		c := int32(0)
		for name := range n.children {
			cp := childPath(p, name)
			c += 1 + count(cp, t.nodes[cp])
		}
		return c
	}
	return count(path, n), nil
}

// Ephemerals returns, sorted, the ephemeral nodes of session whose path
// starts with prefix. As in FinalRequestProcessor, a prefix that trims (by
// Java's String.trim) to "" or "/" selects all; any other is matched as
// given, untrimmed.
func (t *Tree) Ephemerals(session int64, prefix string) []string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	trimmed := strings.TrimFunc(prefix, func(r rune) bool { return r <= ' ' })
	all := trimmed == "" || trimmed == "/"
	out := []string{}
	for p := range t.ephemerals[session] {
		if all || strings.HasPrefix(p, prefix) {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

func childPath(parent, name string) string {
	if parent == "/" {
		return "/" + name
	}
	return parent + "/" + name
}

// AddWatch registers a persistent (mode 0) or persistent recursive (mode 1)
// watch, as addWatch does. The node need not exist.
func (t *Tree) AddWatch(path string, mode int32, w Watcher) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.addPersistentLocked(path, mode, w)
}

// addPersistentLocked registers a persistent or recursive watch. ZooKeeper
// 3.8 keeps a persistent watch in both tables, and a recursive one too.
// The caller holds mu for writing.
func (t *Tree) addPersistentLocked(path string, mode int32, w Watcher) error {
	var m watchMode
	switch mode {
	case jute.AddWatchModePersistent:
		m = modePersistent
	case jute.AddWatchModePersistentRecursive:
		m = modeRecursive
	default:
		// ZooKeeper 3.8 fails to parse the mode and answers MARSHALLINGERROR.
		return ErrMarshalling
	}
	t.dataWatches.add(path, w, m)
	t.childWatches.add(path, w, m)
	return nil
}

// SetWatches re-arms watches after a reconnect, as DataTree.setWatches does:
// a watch whose node changed after relZxid fires at once instead.
func (t *Tree) SetWatches(relZxid int64, data, exist, child, persistent, recursive []string, w Watcher) {
	t.mu.Lock()
	defer t.mu.Unlock()
	fire := func(typ jute.EventType, p string, acl []jute.ACL) {
		if CheckACL(acl, jute.PermRead, w.AuthIDs()) {
			w.Event(Event{Type: typ, Path: p, Zxid: -1})
		}
	}
	// A one-shot watch whose node is gone, or changed after relZxid, fires
	// now; otherwise it is registered again.
	rearm := func(paths []string, tab *watchTable, changedAt func(*node) int64, changed jute.EventType) {
		for _, p := range paths {
			n := t.nodes[p]
			switch {
			case n == nil:
				fire(jute.EventNodeDeleted, p, nil)
			case changedAt(n) > relZxid:
				fire(changed, p, n.acl)
			default:
				tab.add(p, w, modeStandard)
			}
		}
	}
	// In ZooKeeper's order: data, exist, child.
	rearm(data, t.dataWatches, func(n *node) int64 { return n.stat.Mzxid }, jute.EventNodeDataChanged)
	for _, p := range exist {
		if n := t.nodes[p]; n != nil {
			fire(jute.EventNodeCreated, p, n.acl)
		} else {
			t.dataWatches.add(p, w, modeStandard)
		}
	}
	rearm(child, t.childWatches, func(n *node) int64 { return n.stat.Pzxid }, jute.EventNodeChildrenChanged)
	for _, p := range persistent {
		_ = t.addPersistentLocked(p, jute.AddWatchModePersistent, w)
	}
	for _, p := range recursive {
		_ = t.addPersistentLocked(p, jute.AddWatchModePersistentRecursive, w)
	}
}

func tablesFor(t *Tree, typ jute.WatcherType) []*watchTable {
	switch typ {
	case jute.WatcherChildren:
		return []*watchTable{t.childWatches}
	case jute.WatcherData:
		return []*watchTable{t.dataWatches}
	case jute.WatcherAny:
		return []*watchTable{t.dataWatches, t.childWatches}
	}
	return nil
}

// CheckWatches reports whether w has a watch of the given type on path.
func (t *Tree) CheckWatches(path string, typ jute.WatcherType, w Watcher) bool {
	t.mu.RLock()
	defer t.mu.RUnlock()
	t.wmu.Lock()
	defer t.wmu.Unlock()
	for _, tab := range tablesFor(t, typ) {
		if tab.byPath[path][w] != 0 {
			return true
		}
	}
	return false
}

// RemoveWatches removes w's watches of the given type on path and reports
// whether there were any.
func (t *Tree) RemoveWatches(path string, typ jute.WatcherType, w Watcher) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	removed := false
	for _, tab := range tablesFor(t, typ) {
		if tab.byPath[path][w] != 0 {
			tab.set(path, w, 0)
			removed = true
		}
	}
	return removed
}

// RemoveWatcher drops every watch of w (its connection closed).
func (t *Tree) RemoveWatcher(w Watcher) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.dataWatches.removeWatcher(w)
	t.childWatches.removeWatcher(w)
}

// Watches returns a report of all registered watches.
func (t *Tree) Watches() WatchReport {
	t.mu.RLock()
	defer t.mu.RUnlock()
	t.wmu.Lock()
	defer t.wmu.Unlock()
	r := WatchReport{ByPath: map[string][]int64{}, BySession: map[int64][]string{}}
	addReport(&r, t.dataWatches)
	addReport(&r, t.childWatches)
	r.Watches = t.dataWatches.count() + t.childWatches.count()
	sortReport(&r)
	return r
}

// Counts holds the tree's size figures for monitoring.
type Counts struct {
	Nodes, Ephemerals, Containers, TTLs, Sessions int
	// DataBytes is ZooKeeper's zk_approximate_data_size: the sum of path
	// lengths and data lengths over all nodes.
	DataBytes int64
}

// Counts returns the tree's size figures.
func (t *Tree) Counts() Counts {
	t.mu.RLock()
	defer t.mu.RUnlock()
	c := Counts{Nodes: len(t.nodes), Containers: len(t.containers), TTLs: len(t.ttls), Sessions: len(t.sessions), DataBytes: t.dataSize}
	for _, e := range t.ephemerals {
		c.Ephemerals += len(e)
	}
	return c
}

// EphemeralsBySession returns every session's ephemeral paths, sorted.
func (t *Tree) EphemeralsBySession() map[int64][]string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make(map[int64][]string, len(t.ephemerals))
	for s, ps := range t.ephemerals {
		for p := range ps {
			out[s] = append(out[s], p)
		}
		sort.Strings(out[s])
	}
	return out
}

// ExpiredNodes returns the containers that should now be deleted (empty and
// once had a child) and the TTL nodes whose TTL ran out (empty, and not
// modified within ttl of nowMs), sorted, as ZooKeeper's ContainerManager
// finds them.
func (t *Tree) ExpiredNodes(nowMs int64) []string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	var out []string
	for p := range t.containers {
		n := t.nodes[p]
		if n != nil && n.stat.Cversion > 0 && len(n.children) == 0 {
			out = append(out, p)
		}
	}
	for p := range t.ttls {
		n := t.nodes[p]
		if n == nil || len(n.children) != 0 {
			continue
		}
		ttl := n.stat.EphemeralOwner &^ extendedMask
		if ttl > 0 && nowMs > n.stat.Mtime+ttl {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// record is what Prep needs to know of a node.
type record struct {
	stat       jute.Stat // raw owner
	childCount int32
	acl        []jute.ACL
}

func (t *Tree) lookup(path string) (record, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	n := t.nodes[path]
	if n == nil {
		return record{}, false
	}
	return record{stat: n.stat, childCount: int32(len(n.children)), acl: n.acl}, true
}

func (t *Tree) sessionEphemerals(session int64) []string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make([]string, 0, len(t.ephemerals[session]))
	for p := range t.ephemerals[session] {
		out = append(out, p)
	}
	return out
}

// DataWatches returns, per session, the paths with a data or exist watch,
// sorted.
func (t *Tree) DataWatches() map[int64][]string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	t.wmu.Lock()
	defer t.wmu.Unlock()
	r := WatchReport{ByPath: map[string][]int64{}, BySession: map[int64][]string{}}
	addReport(&r, t.dataWatches)
	sortReport(&r)
	return r.BySession
}

// InitConfig sets the contents of /zookeeper/config outside the log, as
// ZooKeeper does at startup from its configuration
// (ZKDatabase.initConfigInZKDatabase): the data, version -1, mzxid zxid,
// mtime timeMs. No watch fires. A reconfig txn later sets it through the
// log like any setData.
func (t *Tree) InitConfig(data []byte, zxid, timeMs int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := t.nodes[ConfigPath]
	t.dataSize += int64(len(data) - len(n.data))
	n.data = data
	n.stat.Version = -1
	n.stat.Mzxid = zxid
	n.stat.Mtime = timeMs
}

// ConfigData returns the contents of /zookeeper/config.
func (t *Tree) ConfigData() []byte {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.nodes[ConfigPath].data
}
