package znode

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"testing"

	"github.com/zkmesh/zkmesh/jute"
)

var update = flag.Bool("update", false, "rewrite testdata/snapshot-v2.bin from the current format")

// buildRichTree gives h a tree with every kind of node and a history that
// makes every Stat field differ from its default. With sessions false it
// records no session, so that its snapshot bytes are deterministic.
func buildRichTree(h *harness, sessions bool) {
	if sessions {
		h.must(createSessionReq(sessA, 30000))
		h.must(createSessionReq(sessB, 6000))
	}
	h.must(createReq("/app", "root data", jute.ModePersistent))
	h.must(createReq("/app/cfg", "\x00\x01\xff binary", jute.ModePersistent))
	h.must(setDataReq("/app/cfg", "v2", 0))
	h.must(&Request{SessionID: sessA, Type: jute.OpCreate, Body: &jute.CreateRequest{Path: "/app/nil", Data: nil, ACL: jute.OpenACLUnsafe}})
	h.must(createReq("/app/empty", "", jute.ModePersistent))
	for i := 0; i < 3; i++ {
		h.must(createReq("/app/seq-", "", jute.ModePersistentSequential))
	}
	h.must(deleteReq("/app/seq-0000000005", -1))
	h.must(createReq("/app/eph-", "a", jute.ModeEphemeralSequential))
	h.must(as(sessB, createReq("/app/b", "b", jute.ModeEphemeral)))
	h.must(containerReq("/app/cont"))
	h.must(createReq("/app/cont/k", "", jute.ModePersistent))
	h.must(containerReq("/app/cont-empty"))
	h.must(ttlReq("/app/ttl", jute.ModePersistentWithTTL, 2500))
	h.must(withAuth(createACLReq("/secure", []jute.ACL{{Perms: jute.PermAll, ID: bobID}, {Perms: jute.PermRead, ID: jute.Id{Scheme: "ip", ID: "10.0.0.0/8"}}}), bobID))
	h.must(withAuth(setACLReq("/secure", []jute.ACL{{Perms: jute.PermAll, ID: bobID}}, 0), bobID))
	h.must(setDataReq(QuotaPath, "q", -1))
	h.must(createReq("/deep", "", jute.ModePersistent))
	p := "/deep"
	for i := 0; i < 20; i++ {
		p += "/d"
		h.must(createReq(p, "", jute.ModePersistent))
	}
	h.do(deleteReq("/nothing", -1)) // an error txn advances lastZxid too
}

func writeSnap(t testing.TB, tr *Tree) []byte {
	t.Helper()
	var buf bytes.Buffer
	var opened int64 = -1
	err := tr.WriteSnapshot(func(z int64) (io.Writer, error) {
		opened = z
		return &buf, nil
	})
	if err != nil {
		t.Fatalf("WriteSnapshot: %v", err)
	}
	if opened != tr.LastZxid() {
		t.Fatalf("open got zxid %d, LastZxid is %d", opened, tr.LastZxid())
	}
	return buf.Bytes()
}

// allPaths walks the tree through its public reads.
func allPaths(t testing.TB, tr *Tree) []string {
	var out []string
	var walk func(p string)
	walk = func(p string) {
		out = append(out, p)
		kids, _, err := tr.GetChildren(p, []jute.Id{superID}, nil)
		if err != nil {
			t.Fatalf("GetChildren(%s): %v", p, err)
		}
		for _, k := range kids {
			walk(childPath(p, k))
		}
	}
	walk("/")
	return out
}

