package znode

import (
	"reflect"
	"testing"

	"github.com/zkmesh/zkmesh/jute"
)

// TestPipelinedPrepare prepares several writes before applying any of them;
// each must see the tree as the earlier ones will leave it.
func TestPipelinedPrepare(t *testing.T) {
	type step struct {
		req  *Request
		want jute.Code
		path string // created path, if any
	}
	tests := []struct {
		name  string
		setup []*Request
		steps []step
	}{
		{"create parent then child", nil, []step{
			{createReq("/a", "", jute.ModePersistent), jute.CodeOK, "/a"},
			{createReq("/a/b", "", jute.ModePersistent), jute.CodeOK, "/a/b"},
			{createReq("/a/b/c", "", jute.ModePersistent), jute.CodeOK, "/a/b/c"},
		}},
		{"create then delete then create", nil, []step{
			{createReq("/a", "", jute.ModePersistent), jute.CodeOK, "/a"},
			{deleteReq("/a", 0), jute.CodeOK, ""},
			{deleteReq("/a", -1), jute.CodeNoNode, ""},
			{createReq("/a", "", jute.ModePersistent), jute.CodeOK, "/a"},
		}},
		{"two sequential creates get distinct numbers", []*Request{createReq("/q", "", jute.ModePersistent)}, []step{
			{createReq("/q/n-", "", jute.ModePersistentSequential), jute.CodeOK, "/q/n-0000000000"},
			{createReq("/q/n-", "", jute.ModeEphemeralSequential), jute.CodeOK, "/q/n-0000000001"},
			{deleteReq("/q/n-0000000000", -1), jute.CodeOK, ""},
			{createReq("/q/n-", "", jute.ModePersistentSequential), jute.CodeOK, "/q/n-0000000002"},
		}},
		{"versions advance", []*Request{createReq("/v", "", jute.ModePersistent)}, []step{
			{setDataReq("/v", "1", 0), jute.CodeOK, ""},
			{setDataReq("/v", "2", 0), jute.CodeBadVersion, ""},
			{setDataReq("/v", "2", 1), jute.CodeOK, ""},
			{checkReq("/v", 2), jute.CodeOK, ""},
			{setACLReq("/v", jute.OpenACLUnsafe, 0), jute.CodeOK, ""},
			{setACLReq("/v", jute.OpenACLUnsafe, 0), jute.CodeBadVersion, ""},
			{deleteReq("/v", 1), jute.CodeBadVersion, ""},
			{deleteReq("/v", 2), jute.CodeOK, ""},
		}},
		{"child count follows", []*Request{createReq("/c", "", jute.ModePersistent)}, []step{
			{createReq("/c/x", "", jute.ModePersistent), jute.CodeOK, "/c/x"},
			{deleteReq("/c", -1), jute.CodeNotEmpty, ""},
			{deleteReq("/c/x", -1), jute.CodeOK, ""},
			{deleteReq("/c", -1), jute.CodeOK, ""},
		}},
		{"ephemeral parent seen before applied", nil, []step{
			{createReq("/e", "", jute.ModeEphemeral), jute.CodeOK, "/e"},
			{createReq("/e/x", "", jute.ModePersistent), jute.CodeNoChildrenForEphemerals, ""},
		}},
		{"ACL change seen before applied", []*Request{createReq("/acl", "", jute.ModePersistent)}, []step{
			{setACLReq("/acl", jute.ReadACLUnsafe, -1), jute.CodeOK, ""},
			{setDataReq("/acl", "x", -1), jute.CodeNoAuth, ""},
			{createReq("/acl/x", "", jute.ModePersistent), jute.CodeNoAuth, ""},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			for _, r := range tc.setup {
				h.must(r)
			}
			var xs []txn
			for _, s := range tc.steps {
				x := h.prepare(s.req)
				got := jute.CodeOK
				if e, ok := x.body.(*jute.ErrorTxn); ok {
					got = e.Err
				}
				if got != s.want {
					t.Fatalf("step %v %s prepared %v, want %v", s.req.Type, opPath(s.req.Body), got, s.want)
				}
				xs = append(xs, x)
			}
			for i, x := range xs {
				r := h.apply(x)
				if r.Err != tc.steps[i].want {
					t.Fatalf("step %d applied with %v, want %v", i, r.Err, tc.steps[i].want)
				}
				if p := tc.steps[i].path; p != "" && r.Path != p {
					t.Fatalf("step %d created %s, want %s", i, r.Path, p)
				}
			}
			if n := h.prep.Outstanding(); n != 0 {
				t.Fatalf("%d changes outstanding after everything was applied", n)
			}
			checkInvariants(t, h.tree)
		})
	}
}

