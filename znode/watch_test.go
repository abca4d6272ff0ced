package znode

import (
	"reflect"
	"testing"

	"github.com/zkmesh/zkmesh/jute"
)

func TestOneShotWatches(t *testing.T) {
	type reg struct {
		kind string // data, exist, child
		path string
	}
	tests := []struct {
		name  string
		regs  []reg
		reqs  []*Request
		want  []string
		after []string // watches left, as CheckWatches sees them: "data /p" or "child /p"
	}{
		{"data watch fires once on change", []reg{{"data", "/a"}},
			[]*Request{setDataReq("/a", "1", -1), setDataReq("/a", "2", -1)},
			[]string{"changed /a"}, nil},
		{"data watch fires on delete", []reg{{"data", "/a/x"}},
			[]*Request{deleteReq("/a/x", -1)},
			[]string{"deleted /a/x"}, nil},
		{"data watch ignores children", []reg{{"data", "/a"}},
			[]*Request{createReq("/a/y", "", jute.ModePersistent), deleteReq("/a/x", -1)},
			nil, []string{"data /a"}},
		{"exist watch on missing node fires on create", []reg{{"exist", "/b"}},
			[]*Request{createReq("/b", "", jute.ModePersistent), setDataReq("/b", "", -1)},
			[]string{"created /b"}, nil},
		{"exist watch on existing node is a data watch", []reg{{"exist", "/a"}},
			[]*Request{setDataReq("/a", "", -1)},
			[]string{"changed /a"}, nil},
		{"child watch fires once on create", []reg{{"child", "/a"}},
			[]*Request{createReq("/a/y", "", jute.ModePersistent), createReq("/a/z", "", jute.ModePersistent)},
			[]string{"children /a"}, nil},
		{"child watch fires on child delete", []reg{{"child", "/a"}},
			[]*Request{deleteReq("/a/x", -1)},
			[]string{"children /a"}, nil},
		{"child watch ignores data and grandchildren", []reg{{"child", "/a"}},
			[]*Request{setDataReq("/a", "", -1), setDataReq("/a/x", "", -1), createReq("/a/x/g", "", jute.ModePersistent)},
			nil, []string{"child /a"}},
		{"child watch fires NodeDeleted on its node", []reg{{"child", "/a/x"}},
			[]*Request{deleteReq("/a/x", -1)},
			[]string{"deleted /a/x"}, nil},
		{"data and child watch: one NodeDeleted", []reg{{"data", "/a/x"}, {"child", "/a/x"}},
			[]*Request{deleteReq("/a/x", -1)},
			[]string{"deleted /a/x"}, nil},
		{"data on node, child on parent", []reg{{"data", "/a/x"}, {"child", "/a"}},
			[]*Request{deleteReq("/a/x", -1)},
			[]string{"deleted /a/x", "children /a"}, nil},
		{"setACL fires nothing", []reg{{"data", "/a"}},
			[]*Request{setACLReq("/a", jute.OpenACLUnsafe, -1)},
			nil, []string{"data /a"}},
		{"failed write fires nothing", []reg{{"data", "/a"}, {"child", "/a"}},
			[]*Request{setDataReq("/a", "", 9), createReq("/a/x", "", jute.ModePersistent), multiReq(createReq("/a/m", "", jute.ModePersistent), deleteReq("/zz", -1))},
			nil, []string{"child /a", "data /a"}},
		{"multi fires per op", []reg{{"data", "/a"}, {"child", "/a"}, {"exist", "/a/m"}},
			[]*Request{multiReq(createReq("/a/m", "", jute.ModePersistent), setDataReq("/a", "", -1))},
			[]string{"created /a/m", "children /a", "changed /a"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.must(createReq("/a", "", jute.ModePersistent))
			h.must(createReq("/a/x", "", jute.ModePersistent))
			w := newWatcher(sessB)
			for _, r := range tc.regs {
				var err error
				switch r.kind {
				case "data":
					_, _, err = h.tree.GetData(r.path, nil, w)
				case "exist":
					_, err = h.tree.Exists(r.path, nil, w)
					if err == ErrNoNode {
						err = nil
					}
				case "child":
					_, _, err = h.tree.GetChildren(r.path, nil, w)
				}
				if err != nil {
					t.Fatalf("register %v: %v", r, err)
				}
			}
			var zxids []int64
			for _, r := range tc.reqs {
				n := len(w.events)
				h.do(r)
				for _, e := range w.events[n:] {
					zxids = append(zxids, e.Zxid)
					if e.Zxid != h.zxid {
						t.Errorf("event %v has zxid %d, want %d", fmtEvent(e), e.Zxid, h.zxid)
					}
				}
			}
			if got := w.take(); !equalStrings(got, tc.want) {
				t.Fatalf("events %v, want %v", got, tc.want)
			}
			var left []string
			for _, p := range []string{"/a", "/a/x", "/a/y", "/b", "/a/m"} {
				if h.tree.CheckWatches(p, jute.WatcherChildren, w) {
					left = append(left, "child "+p)
				}
				if h.tree.CheckWatches(p, jute.WatcherData, w) {
					left = append(left, "data "+p)
				}
			}
			if !equalStrings(left, tc.after) {
				t.Fatalf("watches left %v, want %v", left, tc.after)
			}
		})
	}
}

