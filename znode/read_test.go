package znode

import (
	"reflect"
	"testing"

	"github.com/zkmesh/zkmesh/jute"
)

func TestGetACL(t *testing.T) {
	h := newHarness(t)
	acl := []jute.ACL{
		{Perms: jute.PermRead, ID: jute.AnyoneID},
		{Perms: jute.PermAll, ID: bobID},
		{Perms: jute.PermRead, ID: aliceID},
	}
	h.must(withAuth(createACLReq("/a", acl), bobID))
	h.must(withAuth(createACLReq("/admin-only", []jute.ACL{{Perms: jute.PermAdmin, ID: aliceID}}), aliceID))
	h.must(withAuth(createACLReq("/none", []jute.ACL{{Perms: jute.PermWrite, ID: jute.AnyoneID}}), aliceID))
	hidden := []jute.ACL{
		{Perms: jute.PermRead, ID: jute.AnyoneID},
		{Perms: jute.PermAll, ID: jute.Id{Scheme: "digest", ID: "bob:x"}},
		{Perms: jute.PermRead, ID: jute.Id{Scheme: "digest", ID: "alice:x"}},
	}
	tests := []struct {
		name string
		path string
		ids  []jute.Id
		want []jute.ACL
		err  error
	}{
		{"reader without ADMIN sees hidden digests", "/a", nil, hidden, nil},
		{"alice reads but is no admin", "/a", []jute.Id{aliceID}, hidden, nil},
		{"admin sees the hashes", "/a", []jute.Id{bobID}, acl, nil},
		{"super sees the hashes", "/a", []jute.Id{superID}, acl, nil},
		{"ADMIN without READ is enough", "/admin-only", []jute.Id{aliceID}, []jute.ACL{{Perms: jute.PermAdmin, ID: aliceID}}, nil},
		{"neither READ nor ADMIN", "/admin-only", []jute.Id{bobID}, nil, ErrNoAuth},
		{"WRITE only", "/none", nil, nil, ErrNoAuth},
		{"missing", "/missing", nil, nil, ErrNoNode},
	}
	for _, tc := range tests {
		got, s, err := h.tree.GetACL(tc.path, tc.ids)
		if err != tc.err || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: GetACL = %v, %v; want %v, %v", tc.name, got, err, tc.want, tc.err)
		}
		if err == nil && s != h.stat(tc.path) {
			t.Errorf("%s: stat %+v", tc.name, s)
		}
	}
	// Hiding does not touch the stored ACL.
	if got, _, _ := h.tree.GetACL("/a", []jute.Id{bobID}); !reflect.DeepEqual(got, acl) {
		t.Fatalf("stored ACL changed: %v", got)
	}
}

func TestReadsCheckREAD(t *testing.T) {
	h := newHarness(t)
	h.must(withAuth(createACLReq("/s", []jute.ACL{{Perms: jute.PermAll &^ jute.PermRead, ID: jute.AnyoneID}, {Perms: jute.PermRead, ID: bobID}}), bobID))
	w := newWatcher(sessA)
	if _, _, err := h.tree.GetData("/s", nil, w); err != ErrNoAuth {
		t.Errorf("GetData: %v", err)
	}
	if _, _, err := h.tree.GetChildren("/s", nil, w); err != ErrNoAuth {
		t.Errorf("GetChildren: %v", err)
	}
	if _, err := h.tree.AllChildrenNumber("/s", nil); err != ErrNoAuth {
		t.Errorf("AllChildrenNumber: %v", err)
	}
	if r := h.tree.Watches(); r.Watches != 0 {
		t.Errorf("refused reads registered %d watches", r.Watches)
	}
	// ZooKeeper 3.8.0 checks no permission for exists (checked against the
	// real server by internal/difftest); the watch is registered.
	if _, err := h.tree.Exists("/s", nil, w); err != nil {
		t.Errorf("Exists: %v", err)
	}
	if r := h.tree.Watches(); r.Watches != 1 {
		t.Errorf("exists registered %d watches, want 1", r.Watches)
	}
	if _, _, err := h.tree.GetData("/s", []jute.Id{bobID}, nil); err != nil {
		t.Errorf("GetData as bob: %v", err)
	}
	for _, p := range []string{"/missing"} {
		if _, _, err := h.tree.GetData(p, nil, nil); err != ErrNoNode {
			t.Errorf("GetData(%s): %v", p, err)
		}
		if _, _, err := h.tree.GetChildren(p, nil, nil); err != ErrNoNode {
			t.Errorf("GetChildren(%s): %v", p, err)
		}
		if _, err := h.tree.AllChildrenNumber(p, nil); err != ErrNoNode {
			t.Errorf("AllChildrenNumber(%s): %v", p, err)
		}
	}
}