func TestAppliedForgetsChanges(t *testing.T) {
	h := newHarness(t)
	x1 := h.prepare(createReq("/a", "", jute.ModePersistent))
	x2 := h.prepare(createReq("/b", "", jute.ModePersistent))
	x3 := h.prepare(setDataReq("/a", "v", -1))
	if n := h.prep.Outstanding(); n != 5 {
		t.Fatalf("Outstanding = %d, want 5 (two creates with their parent, one setData)", n)
	}
	h.apply(x1)
	if n := h.prep.Outstanding(); n != 3 {
		t.Fatalf("Outstanding after applying one create = %d", n)
	}
	// The newest change of a path outlives the application of older ones:
	// /a's setData is still outstanding, so its version is still 1 to Prep.
	if e, ok := h.prepare(setDataReq("/a", "w", 0)).body.(*jute.ErrorTxn); !ok || e.Err != jute.CodeBadVersion {
		t.Fatalf("setData against an outstanding version: %v", e)
	}
	h.apply(x2)
	h.apply(x3)
	h.prep.Applied(h.zxid)
	if n := h.prep.Outstanding(); n != 0 {
		t.Fatalf("Outstanding after all applied = %d", n)
	}
	// Prep reads the tree again.
	if _, ok := h.prepare(setDataReq("/a", "w", 1)).body.(*jute.SetDataTxn); !ok {
		t.Fatal("setData after Applied does not see the tree")
	}
	// Applied with a zxid older than anything outstanding keeps everything.
	h.prep.Applied(0)
	if n := h.prep.Outstanding(); n != 1 {
		t.Fatalf("Applied(0) dropped changes: %d left", n)
	}
}

func TestReset(t *testing.T) {
	h := newHarness(t)
	h.prepare(createReq("/r", "", jute.ModePersistent))
	h.prepare(createReq("/r/x", "", jute.ModePersistent))
	h.prep.Reset()
	if n := h.prep.Outstanding(); n != 0 {
		t.Fatalf("Outstanding after Reset = %d", n)
	}
	if e, ok := h.prepare(createReq("/r/x", "", jute.ModePersistent)).body.(*jute.ErrorTxn); !ok || e.Err != jute.CodeNoNode {
		t.Fatalf("after Reset a create under a never-applied parent gave %v", e)
	}
	// The sequence counter restarts from the tree.
	h2 := newHarness(t)
	h2.must(createReq("/s", "", jute.ModePersistent))
	h2.prepare(createReq("/s/n", "", jute.ModePersistentSequential))
	h2.prep.Reset()
	if r := h2.do(createReq("/s/n", "", jute.ModePersistentSequential)); r.Path != "/s/n0000000000" {
		t.Fatalf("sequential after Reset: %s", r.Path)
	}
}

func TestMulti(t *testing.T) {
	h := newHarness(t)
	h.must(createReq("/m", "", jute.ModePersistent))
	x := h.prepare(multiReq(
		createReq("/m/a", "1", jute.ModePersistent),
		setDataReq("/m/a", "2", 0),
		checkReq("/m/a", 1),
		createReq("/m/s-", "", jute.ModePersistentSequential),
		createReq("/m/s-", "", jute.ModeEphemeralSequential),
		containerReq("/m/c"),
		ttlReq("/m/t", jute.ModePersistentWithTTL, 10),
		deleteReq("/m/a", 1),
	))
	m, ok := x.body.(*jute.MultiTxn)
	if !ok || x.hdr.Type != jute.OpMulti {
		t.Fatalf("multi prepared as %v %T", x.hdr.Type, x.body)
	}
	var types []jute.OpCode
	for _, op := range m.Txns {
		types = append(types, op.Type)
	}
	// create2 inside a multi is logged as create.
	wantTypes := []jute.OpCode{jute.OpCreate, jute.OpSetData, jute.OpCheck, jute.OpCreate, jute.OpCreate, jute.OpCreateContainer, jute.OpCreateTTL, jute.OpDelete}
	if !reflect.DeepEqual(types, wantTypes) {
		t.Fatalf("txn types %v, want %v", types, wantTypes)
	}
	r := h.apply(x)
	if r.Type != jute.OpMulti || len(r.Multi) != len(wantTypes) {
		t.Fatalf("multi result %+v", r)
	}
	wantPaths := []string{"/m/a", "/m/a", "/m/a", "/m/s-0000000001", "/m/s-0000000002", "/m/c", "/m/t", "/m/a"}
	for i, sub := range r.Multi {
		if sub.Err != jute.CodeOK || sub.Type != wantTypes[i] || sub.Path != wantPaths[i] {
			t.Errorf("op %d: %+v, want OK %v at %s", i, sub, wantTypes[i], wantPaths[i])
		}
	}
	if s := r.Multi[1].Stat; s.Version != 1 || s.Mzxid != x.hdr.Zxid {
		t.Errorf("setData stat in multi: %+v", s)
	}
	if got := h.children("/m"); !reflect.DeepEqual(got, []string{"c", "s-0000000001", "s-0000000002", "t"}) {
		t.Errorf("children after multi: %v", got)
	}
	// Every op has the multi's zxid.
	if s := h.stat("/m/c"); s.Czxid != x.hdr.Zxid {
		t.Errorf("container czxid %d, want %d", s.Czxid, x.hdr.Zxid)
	}
	if e := h.tree.Ephemerals(sessA, "/m"); !equalStrings(e, []string{"/m/s-0000000002"}) {
		t.Errorf("ephemerals %v", e)
	}
	checkInvariants(t, h.tree)
}

