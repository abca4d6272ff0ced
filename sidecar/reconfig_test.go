package sidecar

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zkmesh/zkmesh/jute"
	"github.com/zkmesh/zkmesh/zab"
	"github.com/zkmesh/zkmesh/znode"
)

func TestMembershipParseFormatAndNext(t *testing.T) {
	cur, err := parseMembership("server.2=127.0.0.1:2889:3889:participant;0.0.0.0:2182\nserver.1=127.0.0.1:2888:3888:participant;0.0.0.0:2181\nversion=0")
	if err != nil {
		t.Fatal(err)
	}
	joining := "server.100=0.0.0.0:4000:4001:observer;0.0.0.0:4002"
	next, err := cur.next(&jute.ReconfigRequest{JoiningServers: joining})
	if err != nil {
		t.Fatal(err)
	}
	next.version = 0x100000005
	want := "server.1=127.0.0.1:2888:3888:participant;0.0.0.0:2181\n" +
		"server.2=127.0.0.1:2889:3889:participant;0.0.0.0:2182\n" + joining + "\nversion=100000005"
	if got := next.String(); got != want {
		t.Fatalf("formatted\n%s\nwant\n%s", got, want)
	}
	back, err := parseMembership(next.String())
	if err != nil || back.String() != want {
		t.Fatalf("round trip: %v\n%s", err, back)
	}
	if o := next.observers(); len(o) != 1 || o[0] != 100 {
		t.Fatalf("observers %v", o)
	}
	left, err := next.next(&jute.ReconfigRequest{LeavingServers: "100"})
	if err != nil || strings.Contains(left.String(), "server.100") {
		t.Fatalf("leaving: %v\n%s", err, left)
	}
	nonInc, err := cur.next(&jute.ReconfigRequest{NewMembers: "server.1=127.0.0.1:2888:3888:participant;2181,server.2=127.0.0.1:2889:3889;2182"})
	if err != nil || len(nonInc.voters()) != 2 {
		t.Fatalf("non-incremental: %v %v", err, nonInc)
	}
	for _, bad := range []*jute.ReconfigRequest{
		{JoiningServers: "some thing"},
		{JoiningServers: "server.7=127.0.0.1:1:2:observer"}, // no client port
		{JoiningServers: "server.x=127.0.0.1:1:2:observer;3"},
		{JoiningServers: "server.7=127.0.0.1:2888:5:observer;3"}, // peer address of server.1
		{LeavingServers: "one"},
		{NewMembers: "server.1=127.0.0.1:2888:3888"},
	} {
		if _, err := cur.next(bad); !errors.Is(err, errBadMembership) {
			t.Errorf("%+v: %v, want errBadMembership", bad, err)
		}
	}
}

// startReconfigMember starts member m of an ensemble with reconfigEnabled
// and super:test as the super user.
func startReconfigMember(t *testing.T, m *member, servers []ServerSpec) {
	t.Helper()
	s, addr, stop := startStoppable(t, m.dir, func(c *Config) {
		c.Servers = servers
		c.ServerID = zab.ServerID(m.id)
		c.InitLimitTicks = 10
		c.SyncLimitTicks = 5
		c.ReconfigEnabled = true
		c.System[sysSuperDigest] = znode.DigestID("super:test")
	})
	m.srv, m.addr, m.stop = s, addr, stop
	t.Cleanup(stop)
}