// sameReads compares every read a client can make of two trees.
func sameReads(t testing.TB, a, b *Tree) {
	t.Helper()
	ids := []jute.Id{superID}
	pa, pb := allPaths(t, a), allPaths(t, b)
	if !reflect.DeepEqual(pa, pb) {
		t.Fatalf("paths differ:\n%v\n%v", pa, pb)
	}
	for _, p := range pa {
		da, sa, _ := a.GetData(p, ids, nil)
		db, sb, _ := b.GetData(p, ids, nil)
		if !bytes.Equal(da, db) || (da == nil) != (db == nil) || sa != sb {
			t.Fatalf("%s: data %q/%q (nil %v/%v) stat %+v / %+v", p, da, db, da == nil, db == nil, sa, sb)
		}
		aa, _, _ := a.GetACL(p, ids)
		ab, _, _ := b.GetACL(p, ids)
		if !reflect.DeepEqual(aa, ab) {
			t.Fatalf("%s: ACL %v / %v", p, aa, ab)
		}
		na, _ := a.AllChildrenNumber(p, ids)
		nb, _ := b.AllChildrenNumber(p, ids)
		if na != nb {
			t.Fatalf("%s: all children %d / %d", p, na, nb)
		}
	}
	if a.LastZxid() != b.LastZxid() {
		t.Fatalf("LastZxid %d / %d", a.LastZxid(), b.LastZxid())
	}
	if !reflect.DeepEqual(a.Sessions(), b.Sessions()) {
		t.Fatalf("sessions %v / %v", a.Sessions(), b.Sessions())
	}
	if !reflect.DeepEqual(a.EphemeralsBySession(), b.EphemeralsBySession()) {
		t.Fatalf("ephemerals %v / %v", a.EphemeralsBySession(), b.EphemeralsBySession())
	}
	if a.Counts() != b.Counts() {
		t.Fatalf("counts %+v / %+v", a.Counts(), b.Counts())
	}
	for _, now := range []int64{0, timeOf(a.LastZxid()) + 5000} {
		if ea, eb := a.ExpiredNodes(now), b.ExpiredNodes(now); !reflect.DeepEqual(ea, eb) {
			t.Fatalf("expired at %d: %v / %v", now, ea, eb)
		}
	}
}

func TestSnapshotRoundTrip(t *testing.T) {
	h := newHarness(t)
	buildRichTree(h, true)
	snap := writeSnap(t, h.tree)
	got, err := ReadSnapshot(bytes.NewReader(snap))
	if err != nil {
		t.Fatalf("ReadSnapshot: %v", err)
	}
	if d1, d2 := dump(h.tree), dump(got); d1 != d2 {
		t.Fatalf("round trip differs:\n%s\nvs\n%s", d1, d2)
	}
	sameReads(t, h.tree, got)
	checkInvariants(t, got)
	if c := got.Counts(); c.Containers != 2 || c.TTLs != 1 || c.Ephemerals != 2 || c.Sessions != 2 {
		t.Fatalf("counts after reading: %+v", c)
	}

	// Both trees go on the same way: the same writes give the same results
	// (sequence numbers, cversions, ephemerals).
	h2 := &harness{t: t, tree: got, prep: NewPrep(got, PrepConfig{ExtendedTypesEnabled: true}), zxid: h.zxid}
	for _, req := range []func() *Request{
		func() *Request { return createReq("/app/seq-", "", jute.ModePersistentSequential) },
		func() *Request { return deleteReq("/app/cont/k", -1) },
		func() *Request { return setDataReq("/app/cfg", "v3", 1) },
		func() *Request { return createReq("/app/b/x", "", jute.ModePersistent) },
		func() *Request { return closeReq(sessB) },
		func() *Request { return withAuth(setDataReq("/secure", "s", 0), bobID) },
	} {
		r1, r2 := h.do(req()), h2.do(req())
		if !reflect.DeepEqual(r1, r2) {
			t.Fatalf("diverged: %+v / %+v", r1, r2)
		}
	}
	sameReads(t, h.tree, got)
}

func TestWriteSnapshotErrors(t *testing.T) {
	tr := NewTree()
	boom := errors.New("boom")
	if err := tr.WriteSnapshot(func(int64) (io.Writer, error) { return nil, boom }); err != boom {
		t.Fatalf("open error: %v", err)
	}
	h := newHarness(t)
	buildRichTree(h, true)
	if err := h.tree.WriteSnapshot(func(int64) (io.Writer, error) { return failWriter{boom}, nil }); !errors.Is(err, boom) {
		t.Fatalf("write error: %v", err)
	}
}

type failWriter struct{ err error }

func (w failWriter) Write([]byte) (int, error) { return 0, w.err }