func TestExists(t *testing.T) {
	h := newHarness(t)
	w := newWatcher(sessB)
	if _, err := h.tree.Exists("/x", nil, w); err != ErrNoNode {
		t.Fatalf("Exists(missing) = %v", err)
	}
	if !h.tree.CheckWatches("/x", jute.WatcherData, w) {
		t.Fatal("Exists on a missing node registered no watch")
	}
	if _, err := h.tree.Exists("/x\x00", nil, w); err != ErrBadArguments {
		t.Fatalf("Exists with NUL = %v", err)
	}
	if h.tree.CheckWatches("/x\x00", jute.WatcherData, w) {
		t.Fatal("a refused Exists registered a watch")
	}
	r := h.must(createReq("/x", "abc", jute.ModePersistent))
	s, err := h.tree.Exists("/x", nil, nil)
	if err != nil || s != r.Stat || s.DataLength != 3 {
		t.Fatalf("Exists = %+v, %v", s, err)
	}
	if got := w.take(); !equalStrings(got, []string{"created /x"}) {
		t.Fatalf("events %v", got)
	}
}

func TestGetChildrenSorted(t *testing.T) {
	h := newHarness(t)
	h.must(createReq("/c", "", jute.ModePersistent))
	for _, n := range []string{"b", "a", "c10", "c9", "A"} {
		h.must(createReq("/c/"+n, "", jute.ModePersistent))
	}
	got, s, err := h.tree.GetChildren("/c", nil, nil)
	if err != nil || !equalStrings(got, []string{"A", "a", "b", "c10", "c9"}) || s.NumChildren != 5 {
		t.Fatalf("GetChildren = %v %+v %v", got, s, err)
	}
}

func TestAllChildrenNumber(t *testing.T) {
	h := newHarness(t)
	for _, p := range []string{"/a", "/a/b", "/a/b/c", "/a/d", "/e"} {
		h.must(createReq(p, "", jute.ModePersistent))
	}
	tests := map[string]int32{"/": 8, "/a": 3, "/a/b": 1, "/a/b/c": 0, "/e": 0, ZookeeperPath: 2}
	for p, want := range tests {
		if got, err := h.tree.AllChildrenNumber(p, nil); err != nil || got != want {
			t.Errorf("AllChildrenNumber(%s) = %d, %v; want %d", p, got, err, want)
		}
	}
}