// TestMultiFailure checks that a failing op rolls the whole multi back: the
// txn records OK before the failing op, its code, RUNTIMEINCONSISTENCY
// after; the tree is untouched; and later writes do not see the rolled-back
// changes, while earlier outstanding changes survive.
func TestMultiFailure(t *testing.T) {
	h := newHarness(t)
	h.must(createReq("/m", "", jute.ModePersistent))
	h.must(createReq("/m/v", "", jute.ModePersistent))
	// An outstanding change of the parent, prepared before the multi.
	pre := h.prepare(createReq("/m/pre-", "", jute.ModePersistentSequential))
	if p := pre.body.(*jute.CreateTxn).Path; p != "/m/pre-0000000001" {
		t.Fatalf("sequential before multi: %s", p)
	}
	n0 := h.prep.Outstanding()
	x := h.prepare(multiReq(
		createReq("/m/a", "", jute.ModePersistent),
		createReq("/m/seq-", "", jute.ModePersistentSequential),
		setDataReq("/m/v", "x", 0),
		setDataReq("/m/v", "y", 0), // fails: the previous op made it version 1
		createReq("/m/b", "", jute.ModePersistent),
		deleteReq("/m/nothing", -1),
	))
	if n := h.prep.Outstanding(); n != n0 {
		t.Fatalf("Outstanding = %d after a failed multi, %d before it", n, n0)
	}
	checkPrepInvariant(t, h.prep)
	m := x.body.(*jute.MultiTxn)
	var got []string
	for _, op := range m.Txns {
		s := op.Type.String()
		if e, ok := op.Body.(*jute.ErrorTxn); ok {
			s += " " + e.Err.String()
		}
		got = append(got, s)
	}
	want := []string{"create", "create", "setData", "error " + jute.CodeBadVersion.String(), "error " + jute.CodeRuntimeInconsistency.String(), "error " + jute.CodeRuntimeInconsistency.String()}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("multi txn %v\nwant %v", got, want)
	}
	// Later writes see neither the creates nor the setData of the multi,
	// but do see the change prepared before it.
	after := []struct {
		req  *Request
		want string
	}{
		{createReq("/m/a", "", jute.ModePersistent), "/m/a"},
		{createReq("/m/seq-", "", jute.ModePersistentSequential), "/m/seq-0000000003"},
		{setDataReq("/m/v", "z", 0), "/m/v"},
		{deleteReq("/m/pre-0000000001", 0), "/m/pre-0000000001"},
	}
	var xs []txn
	for _, a := range after {
		y := h.prepare(a.req)
		if y.hdr.Type == jute.OpError {
			t.Fatalf("%v %s after failed multi: %v", a.req.Type, opPath(a.req.Body), y.body)
		}
		xs = append(xs, y)
	}

	h.apply(pre)
	r := h.apply(x)
	wantRes := []jute.Code{jute.CodeOK, jute.CodeOK, jute.CodeOK, jute.CodeBadVersion, jute.CodeRuntimeInconsistency, jute.CodeRuntimeInconsistency}
	for i, sub := range r.Multi {
		if sub.Type != jute.OpError || sub.Err != wantRes[i] {
			t.Errorf("result %d: %+v, want error %v", i, sub, wantRes[i])
		}
	}
	if len(r.Multi) != len(wantRes) {
		t.Fatalf("%d results", len(r.Multi))
	}
	if h.exists("/m/a") || h.exists("/m/seq-0000000003") || h.data("/m/v") != "" {
		t.Fatal("failed multi changed the tree")
	}
	for i, y := range xs {
		if res := h.apply(y); res.Err != jute.CodeOK || res.Path != after[i].want {
			t.Fatalf("later write %d: %+v", i, res)
		}
	}
	if got := h.children("/m"); !reflect.DeepEqual(got, []string{"a", "seq-0000000003", "v"}) {
		t.Fatalf("children %v", got)
	}
	if n := h.prep.Outstanding(); n != 0 {
		t.Fatalf("Outstanding = %d after all applied", n)
	}
	checkInvariants(t, h.tree)
}