func TestPersistentWatch(t *testing.T) {
	h := newHarness(t)
	w := newWatcher(sessB)
	if err := h.tree.AddWatch("/p", jute.AddWatchModePersistent, w); err != nil {
		t.Fatal(err)
	}
	h.must(createReq("/p", "", jute.ModePersistent))
	h.must(setDataReq("/p", "1", -1))
	h.must(setDataReq("/p", "2", -1))
	h.must(createReq("/p/c", "", jute.ModePersistent))
	h.must(createReq("/p/c/g", "", jute.ModePersistent)) // grandchild: nothing
	h.must(setDataReq("/p/c", "", -1))                   // child data: nothing
	h.must(deleteReq("/p/c/g", -1))
	h.must(deleteReq("/p/c", -1))
	h.must(deleteReq("/p", -1))
	h.must(createReq("/p", "", jute.ModePersistent))
	got := w.take()
	want := []string{"created /p", "changed /p", "changed /p", "children /p", "children /p", "deleted /p", "created /p"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("events %v\nwant %v", got, want)
	}
	// A standard watch added on top fires once and leaves the persistent one.
	h.tree.GetData("/p", nil, w)
	h.must(setDataReq("/p", "3", -1))
	h.must(setDataReq("/p", "4", -1))
	if got := w.take(); !equalStrings(got, []string{"changed /p", "changed /p"}) {
		t.Fatalf("persistent plus standard: %v", got)
	}
	if !h.tree.RemoveWatches("/p", jute.WatcherAny, w) {
		t.Fatal("RemoveWatches found no persistent watch")
	}
	h.must(setDataReq("/p", "5", -1))
	if got := w.take(); len(got) != 0 {
		t.Fatalf("events after removal: %v", got)
	}
	if err := h.tree.AddWatch("/p", 2, w); err != ErrMarshalling {
		t.Fatalf("AddWatch with mode 2: %v", err)
	}
}

