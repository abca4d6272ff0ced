package znode

import (
	"reflect"
	"testing"

	"github.com/zkmesh/zkmesh/jute"
)

func TestCreateModes(t *testing.T) {
	tests := []struct {
		name      string
		req       *Request
		wantPath  string
		wantTxn   reflect.Type
		ephemeral bool  // CreateTxn.Ephemeral
		rawOwner  int64 // owner kept in the tree
		clientOwn int64 // EphemeralOwner a client sees
		counts    Counts
	}{
		{"persistent", createReq("/p/n", "d", jute.ModePersistent), "/p/n", reflect.TypeOf(&jute.CreateTxn{}), false, 0, 0, Counts{}},
		{"ephemeral", createReq("/p/n", "d", jute.ModeEphemeral), "/p/n", reflect.TypeOf(&jute.CreateTxn{}), true, sessA, sessA, Counts{Ephemerals: 1}},
		{"persistent sequential", createReq("/p/n-", "d", jute.ModePersistentSequential), "/p/n-0000000000", reflect.TypeOf(&jute.CreateTxn{}), false, 0, 0, Counts{}},
		{"ephemeral sequential", createReq("/p/n-", "d", jute.ModeEphemeralSequential), "/p/n-0000000000", reflect.TypeOf(&jute.CreateTxn{}), true, sessA, sessA, Counts{Ephemerals: 1}},
		{"container", containerReq("/p/n"), "/p/n", reflect.TypeOf(&jute.CreateContainerTxn{}), false, containerOwner, 0, Counts{Containers: 1}},
		{"ttl", ttlReq("/p/n", jute.ModePersistentWithTTL, 5000), "/p/n", reflect.TypeOf(&jute.CreateTTLTxn{}), false, ttlOwner(5000), 0, Counts{TTLs: 1}},
		{"ttl sequential", ttlReq("/p/n", jute.ModePersistentSequentialWithTTL, MaxTTLMs), "/p/n0000000000", reflect.TypeOf(&jute.CreateTTLTxn{}), false, ttlOwner(MaxTTLMs), 0, Counts{TTLs: 1}},
		// A plain create carries no owner in its txn: ZooKeeper's tree makes
		// the node persistent, whatever the flags said.
		{"create (not create2) in container mode", &Request{SessionID: sessA, Type: jute.OpCreate, Body: &jute.CreateRequest{Path: "/p/n", ACL: jute.OpenACLUnsafe, Flags: jute.ModeContainer}}, "/p/n", reflect.TypeOf(&jute.CreateTxn{}), false, 0, 0, Counts{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.must(createReq("/p", "", jute.ModePersistent))
			before := h.tree.Counts()

			x := h.prepare(tc.req)
			if reflect.TypeOf(x.body) != tc.wantTxn {
				t.Fatalf("txn body %T, want %v", x.body, tc.wantTxn)
			}
			if c, ok := x.body.(*jute.CreateTxn); ok && c.Ephemeral != tc.ephemeral {
				t.Errorf("CreateTxn.Ephemeral = %v", c.Ephemeral)
			}
			res := h.apply(x)
			if res.Err != jute.CodeOK || res.Path != tc.wantPath || res.Type != tc.req.Type {
				t.Fatalf("result %+v, want OK at %s type %v", res, tc.wantPath, tc.req.Type)
			}
			z := x.hdr.Zxid
			want := jute.Stat{Czxid: z, Mzxid: z, Pzxid: z, Ctime: timeOf(z), Mtime: timeOf(z), EphemeralOwner: tc.clientOwn, DataLength: int32(len(dataOf(tc.req)))}
			if res.Stat != want {
				t.Errorf("result stat %+v\nwant %+v", res.Stat, want)
			}
			if got := h.stat(tc.wantPath); got != want {
				t.Errorf("GetData stat %+v\nwant %+v", got, want)
			}
			if raw := rawOwner(h.tree, tc.wantPath); raw != tc.rawOwner {
				t.Errorf("raw owner %#x, want %#x", raw, tc.rawOwner)
			}
			parent := h.stat("/p")
			if parent.Pzxid != z || parent.Cversion != 1 || parent.NumChildren != 1 || parent.Mzxid == z {
				t.Errorf("parent stat after create: %+v", parent)
			}
			after := h.tree.Counts()
			got := Counts{Ephemerals: after.Ephemerals - before.Ephemerals, Containers: after.Containers - before.Containers, TTLs: after.TTLs - before.TTLs}
			if got != tc.counts {
				t.Errorf("counts grew by %+v, want %+v", got, tc.counts)
			}
			if after.Nodes != before.Nodes+1 {
				t.Errorf("nodes %d -> %d", before.Nodes, after.Nodes)
			}
			wantEph := []string{}
			if tc.clientOwn != 0 {
				wantEph = []string{tc.wantPath}
			}
			if e := h.tree.Ephemerals(sessA, ""); !equalStrings(e, wantEph) {
				t.Errorf("Ephemerals = %v, want %v", e, wantEph)
			}
			checkInvariants(t, h.tree)
		})
	}
}

