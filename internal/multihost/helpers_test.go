package multihost

import (
	"errors"
	"fmt"
	"net"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zkmesh/zkmesh/internal/zktest"
	"github.com/zkmesh/zkmesh/jute"
)

func TestMain(m *testing.M) {
	code := m.Run()
	RemoveBinary()
	os.Exit(code)
}

// startTimeout bounds a member's start, generous for 2 loaded cores.
const startTimeout = 60 * time.Second

// fleet is a test's members: voters started from server lines, observers
// started with only --join.
type fleet struct {
	net       *Net
	voters    []*Member
	observers []*Member
	seed      string // voter 1's gossip address
}

// startVoters creates n hosts and starts a voter on each (server lines for
// all n, gossip seeded by voter 1), and waits until all serve.
func startVoters(t *testing.T, n int) *fleet {
	t.Helper()
	f := &fleet{net: NewNet(t)}
	hosts := make([]*Host, n)
	for i := range hosts {
		hosts[i] = f.net.AddHost()
	}
	f.seed = hosts[0].Addr(GossipPort)
	start := time.Now()
	for i, h := range hosts {
		name := fmt.Sprintf("v%d", i+1)
		m := NewMember(t, h, name, i+1, VoterConfig(h, name, hosts, f.seed))
		m.Start()
		f.voters = append(f.voters, m)
	}
	for _, m := range f.voters {
		m.WaitServing(startTimeout)
	}
	t.Logf("%d voters on %s serve %v after their start", n, f.net.Subnet(), time.Since(start).Round(time.Millisecond))
	return f
}

// newObserver creates a host and a member on it that joins with only
// `--join <seed>`; the caller starts it.
func (f *fleet) newObserver(t *testing.T, name string) *Member {
	t.Helper()
	h := f.net.AddHost()
	m := NewMember(t, h, name, 0, JoinerConfig(h, name), "--join", f.seed)
	f.observers = append(f.observers, m)
	return m
}

func (f *fleet) all() []*Member { return append(append([]*Member(nil), f.voters...), f.observers...) }

// leader returns the voter whose srvr says Mode: leader.
func (f *fleet) leader(t *testing.T, among []*Member) *Member {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		for _, m := range among {
			if m.Mode() == "leader" {
				return m
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("no member reports Mode: leader")
	return nil
}

func hostsOf(ms ...*Member) []*Host {
	out := make([]*Host, len(ms))
	for i, m := range ms {
		out[i] = m.Host
	}
	return out
}

func clientAddrs(ms ...*Member) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.ClientAddr()
	}
	return out
}

func names(ms ...*Member) string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Name
	}
	return strings.Join(out, ",")
}

type quietLogger struct{}

func (quietLogger) Printf(string, ...any) {}