func TestPersistentRecursiveWatch(t *testing.T) {
	h := newHarness(t)
	h.must(createReq("/r", "", jute.ModePersistent))
	h.must(createReq("/rx", "", jute.ModePersistent))
	w := newWatcher(sessB)
	if err := h.tree.AddWatch("/r", jute.AddWatchModePersistentRecursive, w); err != nil {
		t.Fatal(err)
	}
	h.must(createReq("/r/a", "", jute.ModePersistent))
	h.must(createReq("/r/a/b", "", jute.ModePersistent))
	h.must(setDataReq("/r/a/b", "x", -1))
	h.must(setDataReq("/r", "x", -1))
	h.must(createReq("/rx/no", "", jute.ModePersistent)) // sibling with a common prefix
	h.must(setDataReq("/rx", "", -1))
	h.must(createReq("/r/e", "", jute.ModeEphemeral))
	h.must(closeReq(sessA))
	h.must(deleteReq("/r/a/b", -1))
	h.must(deleteReq("/r/a", -1))
	h.must(deleteReq("/r", -1))
	h.must(createReq("/r", "", jute.ModePersistent))
	got := w.take()
	want := []string{
		"created /r/a", "created /r/a/b", "changed /r/a/b", "changed /r",
		"created /r/e", "deleted /r/e",
		"deleted /r/a/b", "deleted /r/a", "deleted /r", "created /r",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("events %v\nwant %v", got, want)
	}
	// ZooKeeper 3.8.0 keeps a recursive watch in both tables (so
	// checkWatches finds it as either kind) but never fires it for child
	// events.
	if !h.tree.CheckWatches("/r", jute.WatcherData, w) || !h.tree.CheckWatches("/r", jute.WatcherChildren, w) {
		t.Fatal("a recursive watch is both a data and a child watch in 3.8.0")
	}
	// A recursive watch at the root sees everything but child events.
	w2 := newWatcher(sessB)
	h.tree.AddWatch("/", jute.AddWatchModePersistentRecursive, w2)
	h.must(createReq("/r/z", "", jute.ModePersistent))
	if got := w2.take(); !equalStrings(got, []string{"created /r/z"}) {
		t.Fatalf("root recursive: %v", got)
	}
	w.take()
	// RemoveWatcher drops it; later changes are silent.
	h.tree.RemoveWatcher(w)
	h.tree.RemoveWatcher(w2)
	h.must(setDataReq("/r/z", "", -1))
	if len(w.events)+len(w2.events) != 0 {
		t.Fatal("events after RemoveWatcher")
	}
	if r := h.tree.Watches(); r.Watches != 0 {
		t.Fatalf("watches left: %+v", r)
	}
}

// TestWatchACLFiltering: a watcher that may not READ the node an event is
// about gets nothing; its watch is consumed all the same.
func TestWatchACLFiltering(t *testing.T) {
	h := newHarness(t)
	secret := []jute.ACL{{Perms: jute.PermAll, ID: bobID}}
	h.must(createACLReq("/open", jute.OpenACLUnsafe))
	h.must(withAuth(createACLReq("/s", secret), bobID))

	nobody := newWatcher(sessA)
	bob := newWatcher(sessB, bobID)
	root := newWatcher(0x77, superID)
	for _, w := range []*recWatcher{nobody, bob, root} {
		h.tree.Exists("/open/new", w.ids, w)
		h.tree.Exists("/s/x", w.ids, w)
		h.tree.AddWatch("/s", jute.AddWatchModePersistentRecursive, w)
		h.tree.GetChildren("/open", w.ids, w)
	}
	if _, _, err := h.tree.GetData("/s", nil, nobody); err != ErrNoAuth {
		t.Fatalf("GetData without READ: %v", err)
	}
	h.tree.mu.RLock()
	m := h.tree.dataWatches.byPath["/s"][nobody]
	h.tree.mu.RUnlock()
	if m != modeRecursive {
		t.Fatalf("a refused read registered a watch: mode %d", m)
	}
	h.must(withAuth(createACLReq("/open/new", secret), bobID))
	h.must(withAuth(createACLReq("/s/x", jute.OpenACLUnsafe), bobID))
	h.must(withAuth(setDataReq("/s", "d", -1), bobID))
	if got := nobody.takeSorted(); !equalStrings(got, []string{"children /open", "created /s/x"}) {
		t.Errorf("watcher without READ got %v", got)
	}
	// bob and super see the secret events; /s/x fires both the exist watch
	// and the recursive watch on /s, delivered once.
	want := []string{"changed /s", "children /open", "created /open/new", "created /s/x"}
	for _, w := range []*recWatcher{bob, root} {
		if got := w.takeSorted(); !equalStrings(got, want) {
			t.Errorf("watcher %#x got %v, want %v", w.session, got, want)
		}
	}
	// The exist watch on /open/new was consumed for nobody too.
	if h.tree.CheckWatches("/open/new", jute.WatcherData, nobody) {
		t.Error("filtered one-shot watch still registered")
	}
}