func dataOf(r *Request) []byte {
	switch b := r.Body.(type) {
	case *jute.CreateRequest:
		return b.Data
	case *jute.CreateTTLRequest:
		return b.Data
	}
	return nil
}

func rawOwner(tr *Tree, path string) int64 {
	tr.mu.RLock()
	defer tr.mu.RUnlock()
	return tr.nodes[path].stat.EphemeralOwner
}

// TestSequentialNumbering checks that the suffix comes from the parent's
// cversion, which creates bump and deletes do not, and that clients see
// cversion as ZooKeeper reports it: creates plus deletes.
func TestSequentialNumbering(t *testing.T) {
	h := newHarness(t)
	h.must(createReq("/s", "", jute.ModePersistent))
	var got []string
	for i := 0; i < 3; i++ {
		got = append(got, h.must(createReq("/s/n-", "", jute.ModePersistentSequential)).Path)
	}
	h.must(deleteReq("/s/n-0000000001", -1))
	h.must(createReq("/s/plain", "", jute.ModePersistent))
	got = append(got, h.must(createReq("/s/e-", "", jute.ModeEphemeralSequential)).Path)
	got = append(got, h.must(ttlReq("/s/t-", jute.ModePersistentSequentialWithTTL, 100)).Path)
	want := []string{"/s/n-0000000000", "/s/n-0000000001", "/s/n-0000000002", "/s/e-0000000004", "/s/t-0000000005"}
	if !equalStrings(got, want) {
		t.Fatalf("sequential paths %v, want %v", got, want)
	}
	// 6 creates and 1 delete; 5 children remain.
	s := h.stat("/s")
	if s.NumChildren != 5 || s.Cversion != 7 {
		t.Errorf("parent NumChildren %d Cversion %d, want 5 and 7 (creates+deletes, as DataNode.copyStat reports)", s.NumChildren, s.Cversion)
	}
	// Deleting every child leaves the client cversion at 12 (6 creates, 6
	// deletes) and the next suffix at 6.
	for _, c := range h.children("/s") {
		h.must(deleteReq("/s/"+c, -1))
	}
	if s := h.stat("/s"); s.Cversion != 12 || s.NumChildren != 0 {
		t.Errorf("after deleting all: %+v", s)
	}
	if p := h.must(createReq("/s/x", "", jute.ModePersistentSequential)).Path; p != "/s/x0000000006" {
		t.Errorf("next sequential %s", p)
	}
	// A sequential create may end the given path with a slash.
	if p := h.must(createReq("/s/", "", jute.ModePersistentSequential)).Path; p != "/s/0000000007" {
		t.Errorf("sequential on a trailing slash gave %s", p)
	}
	// The suffix is at least ten digits and grows past them.
	h.must(createReq("/big", "", jute.ModePersistent))
	h.tree.mu.Lock()
	h.tree.nodes["/big"].stat.Cversion = 1234567890
	h.tree.mu.Unlock()
	if p := h.must(createReq("/big/x", "", jute.ModePersistentSequential)).Path; p != "/big/x1234567890" {
		t.Errorf("large sequential %s", p)
	}
}