// TestMultiFailureKeepsEarlierChangeOfSamePath: the multi touches a path
// with an outstanding change from an earlier txn; the rollback restores it.
func TestMultiFailureKeepsEarlierChangeOfSamePath(t *testing.T) {
	h := newHarness(t)
	x1 := h.prepare(createReq("/q", "", jute.ModePersistent))
	x2 := h.prepare(multiReq(
		setDataReq("/q", "x", 0),
		createReq("/q/a", "", jute.ModePersistent),
		checkReq("/q", 7),
	))
	if _, ok := x2.body.(*jute.MultiTxn); !ok {
		t.Fatalf("%T", x2.body)
	}
	x3 := h.prepare(createReq("/q/b", "", jute.ModePersistent))
	x4 := h.prepare(setDataReq("/q", "y", 0))
	if x3.hdr.Type == jute.OpError || x4.hdr.Type == jute.OpError {
		t.Fatalf("writes after the failed multi: %v, %v", x3.body, x4.body)
	}
	for _, x := range []txn{x1, x2, x3, x4} {
		h.apply(x)
	}
	if h.data("/q") != "y" || !equalStrings(h.children("/q"), []string{"b"}) {
		t.Fatalf("tree: data %q children %v", h.data("/q"), h.children("/q"))
	}
}

func TestCloseSession(t *testing.T) {
	h := newHarness(t)
	h.must(createSessionReq(sessA, 5000))
	h.must(createSessionReq(sessB, 5000))
	h.must(createReq("/p", "", jute.ModePersistent))
	h.must(createReq("/e1", "", jute.ModeEphemeral))
	h.must(createReq("/p/e2", "", jute.ModeEphemeral))
	h.must(createReq("/p/e4", "", jute.ModeEphemeral))
	h.must(as(sessB, createReq("/p/b", "", jute.ModeEphemeral)))

	w := newWatcher(sessB)
	h.tree.GetData("/p/e2", nil, w)
	h.tree.GetChildren("/p", nil, w)
	h.tree.GetData("/p/b", nil, w)

	// Outstanding when the close is prepared: a new ephemeral of sessA and a
	// delete of one of its applied ephemerals.
	x1 := h.prepare(createReq("/p/e3", "", jute.ModeEphemeral))
	x2 := h.prepare(as(sessB, deleteReq("/e1", -1)))
	xc := h.prepare(closeReq(sessA))
	c, ok := xc.body.(*jute.CloseSessionTxn)
	if !ok || xc.hdr.Type != jute.OpCloseSession || xc.hdr.ClientID != sessA {
		t.Fatalf("close prepared as %v %T", xc.hdr.Type, xc.body)
	}
	if want := []string{"/p/e2", "/p/e3", "/p/e4"}; !reflect.DeepEqual(c.Paths2Delete, want) {
		t.Fatalf("Paths2Delete %v, want %v", c.Paths2Delete, want)
	}
	// /p can be deleted once sessB's node is gone: Prep counts the close's
	// deletions against the parent.
	xd := h.prepare(as(sessB, deleteReq("/p/b", -1)))
	xp := h.prepare(as(sessB, deleteReq("/p", -1)))
	if xp.hdr.Type == jute.OpError {
		t.Fatalf("delete of /p after the close: %v", xp.body)
	}
	for _, x := range []txn{x1, x2, xc, xd, xp} {
		if r := h.apply(x); r.Err != jute.CodeOK {
			t.Fatalf("%v: %v", x.hdr.Type, r.Err)
		}
	}
	if h.exists("/p") || h.exists("/e1") || h.tree.HasSession(sessA) {
		t.Fatal("close left nodes or the session behind")
	}
	if e := h.tree.Ephemerals(sessA, ""); len(e) != 0 {
		t.Fatalf("sessA ephemerals %v", e)
	}
	if e := h.tree.EphemeralsBySession(); len(e) != 0 {
		t.Fatalf("EphemeralsBySession %v", e)
	}
	got := w.take()
	want := []string{
		"children /p",   // /p/e3 created
		"deleted /p/e2", // the close
		"deleted /p/b",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("events %v\nwant %v", got, want)
	}
	checkInvariants(t, h.tree)
}