func TestSetWatches(t *testing.T) {
	h := newHarness(t)
	h.must(createReq("/old", "", jute.ModePersistent)) // zxid 1
	h.must(createReq("/old/c", "", jute.ModePersistent))
	h.must(createReq("/changed", "", jute.ModePersistent))
	h.must(createReq("/kids", "", jute.ModePersistent))
	rel := h.zxid
	h.must(setDataReq("/changed", "x", -1))
	h.must(createReq("/kids/k", "", jute.ModePersistent))
	h.must(withAuth(createACLReq("/hidden", []jute.ACL{{Perms: jute.PermAll, ID: bobID}}), bobID))

	w := newWatcher(sessB)
	h.tree.SetWatches(rel,
		[]string{"/old", "/changed", "/gone", "/hidden"},
		[]string{"/old", "/absent", "/hidden"},
		[]string{"/old", "/kids", "/gone", "/changed"},
		[]string{"/pers"},
		[]string{"/rec"},
		w)
	for _, e := range w.events {
		if e.Zxid != -1 {
			t.Errorf("synthesized event %v has zxid %d", fmtEvent(e), e.Zxid)
		}
	}
	got := w.takeSorted()
	want := []string{"changed /changed", "children /kids", "created /old", "deleted /gone", "deleted /gone"}
	if !equalStrings(got, want) {
		t.Fatalf("SetWatches events %v\nwant %v", got, want)
	}
	rep := h.tree.DataWatches()[sessB]
	if wantData := []string{"/absent", "/old", "/pers", "/rec"}; !equalStrings(rep, wantData) {
		t.Fatalf("re-armed data watches %v, want %v", rep, wantData)
	}
	// /changed's child watch (pzxid not newer) and /old's are re-armed.
	for _, p := range []string{"/old", "/changed", "/pers"} {
		if !h.tree.CheckWatches(p, jute.WatcherChildren, w) {
			t.Errorf("child watch on %s not re-armed", p)
		}
	}
	if h.tree.CheckWatches("/kids", jute.WatcherChildren, w) {
		t.Error("fired child watch also re-armed")
	}
	// The re-armed watches work.
	h.must(createReq("/absent", "", jute.ModePersistent))
	h.must(createReq("/rec", "", jute.ModePersistent))
	h.must(createReq("/rec/x", "", jute.ModePersistent))
	h.must(deleteReq("/old/c", -1))
	got = w.take()
	want = []string{"created /absent", "created /rec", "created /rec/x", "children /old"}
	if !equalStrings(got, want) {
		t.Fatalf("events after re-arm %v, want %v", got, want)
	}
}

