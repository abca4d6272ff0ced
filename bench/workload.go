package bench

import (
	"math/rand/v2"
	"strconv"

	"github.com/zkmesh/zkmesh/jute"
)

// Paths under the prefix: the key space is <prefix>/k/k<i>, a key's
// children <prefix>/k/k<i>/c<j>, nodes of the create workload
// <prefix>/c/s<session>-<n>.
func keysParent(prefix string) string    { return prefix + "/k" }
func createsParent(prefix string) string { return prefix + "/c" }

func keyPath(prefix string, i int) string {
	return prefix + "/k/k" + strconv.Itoa(i)
}

func childPath(prefix string, i, j int) string {
	return keyPath(prefix, i) + "/c" + strconv.Itoa(j)
}

func createdPath(prefix string, session int, n uint64) string {
	return prefix + "/c/s" + strconv.Itoa(session) + "-" + strconv.FormatUint(n, 10)
}

// worker is one session and what the run keeps about it. Its fields are
// touched by one phase at a time: next runs on the pipeline's writer
// goroutine, done on its reader goroutine.
type worker struct {
	idx     int
	cfg     *Config
	s       *session
	rng     *rand.Rand
	payload []byte
	// created counts the create requests sent: nodes s<idx>-0 .. created-1
	// may exist.
	created uint64
	stats   phaseStats

	// Reused request bodies: a body is encoded before next is called again.
	get      jute.GetDataRequest
	set      jute.SetDataRequest
	exists   jute.ExistsRequest
	children jute.GetChildrenRequest
	create   jute.CreateRequest
	del      jute.DeleteRequest
}

func newWorker(idx int, cfg *Config, payload []byte) *worker {
	return &worker{
		idx: idx, cfg: cfg, payload: payload,
		rng: rand.New(rand.NewPCG(cfg.Seed, uint64(idx))),
	}
}

// nextOp fills r with the next request of the configured workload.
func (w *worker) nextOp(r *request) bool {
	p := w.cfg.Prefix
	switch w.cfg.Workload {
	case WorkloadCreate:
		w.create = jute.CreateRequest{Path: createdPath(p, w.idx, w.created), Data: w.payload, ACL: jute.OpenACLUnsafe}
		w.created++
		*r = request{op: jute.OpCreate, body: &w.create}
	case WorkloadSet:
		w.setOp(r)
	case WorkloadGet:
		w.getOp(r)
	case WorkloadExists:
		w.exists = jute.ExistsRequest{Path: keyPath(p, w.rng.IntN(w.cfg.KeySpace))}
		*r = request{op: jute.OpExists, body: &w.exists}
	case WorkloadGetChildren:
		w.children = jute.GetChildrenRequest{Path: keyPath(p, w.rng.IntN(w.cfg.KeySpace))}
		*r = request{op: jute.OpGetChildren, body: &w.children}
	case WorkloadMixed:
		if w.rng.IntN(100) < w.cfg.ReadPercent {
			w.getOp(r)
		} else {
			w.setOp(r)
		}
	default:
		return false
	}
	return true
}

func (w *worker) getOp(r *request) {
	w.get = jute.GetDataRequest{Path: keyPath(w.cfg.Prefix, w.rng.IntN(w.cfg.KeySpace))}
	*r = request{op: jute.OpGetData, body: &w.get}
}

func (w *worker) setOp(r *request) {
	w.set = jute.SetDataRequest{Path: keyPath(w.cfg.Prefix, w.rng.IntN(w.cfg.KeySpace)), Data: w.payload, Version: -1}
	*r = request{op: jute.OpSetData, body: &w.set}
}

// createEach returns a next function that creates path(i) with data for
// every i in [0, n) with i % sessions == w.idx.
func (w *worker) createEach(n int, data []byte, path func(i int) string) func(*request) bool {
	i := w.idx
	return func(r *request) bool {
		if i >= n {
			return false
		}
		w.create = jute.CreateRequest{Path: path(i), Data: data, ACL: jute.OpenACLUnsafe}
		i += w.cfg.Sessions
		*r = request{op: jute.OpCreate, body: &w.create}
		return true
	}
}

// deleteEach is createEach's counterpart for deletes.
func (w *worker) deleteEach(n int, path func(i int) string) func(*request) bool {
	i := w.idx
	return func(r *request) bool {
		if i >= n {
			return false
		}
		w.del = jute.DeleteRequest{Path: path(i), Version: -1}
		i += w.cfg.Sessions
		*r = request{op: jute.OpDelete, body: &w.del}
		return true
	}
}

// deleteCreated returns a next function deleting every node this worker's
// create requests may have made.
func (w *worker) deleteCreated() func(*request) bool {
	var n uint64
	return func(r *request) bool {
		if n >= w.created {
			return false
		}
		w.del = jute.DeleteRequest{Path: createdPath(w.cfg.Prefix, w.idx, n), Version: -1}
		n++
		*r = request{op: jute.OpDelete, body: &w.del}
		return true
	}
}
