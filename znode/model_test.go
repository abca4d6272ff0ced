package znode

import (
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"testing"

	"github.com/zkmesh/zkmesh/jute"
)

// mnode is a node of the reference model.
type mnode struct {
	data     string
	version  int32
	cversion int32 // child creations, which number sequential children
	owner    int64
}

// model is the simplest possible data tree: a map from path to node. It
// knows nothing of Prep's outstanding changes: requests are applied to it
// in the order they are prepared, which is the order they commit in.
type model map[string]*mnode

func (m model) clone() model {
	out := make(model, len(m))
	for p, n := range m {
		c := *n
		out[p] = &c
	}
	return out
}

func (m model) children(p string) []string {
	var out []string
	for q := range m {
		if q != "/" && parentOf(q) == p {
			out = append(out, q[strings.LastIndexByte(q, '/')+1:])
		}
	}
	sort.Strings(out)
	return out
}

func parentOf(p string) string {
	parent, _ := splitPath(p)
	return parent
}

// apply runs one op against the model and returns its code and, for a
// create, the path created.
func (m model) apply(session int64, typ jute.OpCode, body jute.Record) (jute.Code, string) {
	switch b := body.(type) {
	case *jute.CreateRequest:
		parent := m[parentOf(b.Path)]
		if parent == nil {
			return jute.CodeNoNode, ""
		}
		path := b.Path
		if b.Flags.Sequential() {
			path += fmt.Sprintf("%010d", parent.cversion)
		}
		if m[path] != nil {
			return jute.CodeNodeExists, ""
		}
		if parent.owner != 0 {
			return jute.CodeNoChildrenForEphemerals, ""
		}
		parent.cversion++
		n := &mnode{data: string(b.Data)}
		if b.Flags.Ephemeral() {
			n.owner = session
		}
		m[path] = n
		return jute.CodeOK, path
	case *jute.DeleteRequest:
		if m[parentOf(b.Path)] == nil || m[b.Path] == nil {
			return jute.CodeNoNode, ""
		}
		if b.Version != -1 && b.Version != m[b.Path].version {
			return jute.CodeBadVersion, ""
		}
		if len(m.children(b.Path)) > 0 {
			return jute.CodeNotEmpty, ""
		}
		delete(m, b.Path)
		return jute.CodeOK, ""
	case *jute.SetDataRequest:
		n := m[b.Path]
		if n == nil {
			return jute.CodeNoNode, ""
		}
		if b.Version != -1 && b.Version != n.version {
			return jute.CodeBadVersion, ""
		}
		n.version++
		n.data = string(b.Data)
		return jute.CodeOK, ""
	case *jute.CheckVersionRequest:
		n := m[b.Path]
		if n == nil {
			return jute.CodeNoNode, ""
		}
		if b.Version != -1 && b.Version != n.version {
			return jute.CodeBadVersion, ""
		}
		return jute.CodeOK, ""
	case nil:
		if typ == jute.OpCloseSession {
			for p, n := range m {
				if n.owner == session {
					delete(m, p)
				}
			}
			return jute.CodeOK, ""
		}
	}
	panic(fmt.Sprintf("model: %v %T", typ, body))
}

// expected is what the model says a request will do.
type expected struct {
	code  jute.Code
	path  string
	multi []jute.Code
}

func (m *model) run(req *Request) expected {
	if req.Type != jute.OpMulti {
		code, path := m.apply(req.SessionID, req.Type, req.Body)
		return expected{code: code, path: path}
	}
	trial := m.clone()
	var out expected
	failed := false
	for _, op := range req.Body.(*jute.MultiRequest).Ops {
		if failed {
			out.multi = append(out.multi, jute.CodeRuntimeInconsistency)
			continue
		}
		code, _ := trial.apply(req.SessionID, op.Type, op.Req)
		out.multi = append(out.multi, code)
		failed = code != jute.CodeOK
	}
	if !failed {
		*m = trial
	}
	return out
}

// gen makes random requests over a small set of paths, so that they often
// collide.
type gen struct {
	rnd *rand.Rand
	m   *model
}