func configData(t *testing.T, c *zk.Conn) string {
	t.Helper()
	data, _, err := c.Get("/zookeeper/config")
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// An observer is added to a running ensemble by reconfig, syncs and serves;
// the change survives a voter's restart; removed again, it stops serving.
// Voter changes, stale versions, bad input and callers without WRITE on
// /zookeeper/config are refused with ZooKeeper's codes.
func TestReconfigAddsAndRemovesObserver(t *testing.T) {
	var voters []ServerSpec
	for i := 1; i <= 3; i++ {
		voters = append(voters, ServerSpec{ID: zab.ServerID(i), Host: "127.0.0.1", PeerPort: freePort(t), ElectionPort: freePort(t), Role: PeerParticipant})
	}
	ms := make([]*member, 3)
	for i := range ms {
		ms[i] = &member{id: i + 1, dir: t.TempDir()}
		startReconfigMember(t, ms[i], voters)
	}
	waitServing(t, ms...)

	super, _ := connect(t, ms[1].addr)
	if err := super.AddAuth("digest", []byte("super:test")); err != nil {
		t.Fatal(err)
	}
	plain, _ := connect(t, ms[2].addr)
	before := configData(t, super)
	if !strings.HasPrefix(before, voters[0].String()+"\n") || !strings.HasSuffix(before, "\nversion=0") {
		t.Fatalf("initial /zookeeper/config:\n%s", before)
	}

	obs := ServerSpec{ID: 4, Host: "127.0.0.1", PeerPort: freePort(t), ElectionPort: freePort(t), Role: PeerObserver, ClientHost: "127.0.0.1", ClientPort: freePort(t)}
	joining := obs.String()
	// The observer starts knowing itself; the voters refuse it for now.
	o := &member{id: 4, dir: t.TempDir()}
	startReconfigMember(t, o, append(append([]ServerSpec{}, voters...), obs))
	time.Sleep(300 * time.Millisecond)
	if o.srv.serving() {
		t.Fatal("an observer the voters do not know is serving")
	}

	if _, err := plain.IncrementalReconfig([]string{joining}, nil, -1); !errors.Is(err, zk.ErrNoAuth) {
		t.Fatalf("reconfig without WRITE on /zookeeper/config: %v, want NOAUTH", err)
	}
	if _, err := plain.IncrementalReconfig([]string{"some thing"}, nil, -1); !errors.Is(err, zk.ErrBadArguments) {
		t.Fatalf("reconfig of bad input: %v, want BADARGUMENTS", err)
	}
	if _, err := super.IncrementalReconfig([]string{joining}, nil, 12345); !errors.Is(err, zk.ErrBadVersion) {
		t.Fatalf("reconfig from a wrong version: %v, want BADVERSION", err)
	}
	voter5 := fmt.Sprintf("server.5=127.0.0.1:%d:%d:participant;127.0.0.1:%d", freePort(t), freePort(t), freePort(t))
	voter6 := fmt.Sprintf("server.6=127.0.0.1:%d:%d:participant;127.0.0.1:%d", freePort(t), freePort(t), freePort(t))
	if _, err := super.IncrementalReconfig([]string{voter5, voter6}, nil, -1); err == nil || !strings.HasSuffix(err.Error(), "error: -6") { // go-zookeeper has no name for UNIMPLEMENTED
		t.Fatalf("reconfig adding two voters at once: %v, want UNIMPLEMENTED", err)
	}

	if _, err := super.IncrementalReconfig([]string{joining}, nil, 0); err != nil {
		t.Fatalf("adding observer: %v", err)
	}
	after := configData(t, super)
	if !strings.Contains(after, joining+"\n") || strings.HasSuffix(after, "version=0") {
		t.Fatalf("/zookeeper/config after adding:\n%s", after)
	}
	waitServing(t, o)
	if _, err := super.Create("/after-join", []byte("x"), 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	oc, _ := connect(t, o.addr)
	if _, err := oc.Sync("/after-join"); err != nil {
		t.Fatal(err)
	}
	if data, _, err := oc.Get("/after-join"); err != nil || string(data) != "x" {
		t.Fatalf("read on the added observer: %q %v", data, err)
	}
	if got := configData(t, oc); got != after {
		t.Fatalf("observer's /zookeeper/config\n%s\nwant\n%s", got, after)
	}
	out := formatConf(ms[0].srv.cfg, ms[0].srv)
	if !strings.Contains(out, joining) {
		t.Fatalf("conf does not list the observer:\n%s", out)
	}

	// A voter restarted keeps the membership from its tree.
	ms[0].stop()
	startReconfigMember(t, ms[0], voters)
	waitServing(t, ms[0])
	if got := ms[0].srv.ens.membersView.Load(); got == nil || len(got.observers()) != 1 {
		t.Fatalf("restarted voter's membership: %+v", got)
	}

	if _, err := super.IncrementalReconfig(nil, []string{"4"}, -1); err != nil {
		t.Fatalf("removing observer: %v", err)
	}
	if got := configData(t, super); strings.Contains(got, "server.4=") {
		t.Fatalf("/zookeeper/config after removing:\n%s", got)
	}
	deadline := time.Now().Add(10 * time.Second)
	for o.srv.serving() {
		if time.Now().After(deadline) {
			t.Fatal("removed observer still serving after 10s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The leader admits an observer it is asked to (as gossip asks it) without
// reconfigEnabled; other members ignore the request.
func TestAdmitObserver(t *testing.T) {
	ms := startEnsemble(t, 3, 0)
	servers := ms[0].srv.cfg.Servers
	obs := ServerSpec{ID: 7, Host: "127.0.0.1", PeerPort: freePort(t), ElectionPort: freePort(t), Role: PeerObserver, ClientHost: "127.0.0.1", ClientPort: freePort(t)}
	o := &member{id: 7, dir: t.TempDir()}
	o.start(t, append(append([]ServerSpec{}, servers...), obs))

	l := leaderOf(ms)
	for _, m := range ms {
		if m != l {
			m.srv.ens.admitObserver(obs)
		}
	}
	time.Sleep(300 * time.Millisecond)
	if o.srv.serving() {
		t.Fatal("a follower admitted an observer")
	}
	l.srv.ens.admitObserver(obs)
	waitServing(t, o)
	c, _ := connect(t, o.addr)
	if got := configData(t, c); !strings.Contains(got, obs.String()+"\n") {
		t.Fatalf("/zookeeper/config on the admitted observer:\n%s", got)
	}
	// Asking again changes nothing.
	before := l.srv.ens.membersView.Load().version
	l.srv.ens.admitObserver(obs)
	time.Sleep(200 * time.Millisecond)
	if after := l.srv.ens.membersView.Load().version; after != before {
		t.Fatalf("re-admitting a member made a new config %x (was %x)", after, before)
	}
}

// Clients keep writing through every voter while observers are added and
// removed by reconfig; every acknowledged write is on every member at the
// end, the observers' included.
func TestReconfigUnderLoadLosesNoWrite(t *testing.T) {
	var voters []ServerSpec
	for i := 1; i <= 3; i++ {
		voters = append(voters, ServerSpec{ID: zab.ServerID(i), Host: "127.0.0.1", PeerPort: freePort(t), ElectionPort: freePort(t), Role: PeerParticipant})
	}
	ms := make([]*member, 3)
	for i := range ms {
		ms[i] = &member{id: i + 1, dir: t.TempDir()}
		startReconfigMember(t, ms[i], voters)
	}
	waitServing(t, ms...)
	var observers []ServerSpec
	var obsMembers []*member
	for i := 0; i < 2; i++ {
		spec := ServerSpec{ID: zab.ServerID(10 + i), Host: "127.0.0.1", PeerPort: freePort(t), ElectionPort: freePort(t), Role: PeerObserver, ClientHost: "127.0.0.1", ClientPort: freePort(t)}
		observers = append(observers, spec)
		o := &member{id: int(spec.ID), dir: t.TempDir()}
		startReconfigMember(t, o, append(append([]ServerSpec{}, voters...), spec))
		obsMembers = append(obsMembers, o)
	}
	super, _ := connect(t, ms[0].addr)
	if err := super.AddAuth("digest", []byte("super:test")); err != nil {
		t.Fatal(err)
	}

	stopWriters := startWriters(t, ms, "w")
	changes := 0
	for round := 0; round < 3; round++ {
		for _, o := range observers {
			if _, err := super.IncrementalReconfig([]string{o.String()}, nil, -1); err != nil {
				t.Fatalf("adding %d: %v", o.ID, err)
			}
			changes++
		}
		waitServing(t, obsMembers...)
		for _, o := range observers {
			if _, err := super.IncrementalReconfig(nil, []string{fmt.Sprint(o.ID)}, -1); err != nil {
				t.Fatalf("removing %d: %v", o.ID, err)
			}
			changes++
		}
	}
	for _, o := range observers {
		if _, err := super.IncrementalReconfig([]string{o.String()}, nil, -1); err != nil {
			t.Fatal(err)
		}
	}
	waitServing(t, obsMembers...)
	acked := stopWriters()
	for _, m := range append(append([]*member{}, ms...), obsMembers...) {
		checkHasAll(t, m, acked)
	}
	t.Logf("%d acknowledged writes across %d reconfigurations, all on %d members", len(acked), changes+2, len(ms)+len(obsMembers))
}

// An observer is promoted to voter and a voter (the leader, the hardest
// case) demoted to observer by reconfig while clients keep writing; the
// ensemble keeps serving, every acknowledged write is on every member, and
// the roles follow the membership.
func TestReconfigPromoteDemoteUnderLoad(t *testing.T) {
	var servers []ServerSpec
	for i := 1; i <= 4; i++ {
		role := PeerParticipant
		if i == 4 {
			role = PeerObserver
		}
		servers = append(servers, ServerSpec{ID: zab.ServerID(i), Host: "127.0.0.1", PeerPort: freePort(t), ElectionPort: freePort(t), Role: role, ClientHost: "127.0.0.1", ClientPort: freePort(t)})
	}
	ms := make([]*member, 4)
	for i := range ms {
		ms[i] = &member{id: i + 1, dir: t.TempDir()}
		startReconfigMember(t, ms[i], servers)
	}
	waitServing(t, ms...)

	stopWriters := startWriters(t, ms, "p")
	reconfig := func(joining string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			l := leaderOf(ms)
			if l != nil {
				super, _ := connect(t, l.addr)
				if err := super.AddAuth("digest", []byte("super:test")); err != nil {
					t.Fatal(err)
				}
				_, err := super.IncrementalReconfig([]string{joining}, nil, -1)
				super.Close()
				if err == nil {
					return
				}
				t.Logf("reconfig %s: %v (retrying)", joining, err)
			}
			if time.Now().After(deadline) {
				t.Fatalf("reconfig %s did not succeed in 20s", joining)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	time.Sleep(300 * time.Millisecond)
	promoted := servers[3]
	promoted.Role = PeerParticipant
	reconfig(promoted.String())
	waitRole := func(m *member, want zab.Role, alt zab.Role) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			r := zab.Role(m.srv.ens.role.Load())
			if (r == want || r == alt) && m.srv.serving() {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("member %d is %v, want %v", m.id, r, want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitRole(ms[3], zab.RoleFollowing, zab.RoleLeading)
	time.Sleep(300 * time.Millisecond)

	l := leaderOf(ms)
	if l == nil {
		waitServing(t, ms...)
		l = leaderOf(ms)
	}
	demoted := servers[l.id-1]
	demoted.Role = PeerObserver
	reconfig(demoted.String())
	waitRole(l, zab.RoleObserving, zab.RoleObserving)
	waitServing(t, ms...)
	time.Sleep(300 * time.Millisecond)
	acked := stopWriters()
	for _, m := range ms {
		checkHasAll(t, m, acked)
		if got := m.srv.ens.membersView.Load(); len(got.voters()) != 3 || len(got.observers()) != 1 || got.observers()[0] != zab.ServerID(l.id) {
			t.Fatalf("member %d membership: %s", m.id, got)
		}
	}
	t.Logf("%d acknowledged writes across a promotion and a demotion of the leader %d, all on 4 members", len(acked), l.id)
}

// startWriters has one client per member create /<prefix><n>-<seq> nodes
// one after the other until the returned function is called; that
// function returns every create that was acknowledged (or found to exist
// on a retry), and fails the test on any error other than a lost
// connection.
func startWriters(t *testing.T, ms []*member, prefix string) func() []string {
	t.Helper()
	stop := make(chan struct{})
	type result struct {
		acked []string
		err   error
	}
	results := make(chan result, len(ms))
	for w, m := range ms {
		c, _ := connect(t, m.addr)
		go func() {
			var r result
			for i := 0; ; i++ {
				select {
				case <-stop:
					results <- r
					return
				default:
				}
				p := fmt.Sprintf("/%s%d-%06d", prefix, w, i)
				_, err := c.Create(p, nil, 0, zk.WorldACL(zk.PermAll))
				switch {
				case err == nil, errors.Is(err, zk.ErrNodeExists):
					r.acked = append(r.acked, p)
				case errors.Is(err, zk.ErrConnectionClosed), errors.Is(err, zk.ErrNoServer), errors.Is(err, zk.ErrSessionExpired):
				default:
					r.err = err
				}
			}
		}()
	}
	return func() []string {
		close(stop)
		var acked []string
		for range ms {
			r := <-results
			if r.err != nil {
				t.Fatalf("a write failed during reconfiguration: %v", r.err)
			}
			acked = append(acked, r.acked...)
		}
		return acked
	}
}

// checkHasAll fails the test unless member m holds every path, after a
// sync.
func checkHasAll(t *testing.T, m *member, paths []string) {
	t.Helper()
	c, _ := connect(t, m.addr)
	if _, err := c.Sync("/"); err != nil {
		t.Fatal(err)
	}
	children, _, err := c.Children("/")
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, ch := range children {
		have["/"+ch] = true
	}
	for _, p := range paths {
		if !have[p] {
			t.Fatalf("member %d lost acknowledged write %s", m.id, p)
		}
	}
}
