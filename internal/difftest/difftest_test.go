package difftest

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/zkmesh/zkmesh/internal/zktest"
)

var dump = flag.Bool("dump", false, "log every normalised observation of side A")

// apacheRun caches one run of every sequence against Apache ZooKeeper: the
// oracle's side is the same for every comparison in this test binary.
var apacheRun struct {
	once sync.Once
	recs []*Recording
}

// oracleRecordings runs every sequence against a fresh Apache ZooKeeper the
// first time it is called and returns the cached recordings after that
// (nil if that first run failed; t then fails).
func oracleRecordings(t *testing.T) []*Recording {
	apacheRun.once.Do(func() {
		apacheRun.recs = runAll(t, zktest.KindApache)
	})
	if apacheRun.recs == nil {
		t.Fatal("the Apache ZooKeeper run failed")
	}
	return apacheRun.recs
}

func runAll(t *testing.T, kind zktest.Kind) []*Recording {
	srv := zktest.Start(t, kind, ServerOptions())
	var out []*Recording
	for _, s := range Sequences() {
		out = append(out, Run(t, srv, s))
	}
	return out
}

// runBoth runs every sequence against the cached Apache ZooKeeper run (A)
// and a fresh server of kind b (B), in parallel, and returns both sides'
// recordings in sequence order.
func runBoth(t *testing.T, b zktest.Kind) (ra, rb []*Recording) {
	t.Run("run", func(t *testing.T) {
		t.Run("A-apache", func(t *testing.T) {
			t.Parallel()
			ra = oracleRecordings(t)
		})
		t.Run("B-"+string(b), func(t *testing.T) {
			t.Parallel()
			rb = runAll(t, b)
		})
	})
	if t.Failed() || t.Skipped() || len(ra) != len(rb) {
		t.FailNow()
	}
	return ra, rb
}

// TestApacheVsApache runs the harness against two Apache ZooKeeper servers:
// it must find no difference at all, which shows that the normalisation
// removes everything that differs between two correct servers and that the
// sequences are deterministic.
func TestApacheVsApache(t *testing.T) {
	zktest.RequireApache(t)
	ra, rb := runBoth(t, zktest.KindApache)
	total := 0
	for i := range ra {
		total += len(ra[i].Obs)
		if *dump {
			for j, o := range ra[i].Normalized() {
				t.Logf("%s #%d %s", ra[i].Seq, j, o)
			}
		}
		if d := Compare(ra[i], rb[i]); len(d) > 0 {
			t.Errorf("%s", Report("apache", "apache", ra[i], rb[i], d))
		}
		checkEventCounts(t, ra[i])
	}
	t.Logf("%d sequences, %d observations, no difference", len(ra), total)
	checkCoverage(t, ra)
}

// coveredOps are the client operations the sequences must send (as they
// appear in observation labels); reconfig and SASL are out of scope.
var coveredOps = []string{
	"create", "create2", "createContainer", "createTTL", "delete", "exists", "getData",
	"setData", "getACL", "setACL", "getChildren", "getChildren2", "getAllChildrenNumber",
	"getEphemerals", "sync", "ping", "check", "multi", "multiRead", "auth", "setWatches",
	"setWatches2", "addWatch", "checkWatches", "removeWatches", "whoAmI", "closeSession",
	"connect", "event",
}

func checkCoverage(t *testing.T, recs []*Recording) {
	t.Helper()
	seen := map[string]bool{}
	for _, r := range recs {
		for _, o := range r.Obs {
			f := strings.Fields(o.Label)
			if len(f) > 1 {
				seen[f[1]] = true
			}
		}
	}
	for _, op := range coveredOps {
		if !seen[op] {
			t.Errorf("no sequence sends %s", op)
		}
	}
}