// TestCloseSessionWithoutPaths applies closeSession txns that do not list
// every ephemeral: an old-style txn with no body, and a txn whose list
// misses some; DataTree.killSession deletes the session's remaining
// ephemerals in both cases.
func TestCloseSessionWithoutPaths(t *testing.T) {
	for _, body := range []jute.Record{nil, &jute.CloseSessionTxn{Paths2Delete: []string{}}, &jute.CloseSessionTxn{Paths2Delete: []string{"/e1", "/gone"}}} {
		h := newHarness(t)
		h.must(createReq("/e1", "", jute.ModeEphemeral))
		h.must(createReq("/e2", "", jute.ModeEphemeral))
		h.must(as(sessB, createReq("/b", "", jute.ModeEphemeral)))
		h.must(createReq("/keep", "", jute.ModePersistent))
		h.zxid++
		hdr := jute.TxnHeader{ClientID: sessA, Zxid: h.zxid, Time: timeOf(h.zxid), Type: jute.OpCloseSession}
		if r := h.tree.Apply(&hdr, body); r.Err != jute.CodeOK {
			t.Fatalf("%v: %v", body, r.Err)
		}
		if h.exists("/e1") || h.exists("/e2") || !h.exists("/b") || !h.exists("/keep") {
			t.Fatalf("close with body %v left %v", body, h.children("/"))
		}
		if s := h.stat("/"); s.Pzxid != h.zxid {
			t.Fatalf("root pzxid %d, want %d", s.Pzxid, h.zxid)
		}
		checkInvariants(t, h.tree)
	}
}

func TestApplyUnappliableTxns(t *testing.T) {
	// Txns a correct Prep never produces, as log replay over a fuzzy
	// snapshot can: they fail with a code and leave the tree as it was.
	h := newHarness(t)
	h.must(createReq("/a", "", jute.ModePersistent))
	before := dump(h.tree)
	tests := []struct {
		typ  jute.OpCode
		body jute.Record
		want jute.Code
	}{
		{jute.OpCreate, &jute.CreateTxn{Path: "/a", ACL: jute.OpenACLUnsafe, ParentCVersion: 5}, jute.CodeNodeExists},
		{jute.OpCreate, &jute.CreateTxn{Path: "/x/y", ACL: jute.OpenACLUnsafe, ParentCVersion: 1}, jute.CodeNoNode},
		{jute.OpDelete, &jute.DeleteTxn{Path: "/nope"}, jute.CodeNoNode},
		{jute.OpSetData, &jute.SetDataTxn{Path: "/nope", Version: 1}, jute.CodeNoNode},
		{jute.OpSetACL, &jute.SetACLTxn{Path: "/nope", ACL: jute.OpenACLUnsafe, Version: 1}, jute.CodeNoNode},
	}
	for _, tc := range tests {
		h.tree.mu.Lock()
		h.tree.lastZxid = 1
		h.tree.mu.Unlock()
		hdr := jute.TxnHeader{Zxid: 1, Type: tc.typ}
		if r := h.tree.Apply(&hdr, tc.body); r.Err != tc.want {
			t.Errorf("%v %T: %v, want %v", tc.typ, tc.body, r.Err, tc.want)
		}
		if dump(h.tree) != before {
			t.Fatalf("%v %T changed the tree", tc.typ, tc.body)
		}
	}
	// A replayed create whose parent cversion is not newer keeps the
	// parent's cversion and pzxid (createNode's fuzzy-snapshot rule), and -1
	// means "one more than now".
	h.tree.mu.Lock()
	h.tree.lastZxid = 1
	h.tree.mu.Unlock()
	hdr := jute.TxnHeader{Zxid: 100, Type: jute.OpCreate}
	h.tree.Apply(&hdr, &jute.CreateTxn{Path: "/a/x", ACL: jute.OpenACLUnsafe, ParentCVersion: 0})
	if s := h.stat("/a"); s.Pzxid != 1 || s.NumChildren != 1 {
		t.Errorf("old parent cversion: %+v", s)
	}
	hdr.Zxid = 101
	h.tree.Apply(&hdr, &jute.CreateTxn{Path: "/a/y", ACL: jute.OpenACLUnsafe, ParentCVersion: -1})
	if s := h.stat("/a"); s.Pzxid != 101 || s.Cversion != 1*2-2 {
		t.Errorf("cversion -1: %+v", s)
	}
	if h.tree.LastZxid() != 101 {
		t.Errorf("LastZxid %d", h.tree.LastZxid())
	}
	// LastZxid never goes back.
	hdr.Zxid = 50
	h.tree.Apply(&hdr, &jute.CheckVersionTxn{Path: "/a", Version: 1})
	if h.tree.LastZxid() != 101 {
		t.Errorf("LastZxid went back to %d", h.tree.LastZxid())
	}
}

