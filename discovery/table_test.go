package discovery

import (
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/memberlist"
	"github.com/rs/zerolog"
)

// The table is driven here the way memberlist's callbacks drive it, without
// a network, to pin the decisions the fleet tests only see from outside.

func mlNode(t *testing.T, name string, port uint16, meta Meta) *memberlist.Node {
	t.Helper()
	b, err := EncodeMeta(meta)
	if err != nil {
		t.Fatal(err)
	}
	return &memberlist.Node{Name: name, Addr: net.IPv4(127, 0, 0, 1), Port: port, Meta: b}
}

func newTestTable(local string) (*table, *syncBuf, *eventQueue) {
	logs := &syncBuf{}
	q := newEventQueue(100)
	return newTable(zerolog.New(logs), q, local, time.Hour), logs, q
}

func drainQueue(q *eventQueue) []Event {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := q.q
	q.q = nil
	return out
}

func TestTableAliveConflict(t *testing.T) {
	tb, logs, q := newTestTable("a")
	tb.join(mlNode(t, "a", 1, Meta{ServerID: 1, Role: RoleVoter}))
	tb.join(mlNode(t, "b", 2, Meta{ServerID: 2, Role: RoleVoter}))

	// Another name claiming id 2 is refused, logged once however often
	// gossip repeats it.
	c := mlNode(t, "c", 3, Meta{ServerID: 2, Role: RoleObserver})
	for range 3 {
		if err := tb.checkAlive(c); !errors.Is(err, ErrServerIDConflict) {
			t.Fatalf("checkAlive(c) = %v", err)
		}
	}
	if n := strings.Count(logs.String(), "gossip member refused"); n != 1 {
		t.Fatalf("%d refusal lines, want 1", n)
	}
	if s := tb.stats(); s.Refused != 3 || s.Members != 2 {
		t.Fatalf("stats %+v", s)
	}
	// The holder itself, this member, and id-less members pass.
	for _, n := range []*memberlist.Node{
		mlNode(t, "b", 2, Meta{ServerID: 2, Role: RoleVoter}),
		mlNode(t, "a", 1, Meta{ServerID: 2, Role: RoleVoter}),
		mlNode(t, "d", 4, Meta{Role: RoleObserver}),
	} {
		if err := tb.checkAlive(n); err != nil {
			t.Fatalf("checkAlive(%s) = %v", n.Name, err)
		}
	}
	// Undecodable meta is refused.
	bad := &memberlist.Node{Name: "e", Addr: net.IPv4(127, 0, 0, 1), Port: 5, Meta: []byte{1, 2}}
	if err := tb.checkAlive(bad); !errors.Is(err, ErrBadMeta) {
		t.Fatalf("checkAlive(bad meta) = %v", err)
	}
	// Once b is dead, its id is free.
	tb.leave(mlNode(t, "b", 2, Meta{ServerID: 2, Role: RoleVoter}))
	if err := tb.checkAlive(c); err != nil {
		t.Fatalf("id of a dead member: %v", err)
	}
	var kinds []string
	for _, ev := range drainQueue(q) {
		kinds = append(kinds, ev.Kind.String()+":"+ev.Member.Name)
	}
	if got := strings.Join(kinds, " "); got != "join:a join:b refused:c refused:e dead:b" {
		t.Fatalf("events %q", got)
	}
}

func TestTableMergeConflictBothSides(t *testing.T) {
	// Seed side: it knows b with id 2; the joiner c also claims 2.
	seed, _, _ := newTestTable("a")
	seed.join(mlNode(t, "a", 1, Meta{ServerID: 1, Role: RoleVoter}))
	seed.join(mlNode(t, "b", 2, Meta{ServerID: 2, Role: RoleVoter}))
	err := seed.checkMerge([]*memberlist.Node{mlNode(t, "c", 3, Meta{ServerID: 2, Role: RoleVoter})})
	var cerr *ConflictError
	if !errors.As(err, &cerr) || *cerr != (ConflictError{ServerID: 2, Name: "c", Holder: "b"}) {
		t.Fatalf("seed: %v", err)
	}
	// Joiner side: it is c, and the seed's view has b with id 2.
	joiner, _, _ := newTestTable("c")
	joiner.join(mlNode(t, "c", 3, Meta{ServerID: 2, Role: RoleVoter}))
	err = joiner.checkMerge([]*memberlist.Node{
		mlNode(t, "a", 1, Meta{ServerID: 1, Role: RoleVoter}),
		mlNode(t, "b", 2, Meta{ServerID: 2, Role: RoleVoter}),
	})
	if !errors.As(err, &cerr) || *cerr != (ConflictError{ServerID: 2, Name: "c", Holder: "b"}) {
		t.Fatalf("joiner: %v", err)
	}
	if got := joiner.takeRefusal(); got == nil || joiner.takeRefusal() != nil {
		t.Fatal("takeRefusal does not return then clear the refusal")
	}
	// Dead peers in the view do not count.
	dead := mlNode(t, "b", 2, Meta{ServerID: 2, Role: RoleVoter})
	dead.State = memberlist.StateDead
	if err := joiner.checkMerge([]*memberlist.Node{dead}); err != nil {
		t.Fatalf("dead peer: %v", err)
	}
}