func (g *gen) path() string {
	// Mostly existing nodes, sometimes any path of the universe.
	if g.rnd.Intn(3) > 0 {
		var ps []string
		for p := range *g.m {
			if p != "/" {
				ps = append(ps, p)
			}
		}
		if len(ps) > 0 {
			sort.Strings(ps)
			return ps[g.rnd.Intn(len(ps))]
		}
	}
	p := "/m"
	for d := g.rnd.Intn(4); d > 0; d-- {
		p += "/" + string(rune('a'+g.rnd.Intn(3)))
	}
	return p
}

func (g *gen) version(p string) int32 {
	switch g.rnd.Intn(4) {
	case 0:
		if n := (*g.m)[p]; n != nil {
			return n.version
		}
		return 0
	case 1:
		return int32(g.rnd.Intn(3))
	}
	return -1
}

func (g *gen) op() *Request {
	session := []int64{sessA, sessB}[g.rnd.Intn(2)]
	var r *Request
	switch k := g.rnd.Intn(10); {
	case k < 4:
		modes := []jute.CreateMode{jute.ModePersistent, jute.ModePersistent, jute.ModeEphemeral, jute.ModePersistentSequential, jute.ModeEphemeralSequential}
		mode := modes[g.rnd.Intn(len(modes))]
		p := g.path()
		if g.rnd.Intn(3) == 0 {
			p += "/" + string(rune('a'+g.rnd.Intn(3)))
		}
		if mode.Sequential() {
			p = parentOf(p) + "/s-"
			if parentOf(p) == "/" {
				p = "/m/s-"
			}
		}
		r = createReq(p, fmt.Sprintf("d%d", g.rnd.Intn(100)), mode)
		r.Type = []jute.OpCode{jute.OpCreate, jute.OpCreate2}[g.rnd.Intn(2)]
	case k < 6:
		p := g.path()
		r = deleteReq(p, g.version(p))
	case k < 8:
		p := g.path()
		r = setDataReq(p, fmt.Sprintf("v%d", g.rnd.Intn(100)), g.version(p))
	default:
		p := g.path()
		r = checkReq(p, g.version(p))
	}
	return as(session, r)
}

func (g *gen) request() *Request {
	switch k := g.rnd.Intn(20); {
	case k == 0:
		return closeReq([]int64{sessA, sessB}[g.rnd.Intn(2)])
	case k < 5:
		var ops []*Request
		for n := 1 + g.rnd.Intn(4); n > 0; n-- {
			ops = append(ops, g.op())
		}
		m := multiReq(ops...)
		m.SessionID = ops[0].SessionID
		return m
	}
	r := g.op()
	if r.Type == jute.OpCheck {
		return multiReq(r)
	}
	return r
}

// TestRandomAgainstModel prepares random requests in batches, applies each
// batch, and checks every result and then the whole tree against the model.
// In the concurrent variant an applier goroutine applies each txn as soon as
// it is prepared, while the next ones are being prepared, as on a leader.
func TestRandomAgainstModel(t *testing.T) {
	seeds := 8
	if testing.Short() {
		seeds = 2
	}
	for seed := int64(1); seed <= int64(seeds); seed++ {
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) { runModel(t, seed, false) })
		t.Run(fmt.Sprintf("concurrent-seed%d", seed), func(t *testing.T) { runModel(t, seed, true) })
	}
}

