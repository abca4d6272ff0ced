package crashtest

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zkmesh/zkmesh/internal/zktest"
	"github.com/zkmesh/zkmesh/jute"
)

// minorityAttempt is one write sent to a member cut off from the others.
type minorityAttempt struct {
	value string
	// onSession: the request went out on an established session; false
	// when the member refused the connection or the session.
	onSession bool
	code      jute.Code
	err       error
	ackAt     time.Time // when an OK reply arrived; zero otherwise
}

// TestMinorityNeverAcknowledgesWrites isolates one voter of 3, both ways:
// the leader, a follower, and the leader again by a silent partition (its
// connections stay open and carry nothing until the heal delivers them).
// It writes through a client that was connected to the voter before the
// cut, then through new connections, until the links heal. A member cut
// off from every other voter cannot reach a quorum, so none of these writes
// may be acknowledged before the heal, while the two others keep
// committing. After the heal every member converges: after a sync, the
// three return the same data and version.
func TestMinorityNeverAcknowledgesWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	o := zktest.DefaultOptions()
	o.Members, o.PartitionableLinks = 3, true
	srv := zktest.StartZkmesh(t, o)
	n := srv.Network()
	setupKeys(t, srv.Hosts(), 1)
	const key = "/lin/k0"

	rounds := []struct {
		which  string
		silent bool // hold the links instead of cutting them
	}{{"leader", false}, {"follower", false}, {"leader", true}}
	for round, r := range rounds {
		which := r.which
		leader := findLeader(t, srv)
		victim := leader
		if which == "follower" {
			victim = srv.Members[leader.ID%len(srv.Members)]
		}
		var rest []string
		for _, m := range srv.Members {
			if m != victim {
				rest = append(rest, m.Addr)
			}
		}
		raw, err := zktest.DialRaw(victim.Addr, zktest.RawOptions{ReplyTimeout: 30 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if r, err := raw.SetData(key, []byte(fmt.Sprintf("r%d-before", round)), -1); err != nil || r.Reply.Err != jute.CodeOK {
			t.Fatalf("write on member %d before the cut = %+v, %v", victim.ID, r, err)
		}

		if r.silent {
			which = "silenced " + which
			n.IsolateSilently(victim.ID)
		} else {
			n.Isolate(victim.ID)
		}
		cutAt := time.Now()
		healing := make(chan struct{})
		var attempts []minorityAttempt
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			attempts = writeToMinority(victim.Addr, raw, key, round, healing)
		}()

		// The majority keeps committing; the victim stops serving, and
		// stays cut off a while longer.
		lastMajority := majorityWrites(t, rest, key, round, 3)
		waitNotServing(t, victim, 15*time.Second)
		time.Sleep(time.Second)
		healAt := time.Now()
		close(healing)
		n.HealAll()
		if err := victim.WaitServing(30 * time.Second); err != nil {
			t.Fatalf("member %d after healing: %v", victim.ID, err)
		}
		wg.Wait()

		onSession, lateAcks := 0, 0
		outcomes := map[string]int{}
		for _, a := range attempts {
			if a.onSession {
				onSession++
			}
			outcomes[a.outcome()]++
			if a.code != jute.CodeOK || a.err != nil {
				continue
			}
			if a.ackAt.Before(healAt) {
				t.Errorf("round %d: member %d, cut off from every voter at %v, acknowledged write %s %v after the cut",
					round, victim.ID, cutAt.Format("15:04:05.000"), a.value, a.ackAt.Sub(cutAt))
			} else {
				lateAcks++
			}
		}
		if onSession == 0 {
			t.Fatalf("round %d: no write reached member %d on a session: the test did not exercise the minority", round, victim.ID)
		}
		t.Logf("round %d: %s %d isolated for %v: %d writes, %d sent on a session, none acknowledged before the heal, %d after it; outcomes %v; majority committed up to %q",
			round, which, victim.ID, healAt.Sub(cutAt).Round(time.Millisecond), len(attempts), onSession, lateAcks, outcomes, lastMajority)
		checkConverged(t, srv, key, lastMajority, lateAcks > 0)
	}
}