// connect opens a go-zookeeper session on addrs and waits until it has one.
func connect(t *testing.T, addrs ...string) *zk.Conn {
	t.Helper()
	c, ev, err := zk.Connect(addrs, 4*time.Second, zk.WithLogger(quietLogger{}), zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	deadline := time.After(startTimeout)
	for {
		select {
		case e := <-ev:
			if e.State == zk.StateHasSession {
				return c
			}
		case <-deadline:
			t.Fatalf("no session on %v within %v", addrs, startTimeout)
		}
	}
}

// mustCreate creates path with data on c and returns its zxid.
func mustCreate(t *testing.T, c *zk.Conn, path, data string) int64 {
	t.Helper()
	if _, err := c.Create(path, []byte(data), 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatalf("create %s: %v", path, err)
	}
	_, st, err := c.Get(path)
	if err != nil {
		t.Fatalf("get %s: %v", path, err)
	}
	return st.Mzxid
}

// readFrom opens a session on addr as a client that has seen zxid (so a
// member behind it refuses the client), reads path and closes the session.
func readFrom(addr, path string, zxid int64) ([]byte, *jute.Stat, error) {
	c, err := zktest.DialRaw(addr, zktest.RawOptions{LastZxidSeen: zxid, ReplyTimeout: 3 * time.Second, NoPing: true})
	if err != nil {
		return nil, nil, err
	}
	defer c.Close()
	r, err := c.GetData(path, false)
	if err != nil {
		return nil, nil, err
	}
	if r.Reply.Err != jute.CodeOK {
		return nil, nil, r.Reply.Err
	}
	return r.Data, r.Stat, nil
}

// waitRead polls readFrom until it returns want and reports how long it
// took from since.
func waitRead(t *testing.T, m *Member, path, want string, zxid int64, since time.Time, limit time.Duration) time.Duration {
	t.Helper()
	var last error
	for {
		data, _, err := readFrom(m.ClientAddr(), path, zxid)
		if err == nil && string(data) == want {
			return time.Since(since)
		}
		if err == nil {
			err = fmt.Errorf("read %q", data)
		}
		last = err
		if time.Since(since) > limit {
			t.Fatalf("%s: no read of %s = %q %v after its start: last %v", m.Name, path, want, limit, last)
		}
		select {
		case <-m.Exited():
			t.Fatalf("%s exited: last %v\n%s", m.Name, last, m.LogTail(40))
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// memberState returns the state in which observer sees the member named
// name ("" when absent) and its advertised server id.
func memberState(observer *Member, name string) (string, uint64, error) {
	r, err := observer.Members()
	if err != nil {
		return "", 0, err
	}
	for _, m := range r.Members {
		if m.Name == name {
			return m.State, m.ServerID, nil
		}
	}
	return "", 0, nil
}

// waitState waits until every member of by sees name in state, each polled
// on its own goroutine, and returns how long each took from since.
func waitState(t *testing.T, by []*Member, name, state string, since time.Time, limit time.Duration) []time.Duration {
	t.Helper()
	took := make([]time.Duration, len(by))
	errs := make([]error, len(by))
	var wg sync.WaitGroup
	for i, m := range by {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var got string
			var err error
			for {
				got, _, err = memberState(m, name)
				if err == nil && got == state {
					took[i] = time.Since(since)
					return
				}
				if time.Since(since) > limit {
					errs[i] = fmt.Errorf("%s sees %s %q (err %v), not %q, %v after", m.Name, name, got, err, state, limit)
					return
				}
				time.Sleep(50 * time.Millisecond)
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	return took
}

// roSession is a session opened with readOnly=true in the ConnectRequest,
// as a ZooKeeper client that accepts read-only mode opens it.
type roSession struct {
	c    net.Conn
	resp jute.ConnectResponse
	xid  int32
}

// dialSession sends one ConnectRequest (readOnly as given) and returns the
// session, or an error when the member closed the connection instead of
// answering (it refuses the client).
func dialSession(addr string, readOnly bool) (*roSession, error) {
	c, err := net.DialTimeout("tcp", addr, 3*time.Second)
	if err != nil {
		return nil, err
	}
	c.SetDeadline(time.Now().Add(5 * time.Second))
	req := jute.ConnectRequest{TimeOut: 4000, Passwd: make([]byte, 16), ReadOnly: readOnly, HasReadOnly: true}
	if _, err := c.Write(jute.AppendFrame(nil, &req)); err != nil {
		c.Close()
		return nil, err
	}
	frame, err := jute.ReadFrame(c, jute.DefaultMaxBuffer, nil)
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("no connect response: %w", err)
	}
	s := &roSession{c: c}
	if err := jute.Unmarshal(frame, &s.resp); err != nil {
		c.Close()
		return nil, err
	}
	if s.resp.TimeOut <= 0 {
		c.Close()
		return nil, errors.New("session refused (timeout 0)")
	}
	return s, nil
}

// call sends one request with the next xid and returns its reply header and
// body decoder.
func (s *roSession) call(op jute.OpCode, body jute.Record) (jute.ReplyHeader, *jute.Decoder, error) {
	s.xid++
	return s.callXid(s.xid, op, body)
}

// callXid sends one request with xid (jute.XidPing for a ping) and reads
// up to its reply.
func (s *roSession) callXid(xid int32, op jute.OpCode, body jute.Record) (jute.ReplyHeader, *jute.Decoder, error) {
	s.c.SetDeadline(time.Now().Add(5 * time.Second))
	recs := []jute.Record{&jute.RequestHeader{Xid: xid, Type: op}}
	if body != nil {
		recs = append(recs, body)
	}
	if _, err := s.c.Write(jute.AppendFrame(nil, recs...)); err != nil {
		return jute.ReplyHeader{}, nil, err
	}
	for {
		frame, err := jute.ReadFrame(s.c, jute.DefaultMaxBuffer, nil)
		if err != nil {
			return jute.ReplyHeader{}, nil, err
		}
		d := jute.NewDecoder(frame)
		var rh jute.ReplyHeader
		rh.Decode(d)
		if d.Err() != nil {
			return rh, nil, d.Err()
		}
		if rh.Xid == xid {
			return rh, d, nil
		}
	}
}

// ping keeps the session alive; it fails once the member has closed the
// connection.
func (s *roSession) ping() error {
	_, _, err := s.callXid(jute.XidPing, jute.OpPing, nil)
	return err
}

func (s *roSession) getData(path string) (string, jute.Code, error) {
	rh, d, err := s.call(jute.OpGetData, &jute.GetDataRequest{Path: path})
	if err != nil || rh.Err != jute.CodeOK {
		return "", rh.Err, err
	}
	var gd jute.GetDataResponse
	gd.Decode(d)
	return string(gd.Data), rh.Err, d.Err()
}

func (s *roSession) close() { s.c.Close() }

// snapshotOf returns, after a sync on m, the children of parent with each
// one's data and mzxid, one line each: what a converged member must agree
// on.
func snapshotOf(m *Member, parent string) (string, error) {
	c, err := zktest.DialRaw(m.ClientAddr(), zktest.RawOptions{ReplyTimeout: 5 * time.Second})
	if err != nil {
		return "", err
	}
	defer c.Close()
	if r, err := c.Sync(parent); err != nil || r.Reply.Err != jute.CodeOK {
		return "", fmt.Errorf("sync: %v %v", r.Reply.Err, err)
	}
	r, err := c.GetChildren(parent, false)
	if err != nil || r.Reply.Err != jute.CodeOK {
		return "", fmt.Errorf("getChildren: %v %v", r.Reply.Err, err)
	}
	kids := append([]string(nil), r.Children...)
	sort.Strings(kids)
	var b strings.Builder
	for _, k := range kids {
		g, err := c.GetData(parent+"/"+k, false)
		if err != nil || g.Reply.Err != jute.CodeOK {
			return "", fmt.Errorf("getData %s: %v %v", k, g.Reply.Err, err)
		}
		fmt.Fprintf(&b, "%s=%s@%#x\n", k, g.Data, g.Stat.Mzxid)
	}
	return b.String(), nil
}

// waitConverged waits until every member returns the same snapshotOf
// parent (after a sync on each), and returns it.
func waitConverged(t *testing.T, ms []*Member, parent string, limit time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		snaps := make([]string, len(ms))
		var errs []error
		for i, m := range ms {
			s, err := snapshotOf(m, parent)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", m.Name, err))
			}
			snaps[i] = s
		}
		same := len(errs) == 0
		for _, s := range snaps[1:] {
			same = same && s == snaps[0]
		}
		if same {
			return snaps[0]
		}
		if time.Now().After(deadline) {
			var b strings.Builder
			for i, m := range ms {
				fmt.Fprintf(&b, "--- %s ---\n%s", m.Name, snaps[i])
			}
			t.Fatalf("members did not converge on %s within %v: %v\n%s", parent, limit, errors.Join(errs...), b.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}