func TestEphemerals(t *testing.T) {
	h := newHarness(t)
	h.must(createReq("/a", "", jute.ModePersistent))
	for _, p := range []string{"/a/x", "/ab", "/b", "/a/y"} {
		h.must(createReq(p, "", jute.ModeEphemeral))
	}
	h.must(as(sessB, createReq("/a/other", "", jute.ModeEphemeral)))
	tests := []struct {
		prefix string
		want   []string
	}{
		{"", []string{"/a/x", "/a/y", "/ab", "/b"}},
		{"/", []string{"/a/x", "/a/y", "/ab", "/b"}},
		{" / ", []string{"/a/x", "/a/y", "/ab", "/b"}},
		{"\t", []string{"/a/x", "/a/y", "/ab", "/b"}},
		{"\x01/\x02", []string{"/a/x", "/a/y", "/ab", "/b"}},
		{"/a", []string{"/a/x", "/a/y", "/ab"}},
		{"/a/", []string{"/a/x", "/a/y"}},
		{"/a/x", []string{"/a/x"}},
		{"/c", []string{}},
		// FinalRequestProcessor trims the prefix only to test for "all";
		// the match itself uses the prefix as sent.
		{" /a", []string{}},
		{"/a ", []string{}},
	}
	for _, tc := range tests {
		if got := h.tree.Ephemerals(sessA, tc.prefix); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Ephemerals(%q) = %v, want %v", tc.prefix, got, tc.want)
		}
	}
	if got := h.tree.Ephemerals(0x5555, ""); got == nil || len(got) != 0 {
		t.Errorf("Ephemerals of an unknown session = %#v, want empty", got)
	}
	want := map[int64][]string{sessA: {"/a/x", "/a/y", "/ab", "/b"}, sessB: {"/a/other"}}
	if got := h.tree.EphemeralsBySession(); !reflect.DeepEqual(got, want) {
		t.Errorf("EphemeralsBySession = %v", got)
	}
	if c := h.tree.Counts(); c.Ephemerals != 5 {
		t.Errorf("Counts().Ephemerals = %d", c.Ephemerals)
	}
}

func TestExpiredNodes(t *testing.T) {
	h := newHarness(t)
	h.must(containerReq("/c-new"))  // never had a child
	h.must(containerReq("/c-used")) // had one, now empty
	h.must(createReq("/c-used/x", "", jute.ModePersistent))
	h.must(deleteReq("/c-used/x", -1))
	h.must(containerReq("/c-full")) // has a child
	h.must(createReq("/c-full/x", "", jute.ModePersistent))
	h.must(ttlReq("/t", jute.ModePersistentWithTTL, 1000))
	tz := h.zxid
	h.must(ttlReq("/t-full", jute.ModePersistentWithTTL, 1000))
	h.must(createReq("/t-full/x", "", jute.ModePersistent))
	h.must(ttlReq("/t-touched", jute.ModePersistentWithTTL, 1000))
	h.must(setDataReq("/t-touched", "x", -1))
	touched := h.zxid
	h.must(createReq("/plain", "", jute.ModePersistent))
	h.must(createReq("/plain/x", "", jute.ModePersistent))
	h.must(deleteReq("/plain/x", -1))

	created := timeOf(tz)
	tests := []struct {
		now  int64
		want []string
	}{
		{0, []string{"/c-used"}},
		{created + 1000, []string{"/c-used"}},
		{created + 1001, []string{"/c-used", "/t"}},
		{timeOf(touched) + 1000, []string{"/c-used", "/t"}},
		{timeOf(touched) + 1001, []string{"/c-used", "/t", "/t-touched"}},
	}
	for _, tc := range tests {
		if got := h.tree.ExpiredNodes(tc.now); !equalStrings(got, tc.want) {
			t.Errorf("ExpiredNodes(%d) = %v, want %v", tc.now, got, tc.want)
		}
	}
	// Deleting them as the container manager does.
	for _, p := range h.tree.ExpiredNodes(timeOf(touched) + 1001) {
		r := h.do(&Request{Type: jute.OpDeleteContainer, Body: &jute.DeleteRequest{Path: p, Version: -1}})
		if r.Err != jute.CodeOK {
			t.Fatalf("deleteContainer %s: %v", p, r.Err)
		}
	}
	if got := h.tree.ExpiredNodes(1 << 60); len(got) != 0 {
		t.Fatalf("after deleting: %v", got)
	}
	if c := h.tree.Counts(); c.Containers != 2 || c.TTLs != 1 {
		t.Fatalf("counts %+v", c)
	}
	checkInvariants(t, h.tree)
}