func TestTableStates(t *testing.T) {
	tb, logs, q := newTestTable("a")
	tb.join(mlNode(t, "a", 1, Meta{ServerID: 1, Role: RoleVoter}))
	b := mlNode(t, "b", 2, Meta{ServerID: 2, Role: RoleObserver})
	tb.join(b)
	tb.suspect("b")
	tb.suspect("b") // once
	tb.suspect("a") // never this member
	if m, _ := tb.get("b"); m.State != StateSuspect {
		t.Fatalf("b is %s", m.State)
	}
	if err := tb.checkAlive(b); err != nil { // refutation clears it
		t.Fatal(err)
	}
	if m, _ := tb.get("b"); m.State != StateAlive {
		t.Fatalf("b is %s after an alive message", m.State)
	}
	tb.markLeaving("b")
	tb.leave(b) // the leave arrives with b's old meta
	tb.leave(b) // once
	if m, _ := tb.get("b"); m.State != StateLeft {
		t.Fatalf("b is %s after leaving", m.State)
	}
	tb.join(b)
	if m, _ := tb.get("b"); m.State != StateAlive || m.Meta.Leaving {
		t.Fatalf("b after rejoin: %+v", m)
	}
	var kinds []string
	for _, ev := range drainQueue(q) {
		kinds = append(kinds, ev.Kind.String()+":"+ev.Member.Name)
	}
	want := "join:a join:b suspect:b alive:b update:b left:b join:b"
	if got := strings.Join(kinds, " "); got != want {
		t.Fatalf("events %q, want %q", got, want)
	}
	if n := strings.Count(logs.String(), "gossip member suspect"); n != 1 {
		t.Fatalf("%d suspect lines, want 1", n)
	}
	// Forgetting: dead members older than the window go.
	tb.leave(b)
	tb.forget = 0
	tb.mu.Lock()
	tb.byName["b"].Since = time.Now().Add(-time.Second)
	tb.mu.Unlock()
	if ms := tb.snapshot(); len(ms) != 1 || ms[0].Name != "a" {
		t.Fatalf("after forgetting: %s", describe(ms))
	}
}

func TestEventQueueDropsOldest(t *testing.T) {
	q := newEventQueue(2)
	for i := range 3 {
		q.push(Event{Member: Member{Name: string(rune('a' + i))}})
	}
	if q.droppedCount() != 1 {
		t.Fatalf("dropped %d", q.droppedCount())
	}
	stop := make(chan struct{})
	go q.run(stop)
	if ev := <-q.out; ev.Member.Name != "b" {
		t.Fatalf("first event %q, want b", ev.Member.Name)
	}
	if ev := <-q.out; ev.Member.Name != "c" {
		t.Fatalf("second event %q, want c", ev.Member.Name)
	}
	q.close()
	close(stop)
	if _, ok := <-q.out; ok {
		t.Fatal("channel not closed")
	}
}

func TestMemberlistLogLines(t *testing.T) {
	logs := &syncBuf{}
	var suspected []string
	w := mlLog{log: zerolog.New(logs), onSuspect: func(n string) { suspected = append(suspected, n) }}
	for _, line := range []string{
		"[INFO] memberlist: Suspect node-7 has failed, no acks received\n",
		"[WARN] memberlist: Refuting a suspect message (from: n2)\n",
		"[ERR] memberlist: Failed fallback TCP ping: timeout\n",
		"[WARN] memberlist: ignoring alive message for 'c': refused\n",
		"no level at all\n",
	} {
		if _, err := w.Write([]byte(line)); err != nil {
			t.Fatal(err)
		}
	}
	if len(suspected) != 1 || suspected[0] != "node-7" {
		t.Fatalf("suspected %v", suspected)
	}
	want := []string{
		`{"level":"debug","component":"memberlist","message":"Suspect node-7 has failed, no acks received"}`,
		`{"level":"warn","component":"memberlist","message":"Refuting a suspect message (from: n2)"}`,
		`{"level":"error","component":"memberlist","message":"Failed fallback TCP ping: timeout"}`,
		`{"level":"debug","component":"memberlist","message":"ignoring alive message for 'c': refused"}`,
		`{"level":"info","component":"memberlist","message":"no level at all"}`,
	}
	if got := strings.Split(strings.TrimSpace(logs.String()), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("log lines:\n%s", logs.String())
	}
}