func runModel(t *testing.T, seed int64, concurrent bool) {
	const steps = 400
	rnd := rand.New(rand.NewSource(seed))
	h := newHarness(t)
	m := model{"/": {}}
	g := &gen{rnd: rnd, m: &m}
	var log []string
	tally := map[string]int{}
	in := make(chan txn, 8)
	out := make(chan Result, 8)
	if concurrent {
		go func() {
			defer close(out)
			for x := range in {
				r := h.tree.Apply(&x.hdr, x.body)
				h.prep.Applied(x.hdr.Zxid)
				out <- r
			}
		}()
		defer close(in)
	}
	for done := 0; done < steps; {
		type pending struct {
			x    txn
			req  *Request
			want expected
		}
		var batch []pending
		var results []Result
		for n := 1 + rnd.Intn(6); n > 0; n-- {
			req := g.request()
			want := m.run(req)
			x := h.prepare(req)
			batch = append(batch, pending{x, req, want})
			if concurrent {
				in <- x
				// Collect as we go, so the applier never blocks.
				for len(out) > 0 {
					results = append(results, <-out)
				}
			}
			done++
		}
		for i, p := range batch {
			if !concurrent {
				results = append(results, h.apply(p.x))
			} else if i >= len(results) {
				results = append(results, <-out)
			}
			r := results[i]
			desc := describe(p.req)
			log = append(log, desc)
			fail := func(format string, args ...any) {
				t.Helper()
				tail := log
				if len(tail) > 20 {
					tail = tail[len(tail)-20:]
				}
				t.Fatalf("seed %d, request %d %s: %s\nlast requests:\n%s", seed, len(log), desc, fmt.Sprintf(format, args...), strings.Join(tail, "\n"))
			}
			if p.req.Type == jute.OpMulti {
				if len(r.Multi) != len(p.want.multi) {
					fail("%d results, want %d", len(r.Multi), len(p.want.multi))
				}
				for i, sub := range r.Multi {
					tally["multi "+sub.Err.String()]++
					if sub.Err != p.want.multi[i] {
						fail("op %d: %v, want %v", i, sub.Err, p.want.multi[i])
					}
				}
				continue
			}
			tally[r.Err.String()]++
			if r.Err != p.want.code {
				fail("got %v, want %v", r.Err, p.want.code)
			}
			if p.want.path != "" && r.Path != p.want.path {
				fail("created %s, want %s", r.Path, p.want.path)
			}
		}
		if n := h.prep.Outstanding(); n != 0 {
			t.Fatalf("%d changes outstanding after the batch", n)
		}
		compareModel(t, h, m)
	}
	checkInvariants(t, h.tree)
	t.Logf("results: %v; %d nodes at the end", tally, len(m))
}

func describe(r *Request) string {
	if r.Type == jute.OpMulti {
		var parts []string
		for _, op := range r.Body.(*jute.MultiRequest).Ops {
			parts = append(parts, describe(&Request{SessionID: r.SessionID, Type: op.Type, Body: op.Req}))
		}
		return "multi[" + strings.Join(parts, "; ") + "]"
	}
	switch b := r.Body.(type) {
	case *jute.CreateRequest:
		return fmt.Sprintf("%#x create %s mode %d", r.SessionID, b.Path, b.Flags)
	case *jute.DeleteRequest:
		return fmt.Sprintf("delete %s v%d", b.Path, b.Version)
	case *jute.SetDataRequest:
		return fmt.Sprintf("setData %s v%d", b.Path, b.Version)
	case *jute.CheckVersionRequest:
		return fmt.Sprintf("check %s v%d", b.Path, b.Version)
	}
	return fmt.Sprintf("%#x %v", r.SessionID, r.Type)
}

// compareModel checks every model node against the tree and that the tree
// has nothing else under /m.
func compareModel(t *testing.T, h *harness, m model) {
	t.Helper()
	for p, n := range m {
		if p == "/" {
			continue
		}
		d, s, err := h.tree.GetData(p, nil, nil)
		if err != nil {
			t.Fatalf("%s: in the model, tree says %v", p, err)
		}
		kids := m.children(p)
		got := h.children(p)
		if string(d) != n.data || s.Version != n.version || s.EphemeralOwner != n.owner || !equalStrings(got, kids) ||
			s.NumChildren != int32(len(kids)) || s.Cversion != 2*n.cversion-int32(len(kids)) {
			t.Fatalf("%s: tree %q %+v children %v\nmodel %+v children %v", p, d, s, got, *n, kids)
		}
	}
	if m["/m"] == nil && h.exists("/m") {
		t.Fatal("/m exists in the tree only")
	}
	if got := h.tree.Counts().Nodes; got != len(m)+3 {
		t.Fatalf("tree has %d nodes, model %d (+3 system)", got, len(m))
	}
	eph := 0
	for _, n := range m {
		if n.owner != 0 {
			eph++
		}
	}
	if got := h.tree.Counts().Ephemerals; got != eph {
		t.Fatalf("tree has %d ephemerals, model %d", got, eph)
	}
}