// writeToMinority sends writes of unique values to addr until healing is
// closed: first a burst of concurrent ones on raw (a session opened before
// the cut, which the member may still take for healthy), then one at a time
// on it and on new connections. Each attempt waits for its reply, which may
// come after the heal.
func writeToMinority(addr string, raw *zktest.RawClient, key string, round int, healing <-chan struct{}) []minorityAttempt {
	send := func(c *zktest.RawClient, value string) minorityAttempt {
		a := minorityAttempt{value: value, onSession: true}
		r, err := c.SetData(key, []byte(value), -1)
		a.code, a.err = r.Reply.Err, err
		if err == nil && r.Reply.Err == jute.CodeOK {
			a.ackAt = time.Now()
		}
		return a
	}
	const burst = 8
	out := make([]minorityAttempt, burst)
	var wg sync.WaitGroup
	for i := range out {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			out[i] = send(raw, fmt.Sprintf("r%d-minority-burst-%d", round, i))
		}(i)
	}
	wg.Wait()
	defer func() {
		if raw != nil {
			raw.Drop()
		}
	}()
	for i := 0; ; i++ {
		select {
		case <-healing:
			return out
		default:
		}
		value := fmt.Sprintf("r%d-minority-%d", round, i)
		if raw == nil {
			c, err := zktest.DialRaw(addr, zktest.RawOptions{ReplyTimeout: 30 * time.Second})
			if err != nil {
				out = append(out, minorityAttempt{value: value, err: err})
				time.Sleep(20 * time.Millisecond) // the member refuses clients while cut off
				continue
			}
			raw = c
		}
		a := send(raw, value)
		if a.err != nil {
			raw.Drop()
			raw = nil
		}
		out = append(out, a)
	}
}

// outcome names what a minority write got back, for the log.
func (a minorityAttempt) outcome() string {
	switch {
	case !a.onSession:
		return "no session"
	case a.err != nil:
		return a.err.Error()
	default:
		return a.code.String()
	}
}

// majorityWrites writes count values to key through addrs, retrying each
// until it is acknowledged, and returns the last value.
func majorityWrites(t *testing.T, addrs []string, key string, round, count int) string {
	t.Helper()
	c, _, err := zk.Connect(addrs, 3*time.Second, zk.WithLogger(quietLogger{}), zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	deadline := time.Now().Add(30 * time.Second)
	var last string
	for i := 0; i < count; i++ {
		last = fmt.Sprintf("r%d-majority-%d", round, i)
		for {
			_, err := c.Set(key, []byte(last), -1)
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the majority %v accepts no write: %v", addrs, err)
			}
			time.Sleep(20 * time.Millisecond) // a new leader is being elected
		}
	}
	return last
}

// waitNotServing waits until m says it does not serve clients.
func waitNotServing(t *testing.T, m *zktest.Server, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if out, err := m.FourLetter("srvr"); err == nil && strings.Contains(out, "not currently serving") {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("member %d still serves %v after being cut off from every voter", m.ID, d)
}

// checkConverged reads key after a sync on every member: all must return
// the same data and version, which is lastMajority unless a minority write
// was acknowledged after the heal (it then came later).
func checkConverged(t *testing.T, srv *zktest.Server, key, lastMajority string, lateAcks bool) {
	t.Helper()
	var first []byte
	var firstStat *zk.Stat
	for _, m := range srv.Members {
		c, _, err := zk.Connect([]string{m.Addr}, 3*time.Second, zk.WithLogger(quietLogger{}), zk.WithLogInfo(false))
		if err != nil {
			t.Fatal(err)
		}
		var data []byte
		var st *zk.Stat
		if _, err = c.Sync(key); err == nil {
			data, st, err = c.Get(key)
		}
		c.Close()
		if err != nil {
			t.Fatalf("sync+get %s on member %d after the heal: %v", key, m.ID, err)
		}
		if firstStat == nil {
			first, firstStat = data, st
			continue
		}
		if !bytes.Equal(data, first) || st.Version != firstStat.Version || st.Mzxid != firstStat.Mzxid {
			t.Errorf("member %d reads %q (version %d, mzxid %#x), member 1 %q (version %d, mzxid %#x)",
				m.ID, data, st.Version, st.Mzxid, first, firstStat.Version, firstStat.Mzxid)
		}
	}
	if !lateAcks && string(first) != lastMajority {
		t.Errorf("after the heal %s = %q, want the majority's last write %q", key, first, lastMajority)
	}
}
