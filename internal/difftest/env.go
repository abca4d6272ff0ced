package difftest

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/zkmesh/zkmesh/internal/zktest"
	"github.com/zkmesh/zkmesh/jute"
)

// eventWait bounds every wait for watch events. Apache ZooKeeper delivers
// within milliseconds; the bound only matters when a server misses one.
const eventWait = 5 * time.Second

// Env is what a sequence step sees: named clients on one server and the
// recording of what they observed. Steps call it from the test goroutine
// only.
type Env struct {
	t    testing.TB
	srv  *zktest.Server
	rec  *Recording
	raw  map[string]*zktest.RawClient
	seen map[string]int   // events already recorded per raw client
	last map[string]int64 // highest reply zxid seen per raw client
	// place maps client names to the ensemble member (index into
	// srv.Members) they connect to; unplaced clients use member 0.
	place map[string]int
}

func newEnv(t testing.TB, srv *zktest.Server, seq string) *Env {
	return &Env{
		t: t, srv: srv, rec: newRecording(seq),
		raw: map[string]*zktest.RawClient{}, seen: map[string]int{}, last: map[string]int64{},
		place: map[string]int{},
	}
}

// Dial connects raw client name with o (replacing any earlier client of
// that name) and records the handshake outcome.
func (e *Env) Dial(name string, o zktest.RawOptions) *zktest.RawClient {
	e.t.Helper()
	c, err := zktest.DialRaw(e.addrOf(name), o)
	if err == zktest.ErrRawExpired {
		e.rec.add(name+" connect", plain("outcome", "expired"))
		return nil
	}
	if err != nil {
		e.t.Fatalf("%s: dial %s: %v", e.rec.Seq, name, err)
	}
	if o.SessionID == 0 {
		e.rec.sessions[c.SessionID] = name
	}
	e.rec.add(name+" connect", plain("outcome", "connected"), plain("timeoutMs", "%d", c.TimeoutMs),
		sessionField("session", c.SessionID), plain("passwdLen", "%d", len(c.Passwd)))
	e.raw[name] = c
	e.seen[name] = 0
	e.t.Cleanup(func() { _ = c.Drop() })
	return c
}

// Place makes client name connect to ensemble member i (0-based, modulo
// the ensemble size) from its next dial on.
func (e *Env) Place(name string, i int) { e.place[name] = i }

func (e *Env) addrOf(name string) string {
	ms := e.srv.Members
	if len(ms) == 0 {
		return e.srv.Addr
	}
	return ms[e.place[name]%len(ms)].Addr
}

// C returns raw client name, dialling it with default options the first
// time.
func (e *Env) C(name string) *zktest.RawClient {
	e.t.Helper()
	if c, ok := e.raw[name]; ok {
		return c
	}
	return e.Dial(name, zktest.RawOptions{})
}

// Record records a reply for client name's op on path.
func (e *Env) Record(name, op, path string, r zktest.Result, err error) zktest.Result {
	e.t.Helper()
	label := fmt.Sprintf("%s %s %s", name, op, path)
	if err != nil {
		e.rec.add(label, plain("transport", "%s", transportOutcome(err)))
		return r
	}
	if r.Reply.Zxid > e.last[name] {
		e.last[name] = r.Reply.Zxid
	}
	fs := []Field{plain("err", "%s", codeName(r.Reply.Err)), plain("xid", "%d", r.Reply.Xid), zxidField("hdr.zxid", r.Reply.Zxid)}
	if r.Reply.Err == jute.CodeOK {
		fs = append(fs, resultFields(r)...)
	}
	e.rec.add(label, fs...)
	return r
}

func transportOutcome(err error) string {
	switch {
	case err == zktest.ErrRawClosed:
		return "connection closed"
	case strings.Contains(err.Error(), "no answer in time"):
		return "no reply"
	}
	return "error"
}

func codeName(c jute.Code) string { return fmt.Sprintf("%d(%s)", int32(c), c) }