func TestCheckAndRemoveWatches(t *testing.T) {
	h := newHarness(t)
	h.must(createReq("/a", "", jute.ModePersistent))
	w := newWatcher(sessB)
	other := newWatcher(sessA)
	h.tree.GetData("/a", nil, w)
	h.tree.GetChildren("/a", nil, w)
	h.tree.GetData("/a", nil, other)
	tests := []struct {
		typ        jute.WatcherType
		data, kids bool
	}{
		{jute.WatcherData, true, false},
		{jute.WatcherChildren, false, true},
		{jute.WatcherAny, true, true},
	}
	for _, tc := range tests {
		if !h.tree.CheckWatches("/a", tc.typ, w) {
			t.Errorf("CheckWatches(%v) = false", tc.typ)
		}
	}
	if h.tree.CheckWatches("/b", jute.WatcherAny, w) || h.tree.CheckWatches("/a", 0, w) || h.tree.CheckWatches("/a", jute.WatcherChildren, other) {
		t.Error("CheckWatches reports watches that are not there")
	}
	if !h.tree.RemoveWatches("/a", jute.WatcherData, w) {
		t.Fatal("RemoveWatches(data) = false")
	}
	if h.tree.RemoveWatches("/a", jute.WatcherData, w) {
		t.Fatal("second RemoveWatches(data) = true")
	}
	if h.tree.CheckWatches("/a", jute.WatcherData, w) || !h.tree.CheckWatches("/a", jute.WatcherChildren, w) || !h.tree.CheckWatches("/a", jute.WatcherData, other) {
		t.Fatal("RemoveWatches(data) removed the wrong watches")
	}
	h.must(setDataReq("/a", "", -1))
	if len(w.events) != 0 || len(other.events) != 1 {
		t.Fatalf("events after removing data watch: %v / %v", w.events, other.events)
	}
	if !h.tree.RemoveWatches("/a", jute.WatcherAny, w) || h.tree.CheckWatches("/a", jute.WatcherAny, w) {
		t.Fatal("RemoveWatches(any)")
	}
	h.must(createReq("/a/x", "", jute.ModePersistent))
	if len(w.events) != 0 {
		t.Fatalf("events after removing every watch: %v", w.events)
	}
}

func TestWatchReports(t *testing.T) {
	tr := NewTree()
	w1 := newWatcher(1)
	w2 := newWatcher(2)
	tr.Exists("/x", nil, w1)
	tr.GetChildren("/", nil, w1)
	tr.GetData("/", nil, w1)
	tr.GetData("/", nil, w1) // the same watch twice counts once
	tr.GetData(ZookeeperPath, nil, w2)
	tr.AddWatch("/y", jute.AddWatchModePersistent, w2)
	// The server's own watchers (session 0) are in no report or count.
	internal := newWatcher(0)
	tr.AddWatch("/", jute.AddWatchModePersistentRecursive, internal)
	tr.GetData("/", nil, internal)
	r := tr.Watches()
	wantByPath := map[string][]int64{"/": {1}, "/x": {1}, ZookeeperPath: {2}, "/y": {2}}
	wantBySession := map[int64][]string{1: {"/", "/x"}, 2: {"/y", ZookeeperPath}}
	if !reflect.DeepEqual(r.ByPath, wantByPath) || !reflect.DeepEqual(r.BySession, wantBySession) {
		t.Fatalf("Watches() = %+v", r)
	}
	// Pairs: /x, / (data), / (child), /zookeeper, /y data, /y child.
	if r.Watches != 6 {
		t.Fatalf("Watches count %d, want 6", r.Watches)
	}
	d := tr.DataWatches()
	if !reflect.DeepEqual(d, map[int64][]string{1: {"/", "/x"}, 2: {"/y", ZookeeperPath}}) {
		t.Fatalf("DataWatches() = %v", d)
	}
	tr.RemoveWatcher(w1)
	if r := tr.Watches(); r.Watches != 3 || len(r.BySession[1]) != 0 {
		t.Fatalf("after RemoveWatcher: %+v", r)
	}
	checkWatchTables(t, tr)
}

// checkWatchTables verifies the watch tables' mirror invariant.
func checkWatchTables(t *testing.T, tr *Tree) {
	t.Helper()
	tr.mu.RLock()
	defer tr.mu.RUnlock()
	for _, tab := range []*watchTable{tr.dataWatches, tr.childWatches} {
		rec := 0
		for p, ws := range tab.byPath {
			for w, m := range ws {
				if m == 0 || tab.byWatcher[w][p] != m {
					t.Fatalf("watch table: %s %v mode %d / %d", p, w, m, tab.byWatcher[w][p])
				}
				if m&modeRecursive != 0 {
					rec++
				}
			}
		}
		for w, ps := range tab.byWatcher {
			for p, m := range ps {
				if tab.byPath[p][w] != m {
					t.Fatalf("watch table: reverse entry %s", p)
				}
			}
		}
		if rec != tab.recursive {
			t.Fatalf("recursive count %d, entries %d", tab.recursive, rec)
		}
	}
}