func TestStatLifecycle(t *testing.T) {
	h := newHarness(t)
	h.must(createReq("/a", "one", jute.ModePersistent))
	cz := h.zxid

	r := h.must(setDataReq("/a", "three", -1))
	sz := h.zxid
	want := jute.Stat{Czxid: cz, Mzxid: sz, Pzxid: cz, Ctime: timeOf(cz), Mtime: timeOf(sz), Version: 1, DataLength: 5}
	if r.Stat != want || h.stat("/a") != want {
		t.Fatalf("after setData: result %+v tree %+v\nwant %+v", r.Stat, h.stat("/a"), want)
	}
	if h.data("/a") != "three" {
		t.Fatalf("data %q", h.data("/a"))
	}
	r = h.must(setDataReq("/a", "", 1))
	want.Version, want.Mzxid, want.Mtime, want.DataLength = 2, h.zxid, timeOf(h.zxid), 0
	if r.Stat != want {
		t.Fatalf("after setData with version: %+v", r.Stat)
	}
	mz := h.zxid

	r = h.must(setACLReq("/a", jute.ReadACLUnsafe, -1))
	want.Aversion = 1
	if r.Stat != want || h.stat("/a") != want {
		t.Fatalf("after setACL: %+v, want %+v (mzxid stays %d)", r.Stat, want, mz)
	}
	acl, _, err := h.tree.GetACL("/a", nil)
	if err != nil || !reflect.DeepEqual(acl, jute.ReadACLUnsafe) {
		t.Fatalf("GetACL = %v, %v", acl, err)
	}
	h.must(withAuth(setACLReq("/a", jute.OpenACLUnsafe, 1), superID))
	if s := h.stat("/a"); s.Aversion != 2 || s.Version != 2 {
		t.Fatalf("aversion after two setACLs: %+v", s)
	}

	h.must(createReq("/a/b", "", jute.ModePersistent))
	h.must(createReq("/a/c", "", jute.ModePersistent))
	s := h.stat("/a")
	if s.NumChildren != 2 || s.Cversion != 2 || s.Pzxid != h.zxid || s.Mzxid != mz || s.Version != 2 {
		t.Fatalf("after two creates: %+v", s)
	}
	h.must(deleteReq("/a/b", 0))
	dz := h.zxid
	s = h.stat("/a")
	if s.NumChildren != 1 || s.Cversion != 3 || s.Pzxid != dz {
		t.Fatalf("after delete: %+v", s)
	}
	if h.exists("/a/b") {
		t.Fatal("/a/b survived its delete")
	}
	// setData on a child does not touch the parent.
	h.must(setDataReq("/a/c", "x", 0))
	if s2 := h.stat("/a"); s2 != s {
		t.Fatalf("child setData changed parent: %+v -> %+v", s, s2)
	}
	// The check op reports the node's Stat and changes nothing.
	before := h.stat("/a/c")
	r = h.must(checkReq("/a/c", 1))
	if r.Stat != before || h.stat("/a/c") != before {
		t.Fatalf("check: result %+v, node %+v, want %+v", r.Stat, h.stat("/a/c"), before)
	}
	checkInvariants(t, h.tree)
}

func TestCreateSessionTxn(t *testing.T) {
	h := newHarness(t)
	h.must(createSessionReq(sessA, 30000))
	h.must(createSessionReq(sessB, 4000))
	if !h.tree.HasSession(sessA) || h.tree.HasSession(0x99) {
		t.Fatal("HasSession")
	}
	if got := h.tree.Sessions(); !reflect.DeepEqual(got, map[int64]int32{sessA: 30000, sessB: 4000}) {
		t.Fatalf("Sessions = %v", got)
	}
	h.must(closeReq(sessA))
	if h.tree.HasSession(sessA) || !h.tree.HasSession(sessB) || h.tree.Counts().Sessions != 1 {
		t.Fatal("close did not forget the session")
	}
}

func TestSystemNodes(t *testing.T) {
	tr := NewTree()
	got, _, err := tr.GetChildren("/", nil, nil)
	if err != nil || !equalStrings(got, []string{"zookeeper"}) {
		t.Fatalf("root children %v %v", got, err)
	}
	got, _, _ = tr.GetChildren(ZookeeperPath, nil, nil)
	if !equalStrings(got, []string{"config", "quota"}) {
		t.Fatalf("/zookeeper children %v", got)
	}
	acl, _, _ := tr.GetACL(ConfigPath, nil)
	if !reflect.DeepEqual(acl, jute.ReadACLUnsafe) {
		t.Fatalf("config ACL %v", acl)
	}
	// DataTree.approximateDataSize counts every path and data length,
	// system nodes included: 1 + 10 + 16 + 17.
	if c := tr.Counts(); c.Nodes != 4 || c.DataBytes != 44 {
		t.Errorf("counts %+v, want 4 nodes and 44 bytes", c)
	}
	checkInvariants(t, tr)
}