// TestApacheVsZkmesh runs the harness against Apache ZooKeeper and zkmesh
// and fails on any difference testdata/known_differences.tsv does not
// explain.
func TestApacheVsZkmesh(t *testing.T) {
	zktest.RequireApache(t)
	zktest.ZkmeshBinary(t)
	known := loadKnown(t)
	ra, rb := runBoth(t, zktest.KindZkmesh)
	used := map[int]bool{}
	for i := range ra {
		diffs := Compare(ra[i], rb[i])
		explained, unexplained := Explain(known, diffs)
		for _, k := range explained {
			used[k.Line] = true
		}
		if len(unexplained) > 0 {
			t.Errorf("%s", Report("apache", "zkmesh", ra[i], rb[i], unexplained))
		}
		if len(explained) > 0 {
			t.Logf("%s: %d known difference(s)", ra[i].Seq, len(explained))
		}
	}
	for _, k := range known {
		if !used[k.Line] {
			t.Logf("known_differences.tsv line %d matched nothing (stale?): %s %s %s", k.Line, k.Seq, k.Label, k.Field)
		}
	}
}

func loadKnown(t *testing.T) []Known {
	f, err := os.Open("testdata/known_differences.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	known, err := ParseKnown(f)
	if err != nil {
		t.Fatal(err)
	}
	return known
}

func TestKnownTableParses(t *testing.T) {
	loadKnown(t)
	_, err := ParseKnown(strings.NewReader("crud\t*\terr\n"))
	if err == nil {
		t.Fatal("an entry without a reason was accepted")
	}
}

// TestCompareFindsDifferences plants differences and checks that Compare
// reports each, and that normalisation hides what must not matter.
func TestCompareFindsDifferences(t *testing.T) {
	mk := func(zbase, sess int64, version string, extra bool) *Recording {
		r := newRecording("s")
		r.sessions[sess] = "c1"
		r.add("c1 create /a", zxidField("hdr.zxid", zbase+1), timeField("ctime", 1700000000000+zbase), sessionField("owner", sess))
		r.add("c1 setData /a", zxidField("hdr.zxid", zbase+2), plain("version", "%s", version))
		if extra {
			r.add("c1 event", plain("type", "3"))
		}
		return r
	}
	if d := Compare(mk(100, 7, "1", false), mk(5000, 9, "1", false)); len(d) != 0 {
		t.Fatalf("zxid, time and session values that differ only in value were reported: %v", d)
	}
	d := Compare(mk(100, 7, "1", false), mk(100, 7, "2", true))
	if len(d) != 2 || d[0].Field != "version" || d[1].Field != "count" {
		t.Fatalf("differences = %v, want version and count", d)
	}
	// Zxid order matters: a reply whose zxid is older than an earlier one's.
	a, b := newRecording("s"), newRecording("s")
	a.add("x", zxidField("z", 10))
	a.add("y", zxidField("z", 20))
	b.add("x", zxidField("z", 20))
	b.add("y", zxidField("z", 10))
	if d := Compare(a, b); len(d) != 2 {
		t.Fatalf("zxid order swap gave %v", d)
	}
	// A label mismatch stops the comparison.
	a.add("p", plain("v", "1"))
	a.add("q", plain("v", "1"))
	b.add("q", plain("v", "1"))
	b.add("p", plain("v", "1"))
	d = Compare(a, b)
	if last := d[len(d)-1]; last.Field != "label" {
		t.Fatalf("label mismatch not reported last: %v", d)
	}
	rep := Report("A", "B", a, b, d)
	if !strings.Contains(rep, "difference(s)") {
		t.Fatalf("report %q", rep)
	}
	k := []Known{{Seq: "s", Label: "x", Field: "z", Reason: "r"}}
	ex, un := Explain(k, d)
	if len(ex) != 1 || len(un) != len(d)-1 {
		t.Fatalf("Explain = %v, %v", ex, un)
	}
	_ = fmt.Sprint(ex)
}

// TestCompareOneSidedZxid: a reply that carries a zxid on one side only is
// one difference, and does not shift the ranks of the observations after it.
func TestCompareOneSidedZxid(t *testing.T) {
	a, b := newRecording("s"), newRecording("s")
	a.add("c1 create /a", zxidField("hdr.zxid", 10))
	b.add("c1 create /a", zxidField("hdr.zxid", 7))
	a.add("c1 check /a", plain("transport", "no reply"))
	b.add("c1 check /a", plain("err", "ok"), zxidField("hdr.zxid", 8))
	a.add("c1 setData /a", zxidField("hdr.zxid", 12))
	b.add("c1 setData /a", zxidField("hdr.zxid", 9))
	d := Compare(a, b)
	for _, x := range d {
		if x.Index != 1 {
			t.Errorf("difference outside the one-sided observation: %v", x)
		}
	}
	if len(d) != 3 {
		t.Fatalf("differences = %v, want transport, err and hdr.zxid of #1", d)
	}
	if d[2].B != "z1+" {
		t.Errorf("one-sided zxid rendered %q, want z1+", d[2].B)
	}
}

// ensembleOptions are ServerOptions for a 3-member ensemble.
func ensembleOptions() zktest.Options {
	o := ServerOptions()
	o.Members = 3
	return o
}

func runEnsemble(t *testing.T, kind zktest.Kind) []*Recording {
	srv := zktest.Start(t, kind, ensembleOptions())
	var out []*Recording
	for _, s := range EnsembleSequences() {
		out = append(out, Run(t, srv, s))
	}
	return out
}

// ensembleRun caches the Apache ensemble's recordings.
var ensembleRun struct {
	once sync.Once
	recs []*Recording
}

func oracleEnsemble(t *testing.T) []*Recording {
	ensembleRun.once.Do(func() { ensembleRun.recs = runEnsemble(t, zktest.KindApache) })
	if ensembleRun.recs == nil {
		t.Fatal("the Apache ZooKeeper ensemble run failed")
	}
	return ensembleRun.recs
}

func compareEnsemble(t *testing.T, kind zktest.Kind, known []Known) {
	if testing.Short() {
		t.Skip("starts two 3-member ensembles")
	}
	var ra, rb []*Recording
	t.Run("run", func(t *testing.T) {
		t.Run("A-apache", func(t *testing.T) { t.Parallel(); ra = oracleEnsemble(t) })
		t.Run("B-"+string(kind), func(t *testing.T) { t.Parallel(); rb = runEnsemble(t, kind) })
	})
	if t.Failed() || len(ra) != len(rb) {
		t.FailNow()
	}
	for i := range ra {
		checkEventCounts(t, ra[i])
		if *dump {
			for j, o := range ra[i].Normalized() {
				t.Logf("%s #%d %s", ra[i].Seq, j, o)
			}
		}
		_, unexplained := Explain(known, Compare(ra[i], rb[i]))
		if len(unexplained) > 0 {
			t.Errorf("%s", Report("apache", string(kind), ra[i], rb[i], unexplained))
		}
	}
}

// TestEnsembleApacheVsApache: two Apache ensembles must not differ.
func TestEnsembleApacheVsApache(t *testing.T) {
	zktest.RequireApache(t)
	compareEnsemble(t, zktest.KindApache, nil)
}

// TestEnsembleApacheVsZkmesh compares a zkmesh ensemble with an Apache one.
func TestEnsembleApacheVsZkmesh(t *testing.T) {
	zktest.RequireApache(t)
	zktest.ZkmeshBinary(t)
	compareEnsemble(t, zktest.KindZkmesh, loadKnown(t))
}

// checkEventCounts fails when a sequence waited for more events than Apache
// ZooKeeper sent: the sequence's expectations are then wrong.
func checkEventCounts(t *testing.T, r *Recording) {
	t.Helper()
	for j, o := range r.Normalized() {
		if strings.HasSuffix(o.Label, " events") || strings.Contains(o.Label, "unexpected event") {
			t.Errorf("%s #%d: the sequence's event expectations do not match Apache ZooKeeper: %s", r.Seq, j, o)
		}
	}
}