// TestSnapshotFormat pins the snapshot bytes: a change of format must be a
// deliberate one (regenerate with -update and bump snapVersion).
func TestSnapshotFormat(t *testing.T) {
	h := newHarness(t)
	buildRichTree(h, false)
	h.must(createSessionReq(sessA, 30000)) // one session: deterministic order
	snap := writeSnap(t, h.tree)
	path := filepath.Join("testdata", "snapshot-v2.bin")
	if *update {
		if err := os.WriteFile(path, snap, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	golden, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(snap, golden) {
		t.Fatalf("snapshot bytes differ from %s (%d vs %d bytes)", path, len(snap), len(golden))
	}
	got, err := ReadSnapshot(bytes.NewReader(golden))
	if err != nil {
		t.Fatal(err)
	}
	if dump(got) != dump(h.tree) {
		t.Fatal("golden snapshot reads back differently")
	}
}

// frames builds a snapshot by hand.
func frames(recs ...jute.Record) []byte {
	var out []byte
	for _, r := range recs {
		out = jute.AppendFrame(out, r)
	}
	return out
}

func hdr(sessions int32, nodes int64) *snapHeader {
	return &snapHeader{magic: snapMagic, version: snapVersion, lastZxid: 7, sessions: sessions, nodes: nodes}
}

func sn(path string) *snapNode {
	return &snapNode{path: path, data: []byte{}, acl: jute.OpenACLUnsafe}
}

func TestReadSnapshotRefuses(t *testing.T) {
	system := []jute.Record{sn("/"), sn(ZookeeperPath), sn(ConfigPath), sn(QuotaPath)}
	end := sn("") // the node with no path that ends the list
	good := frames(append([]jute.Record{hdr(1, -1), &snapSession{id: 1, timeout: 10}}, append(system, sn("/zz"), end)...)...)
	if tr, err := ReadSnapshot(bytes.NewReader(good)); err != nil {
		t.Fatalf("the well-formed base is refused: %v", err)
	} else {
		checkInvariants(t, tr)
	}
	with := func(h *snapHeader, nodes ...jute.Record) []byte {
		return frames(append([]jute.Record{h}, nodes...)...)
	}
	ended := func(nodes ...jute.Record) []jute.Record { return append(nodes, end) }
	badMagic := hdr(0, -1)
	badMagic.magic++
	badVersion := hdr(0, -1)
	badVersion.version = 1
	tests := []struct {
		name string
		in   []byte
	}{
		{"empty", nil},
		{"garbage", []byte("not a snapshot at all")},
		{"bad magic", with(badMagic, ended(system...)...)},
		{"old version", with(badVersion, ended(system...)...)},
		{"a node count in the header", with(hdr(0, 4), ended(system...)...)},
		{"negative sessions", with(hdr(-1, -1), ended(system...)...)},
		{"no nodes", with(hdr(0, -1), end)},
		{"child before its parent", with(hdr(0, -1), ended(append(system, sn("/zz/b"), sn("/zz"))...)...)},
		{"unsorted", with(hdr(0, -1), ended(append(system, sn("/zzb"), sn("/zza"))...)...)},
		{"repeated path", with(hdr(0, -1), ended(append(system, sn("/zz"), sn("/zz"))...)...)},
		{"repeated root", with(hdr(0, -1), ended(append(system, sn("/"))...)...)},
		{"first node not the root", with(hdr(0, -1), ended(sn(ZookeeperPath), sn("/"), sn(ConfigPath), sn(QuotaPath))...)},
		{"missing /zookeeper", with(hdr(0, -1), ended(sn("/"), sn("/zz"))...)},
		{"missing quota node", with(hdr(0, -1), ended(sn("/"), sn(ZookeeperPath), sn(ConfigPath))...)},
		{"missing config node", with(hdr(0, -1), ended(sn("/"), sn(ZookeeperPath), sn(QuotaPath))...)},
		{"invalid path", with(hdr(0, -1), ended(append(system, sn("/zz/"))...)...)},
		{"relative path", with(hdr(0, -1), ended(append(system, sn("a"))...)...)},
		{"no end", with(hdr(0, -1), system...)},
		{"fewer sessions than announced", with(hdr(2, -1), append([]jute.Record{&snapSession{id: 1}}, ended(system...)...)...)},
		{"truncated", good[:len(good)-3]},
		{"frame with trailing bytes", append(frames(hdr(0, -1)), append([]byte{0, 0, 0, 30}, make([]byte, 30)...)...)},
		{"negative frame length", []byte{0xff, 0xff, 0xff, 0xff}},
		{"frame too large", []byte{0x7f, 0xff, 0xff, 0xff}},
	}
	for _, tc := range tests {
		tr, err := ReadSnapshot(bytes.NewReader(tc.in))
		if err == nil || !errors.Is(err, ErrBadSnapshot) || tr != nil {
			t.Errorf("%s: ReadSnapshot = %v, %v; want ErrBadSnapshot", tc.name, tr, err)
		}
	}
	// A fuzzy snapshot may hold a node whose parent was gone when the
	// writer reached the parent (both deleted and created again after it
	// began); the node is left out, and the log creates both again.
	orphan := with(hdr(0, -1), ended(append(system, sn("/zz/y"), sn("/zz/y/z"))...)...)
	tr, err := ReadSnapshot(bytes.NewReader(orphan))
	if err != nil {
		t.Fatalf("orphans refused: %v", err)
	}
	if _, err := tr.Exists("/zz/y", nil, nil); err != ErrNoNode {
		t.Fatalf("orphan kept: %v", err)
	}
	checkInvariants(t, tr)
}

// TestReadSnapshotShortInputAllocatesLittle: a frame header claiming a large
// frame must not make the reader allocate that much before the bytes are
// there.
func TestReadSnapshotShortInputAllocatesLittle(t *testing.T) {
	in := []byte{0x03, 0xff, 0xff, 0xff, 1, 2, 3} // claims 64 MiB, holds 3 bytes
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if _, err := ReadSnapshot(bytes.NewReader(in)); !errors.Is(err, ErrBadSnapshot) {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > 4<<20 {
		t.Fatalf("reading %d bytes allocated %d bytes", len(in), n)
	}
}

func TestReplaceWith(t *testing.T) {
	h := newHarness(t)
	h.must(createReq("/old", "", jute.ModePersistent))
	w := newWatcher(sessB)
	h.tree.Exists("/shared", nil, w) // missing: an exist watch
	h.tree.GetChildren("/", nil, w)

	src := newHarness(t)
	buildRichTree(src, true)
	src.must(createReq("/other", "", jute.ModePersistent))
	want := dump(src.tree)
	img, err := ReadSnapshot(bytes.NewReader(writeSnap(t, src.tree)))
	if err != nil {
		t.Fatal(err)
	}
	h.tree.ReplaceWith(img)
	if got := dump(h.tree); got != want {
		t.Fatalf("after ReplaceWith:\n%s\nwant\n%s", got, want)
	}
	sameReads(t, h.tree, src.tree)
	checkInvariants(t, h.tree)
	// The watches registered before stay and fire on later txns.
	h.prep.Reset()
	h.zxid = h.tree.LastZxid()
	h.must(createReq("/shared", "", jute.ModePersistent))
	if got := w.takeSorted(); !equalStrings(got, []string{"children /", "created /shared"}) {
		t.Fatalf("events after ReplaceWith: %v", got)
	}
	if h.exists("/old") {
		t.Fatal("/old survived ReplaceWith")
	}
}

func FuzzReadSnapshot(f *testing.F) {
	h := newHarness(f)
	buildRichTree(h, true)
	rich := writeSnap(f, h.tree)
	f.Add(rich)
	f.Add(writeSnap(f, NewTree()))
	if golden, err := os.ReadFile(filepath.Join("testdata", "snapshot-v1.bin")); err == nil {
		f.Add(golden)
	}
	for _, cut := range []int{0, 4, 20, 40, len(rich) / 2, len(rich) - 1} {
		f.Add(rich[:cut])
	}
	f.Add([]byte{0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, in []byte) {
		tr, err := ReadSnapshot(bytes.NewReader(in))
		if err != nil {
			if !errors.Is(err, ErrBadSnapshot) || tr != nil {
				t.Fatalf("ReadSnapshot = %v, %v", tr, err)
			}
			return
		}
		checkSnapshotTree(t, tr)
		again, err := ReadSnapshot(bytes.NewReader(writeSnap(t, tr)))
		if err != nil {
			t.Fatalf("a tree read from a snapshot does not survive its own snapshot: %v", err)
		}
		if dump(again) != dump(tr) {
			t.Fatal("second round trip differs")
		}
		// The tree is usable: reads and a write work.
		allPaths(t, tr)
		hdr, body := NewPrep(tr, PrepConfig{}).Prepare(tr.LastZxid()+1, 0, createReq("/fuzz-probe", "", jute.ModePersistent))
		tr.Apply(&hdr, body)
	})
}

// checkSnapshotTree is checkInvariants without the rules a snapshot does not
// promise (an ephemeral with children).
func checkSnapshotTree(t *testing.T, tr *Tree) {
	t.Helper()
	tr.mu.RLock()
	defer tr.mu.RUnlock()
	for _, p := range []string{"/", ZookeeperPath, QuotaPath, ConfigPath} {
		if tr.nodes[p] == nil {
			t.Fatalf("accepted a snapshot without %s", p)
		}
	}
	var size int64
	for p, n := range tr.nodes {
		size += int64(len(p) + len(n.data))
		if p == "/" {
			continue
		}
		if ValidatePath(p) != nil {
			t.Fatalf("accepted path %q", p)
		}
		parent, name := splitPath(p)
		if _, ok := tr.nodes[parent].children[name]; !ok {
			t.Fatalf("%s not listed by its parent", p)
		}
	}
	if size != tr.dataSize {
		t.Fatalf("dataSize %d, nodes add up to %d", tr.dataSize, size)
	}
}