// TestMultiCreateTypeFromFlags: inside a multi, ZooKeeper 3.8 rebuilds every
// create from its flags (MultiOperationRecord → Op.create): container flags
// make a createContainer whatever opcode the client sent, other flags a
// plain create, and a createTTL op without TTL flags a plain create that
// drops the ttl.
func TestMultiCreateTypeFromFlags(t *testing.T) {
	tests := []struct {
		name     string
		typ      jute.OpCode
		body     jute.Record
		wantType jute.OpCode
		wantKind nodeKind
	}{
		{"create with container flags", jute.OpCreate, &jute.CreateRequest{Path: "/n", ACL: jute.OpenACLUnsafe, Flags: jute.ModeContainer}, jute.OpCreateContainer, kindContainer},
		{"create2 with container flags", jute.OpCreate2, &jute.CreateRequest{Path: "/n", ACL: jute.OpenACLUnsafe, Flags: jute.ModeContainer}, jute.OpCreateContainer, kindContainer},
		{"create2 ephemeral", jute.OpCreate2, &jute.CreateRequest{Path: "/n", ACL: jute.OpenACLUnsafe, Flags: jute.ModeEphemeral}, jute.OpCreate, kindEphemeral},
		{"createContainer with persistent flags", jute.OpCreateContainer, &jute.CreateRequest{Path: "/n", ACL: jute.OpenACLUnsafe, Flags: jute.ModePersistent}, jute.OpCreate, kindPersistent},
		{"createContainer with container flags", jute.OpCreateContainer, &jute.CreateRequest{Path: "/n", ACL: jute.OpenACLUnsafe, Flags: jute.ModeContainer}, jute.OpCreateContainer, kindContainer},
		{"createTTL with TTL flags", jute.OpCreateTTL, &jute.CreateTTLRequest{Path: "/n", ACL: jute.OpenACLUnsafe, Flags: jute.ModePersistentWithTTL, TTL: 100}, jute.OpCreateTTL, kindTTL},
		{"createTTL with persistent flags", jute.OpCreateTTL, &jute.CreateTTLRequest{Path: "/n", ACL: jute.OpenACLUnsafe, Flags: jute.ModePersistent, TTL: 100}, jute.OpCreate, kindPersistent},
		{"createTTL with container flags", jute.OpCreateTTL, &jute.CreateTTLRequest{Path: "/n", ACL: jute.OpenACLUnsafe, Flags: jute.ModeContainer, TTL: 100}, jute.OpCreateContainer, kindContainer},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			req := &Request{SessionID: sessA, Type: jute.OpMulti, Body: &jute.MultiRequest{Ops: []jute.MultiOp{{Type: tc.typ, Req: tc.body}}}}
			x := h.prepare(req)
			m := x.body.(*jute.MultiTxn)
			if len(m.Txns) != 1 || m.Txns[0].Type != tc.wantType {
				t.Fatalf("logged %v %T, want %v", m.Txns[0].Type, m.Txns[0].Body, tc.wantType)
			}
			r := h.apply(x)
			if r.Multi[0].Err != jute.CodeOK || r.Multi[0].Type != tc.wantType {
				t.Fatalf("result %+v", r.Multi[0])
			}
			if k := kindOf(rawOwner(h.tree, "/n")); k != tc.wantKind {
				t.Fatalf("node kind %d, want %d", k, tc.wantKind)
			}
		})
	}
}