func resultFields(r zktest.Result) []Field {
	var fs []Field
	if r.Path != "" {
		fs = append(fs, plain("path", "%s", r.Path))
	}
	if r.Data != nil {
		fs = append(fs, plain("data", "%q", r.Data))
	}
	if r.Children != nil {
		fs = append(fs, plain("children", "%s", sortedList(r.Children)))
	}
	if r.ACL != nil {
		fs = append(fs, plain("acl", "%s", aclString(r.ACL)))
	}
	if r.Number != 0 {
		fs = append(fs, plain("number", "%d", r.Number))
	}
	if r.ClientInfo != nil {
		var s []string
		for _, ci := range r.ClientInfo {
			s = append(s, ci.AuthScheme+":"+ci.User)
		}
		fs = append(fs, plain("clientInfo", "%s", sortedList(s)))
	}
	if r.Stat != nil {
		fs = append(fs, statFields("stat", r.Stat)...)
	}
	for i, m := range r.Multi {
		p := fmt.Sprintf("op%d.", i)
		fs = append(fs, plain(p+"type", "%s", m.Type), plain(p+"err", "%s", codeName(m.Err)))
		if m.Path != "" {
			fs = append(fs, plain(p+"path", "%s", m.Path))
		}
		if m.Data != nil {
			fs = append(fs, plain(p+"data", "%q", m.Data))
		}
		if m.Children != nil {
			fs = append(fs, plain(p+"children", "%s", sortedList(m.Children)))
		}
		if m.Stat != nil {
			fs = append(fs, statFields(p+"stat", m.Stat)...)
		}
	}
	return fs
}

// statFields renders a Stat: zxids by rank, times as set/unset plus whether
// mtime is at or after ctime, the owner by client name.
func statFields(p string, s *jute.Stat) []Field {
	order := "mtime>=ctime"
	if s.Mtime < s.Ctime {
		order = "mtime<ctime"
	}
	return []Field{
		zxidField(p+".czxid", s.Czxid), zxidField(p+".mzxid", s.Mzxid), zxidField(p+".pzxid", s.Pzxid),
		timeField(p+".ctime", s.Ctime), timeField(p+".mtime", s.Mtime), plain(p+".timeOrder", "%s", order),
		plain(p+".version", "%d", s.Version), plain(p+".cversion", "%d", s.Cversion),
		plain(p+".aversion", "%d", s.Aversion), sessionField(p+".ephemeralOwner", s.EphemeralOwner),
		plain(p+".dataLength", "%d", s.DataLength), plain(p+".numChildren", "%d", s.NumChildren),
	}
}

func sortedList(s []string) string {
	c := append([]string(nil), s...)
	sort.Strings(c)
	return "[" + strings.Join(c, ",") + "]"
}

func aclString(acls []jute.ACL) string {
	s := make([]string, len(acls))
	for i, a := range acls {
		s[i] = fmt.Sprintf("%d:%s:%s", a.Perms, a.ID.Scheme, a.ID.ID)
	}
	return "[" + strings.Join(s, ",") + "]"
}

// Events waits until raw client name has received n events in total and
// records those not recorded yet, in arrival order. A shortfall is recorded
// (so the diff shows it), not fatal.
func (e *Env) Events(name string, n int) {
	e.t.Helper()
	c := e.raw[name]
	evs, err := c.WaitEvents(n, eventWait)
	for _, ev := range evs[e.seen[name]:] {
		e.rec.add(name+" event", plain("type", "%d", ev.Type), plain("state", "%d", ev.State),
			plain("path", "%s", ev.Path), zxidField("zxid", ev.Zxid))
	}
	e.seen[name] = len(evs)
	if err != nil {
		e.rec.add(name+" events", plain("wait", "got %d of %d", len(evs), n))
	}
}

// Quiet checks that raw client name received no event beyond those recorded,
// after a round trip that the server answers only once it has sent every
// earlier notification to this client.
func (e *Env) Quiet(name string) {
	e.t.Helper()
	c := e.raw[name]
	if _, err := c.Exists("/", false); err != nil {
		e.rec.add(name+" quiet", plain("barrier", "%s", transportOutcome(err)))
	}
	evs := c.Events()
	for _, ev := range evs[e.seen[name]:] {
		e.rec.add(name+" unexpected event", plain("type", "%d", ev.Type), plain("state", "%d", ev.State),
			plain("path", "%s", ev.Path))
	}
	e.seen[name] = len(evs)
}

// LastZxid is the highest reply zxid raw client name has seen.
func (e *Env) LastZxid(name string) int64 { return e.last[name] }

// Note records a value the sequence computed itself.
func (e *Env) Note(label string, fields ...Field) { e.rec.add(label, fields...) }

// Server is the server under test.
func (e *Env) Server() *zktest.Server { return e.srv }

// Fatalf stops the sequence: the harness itself cannot go on.
func (e *Env) Fatalf(format string, args ...any) {
	e.t.Helper()
	e.t.Fatalf("%s: "+format, append([]any{e.rec.Seq}, args...)...)
}
