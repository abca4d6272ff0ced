package multihost

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zkmesh/zkmesh/internal/zktest"
	"github.com/zkmesh/zkmesh/jute"
)

// holdFor is how long a partition lasts at least: longer than the
// read-only delay (2 s) plus losing the leader (250 ms), shorter than fast
// gossip's GossipToTheDead (15 s), so the gossip halves merge again.
const holdFor = 4 * time.Second

// attempt is one write sent to the minority side.
type attempt struct {
	path      string
	via       string
	onSession bool // the request went out on an established session
	code      jute.Code
	err       error
	ackAt     time.Time // when an OK reply arrived; zero otherwise
}

// writeMinority sends creates of unique paths to the minority side until
// stop is closed: first a burst on each of pre (sessions opened before the
// cut, which their members may still take for healthy), then one at a time
// on new connections to each member of targets. Every attempt waits for its
// reply, which may come after the heal.
func writeMinority(tag string, pre []*zktest.RawClient, targets []*Member, stop <-chan struct{}) []attempt {
	var mu sync.Mutex
	var out []attempt
	var wg sync.WaitGroup
	send := func(c *zktest.RawClient, via, path string) {
		a := attempt{path: path, via: via, onSession: true}
		r, err := c.Create(zktest.MultiOp{Op: jute.OpCreate, Path: path, Data: []byte(via), ACL: jute.OpenACLUnsafe})
		a.code, a.err = r.Reply.Err, err
		if err == nil && r.Reply.Err == jute.CodeOK {
			a.ackAt = time.Now()
		}
		mu.Lock()
		out = append(out, a)
		mu.Unlock()
	}
	for j, c := range pre {
		for i := 0; i < 5; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				send(c, "pre-cut session", fmt.Sprintf("/p/%s-pre-%d-%d", tag, j, i))
			}()
		}
	}
	for n := 0; ; n++ {
		select {
		case <-stop:
			wg.Wait()
			return out
		case <-time.After(100 * time.Millisecond):
		}
		m := targets[n%len(targets)]
		path := fmt.Sprintf("/p/%s-new-%d", tag, n)
		c, err := zktest.DialRaw(m.ClientAddr(), zktest.RawOptions{ReplyTimeout: 20 * time.Second, NoPing: true})
		if err != nil {
			mu.Lock()
			out = append(out, attempt{path: path, via: m.Name, err: err})
			mu.Unlock()
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Drop()
			send(c, m.Name, path)
		}()
	}
}

// writeMajority creates /p/<tag>-maj-<n> through c until stop is closed and
// returns the acknowledged paths.
func writeMajority(c *zk.Conn, tag string, stop <-chan struct{}) (acked []string, errs int) {
	for n := 0; ; n++ {
		select {
		case <-stop:
			return acked, errs
		default:
		}
		path := fmt.Sprintf("/p/%s-maj-%03d", tag, n)
		if _, err := c.Create(path, []byte("maj"), 0, zk.WorldACL(zk.PermAll)); err != nil {
			errs++
			time.Sleep(50 * time.Millisecond)
			continue
		}
		acked = append(acked, path)
		time.Sleep(50 * time.Millisecond)
	}
}

// checkMinority fails t for every attempt acknowledged before healAt, and
// returns a summary of the outcomes and the paths acknowledged after it.
func checkMinority(t *testing.T, as []attempt, cutAt, healAt time.Time) (summary string, late []string) {
	t.Helper()
	outcomes := map[string]int{}
	onSession := 0
	for _, a := range as {
		if a.onSession {
			onSession++
		}
		switch {
		case a.err == nil && a.code == jute.CodeOK && a.ackAt.Before(healAt):
			t.Errorf("minority member %s acknowledged %s %v after the cut, before the heal", a.via, a.path, a.ackAt.Sub(cutAt))
			outcomes["acknowledged"]++
		case a.err == nil && a.code == jute.CodeOK:
			late = append(late, a.path)
			outcomes["acknowledged after the heal"]++
		case a.err != nil && !a.onSession:
			outcomes["refused"]++
		case a.err != nil:
			outcomes["connection lost"]++
		default:
			outcomes[a.code.Error()]++
		}
	}
	if onSession == 0 {
		t.Fatal("no write reached the minority on a session: the test did not exercise it")
	}
	keys := make([]string, 0, len(outcomes))
	for k := range outcomes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s: %d; ", k, outcomes[k])
	}
	return fmt.Sprintf("%d writes, %d on a session (%s)", len(as), onSession, strings.TrimSuffix(b.String(), "; ")), late
}

// waitIsro polls isro on m until it answers want and returns how long that
// took from since.
func waitIsro(t *testing.T, m *Member, want string, since time.Time, limit time.Duration) time.Duration {
	t.Helper()
	for {
		out, err := m.FourLetter("isro")
		if err == nil && out == want {
			return time.Since(since)
		}
		if time.Since(since) > limit {
			t.Fatalf("%s: isro = %q (%v), not %q, %v after", m.Name, out, err, want, limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitWritable retries a create on a new session to m until one is
// acknowledged, and returns how long that took from since.
func waitWritable(t *testing.T, m *Member, path string, since time.Time, limit time.Duration) time.Duration {
	t.Helper()
	var last error
	for {
		c, err := zktest.DialRaw(m.ClientAddr(), zktest.RawOptions{ReplyTimeout: 5 * time.Second, NoPing: true})
		if err == nil {
			r, err2 := c.Create(zktest.MultiOp{Op: jute.OpCreate, Path: path, ACL: jute.OpenACLUnsafe})
			c.Close()
			if err2 == nil && r.Reply.Err == jute.CodeOK {
				return time.Since(since)
			}
			err = fmt.Errorf("create: %v %v", r.Reply.Err, err2)
		}
		last = err
		if time.Since(since) > limit {
			t.Fatalf("%s does not acknowledge a write %v after: last %v", m.Name, limit, last)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// openPreCut opens a session on m and has a write acknowledged on it.
func openPreCut(t *testing.T, m *Member, path string) *zktest.RawClient {
	t.Helper()
	pre, err := zktest.DialRaw(m.ClientAddr(), zktest.RawOptions{ReplyTimeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pre.Drop() })
	if r, err := pre.Create(zktest.MultiOp{Op: jute.OpCreate, Path: path, ACL: jute.OpenACLUnsafe}); err != nil || r.Reply.Err != jute.CodeOK {
		t.Fatalf("write on %s before the cut: %v %v", m.Name, r.Reply.Err, err)
	}
	return pre
}

func without(all []*Member, drop ...*Member) []*Member {
	var out []*Member
	for _, m := range all {
		keep := true
		for _, d := range drop {
			keep = keep && m != d
		}
		if keep {
			out = append(out, m)
		}
	}
	return out
}

// checkAcked fails t for every acknowledged path missing from snapshot.
func checkAcked(t *testing.T, snapshot string, acked []string) {
	t.Helper()
	for _, p := range acked {
		if !strings.Contains(snapshot, strings.TrimPrefix(p, "/p/")+"=") {
			t.Errorf("acknowledged write %s is missing after the heal", p)
		}
	}
}

// TestPartition: 3 voters on 3 hosts and 2 observers joined with only
// --join, on 2 more.
//
// A voter follower A and observer X are cut off from the other 2 voters and
// observer Y, both ways. On the minority side no write is ever
// acknowledged, neither on a session opened before the cut nor on new
// connections to A or X; after the read-only delay X answers isro "ro" and
// serves read-only sessions from its stale replica, refusing writes with
// NOTREADONLY and clients that do not accept read-only mode. The majority
// keeps committing. After the heal A acknowledges writes again, X leaves
// read-only mode (isro "rw", read-only sessions dropped), and every member
// holds the same data, each write acknowledged by the majority included.
//
// Then the leader alone is cut off: the 2 other voters elect a new leader
// and commit, the old leader acknowledges nothing; after the heal it
// follows, acknowledges writes, and everyone converges.
func TestPartition(t *testing.T) {
	t.Parallel()
	f := startVoters(t, 3)
	vc := connect(t, clientAddrs(f.voters...)...)
	mustCreate(t, vc, "/p", "")
	before := mustCreate(t, vc, "/p/before", "before")
	x, y := f.newObserver(t, "x"), f.newObserver(t, "y")
	for _, o := range []*Member{x, y} {
		waitRead(t, o, "/p/before", "before", before, o.Start(), startTimeout)
	}

	ok := t.Run("voter and observer cut off", func(t *testing.T) {
		leader := f.leader(t, f.voters)
		a := without(f.voters, leader)[0]
		minority := []*Member{a, x}
		majority := without(f.all(), a, x)
		majVoters := without(f.voters, a)
		waitConverged(t, f.all(), "/p", 30*time.Second)
		pre := []*zktest.RawClient{openPreCut(t, a, "/p/c-pre-cut-a"), openPreCut(t, x, "/p/c-pre-cut-x")}
		mc := connect(t, clientAddrs(majVoters...)...)

		f.net.Cut(hostsOf(minority...), hostsOf(majority...))
		cutAt := time.Now()
		t.Logf("cut {%s (follower), %s} from {%s} (leader %s)", a.Name, x.Name, names(majority...), leader.Name)
		stopMin, stopMaj := make(chan struct{}), make(chan struct{})
		var attempts []attempt
		var acked []string
		var majErrs int
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); attempts = writeMinority("c", pre, minority, stopMin) }()
		go func() { defer wg.Done(); acked, majErrs = writeMajority(mc, "c", stopMaj) }()

		// X turns read-only and serves its stale replica.
		roAfter := waitIsro(t, x, "ro", cutAt, 15*time.Second)
		t.Logf("%s answers isro \"ro\" %v after the cut; %s answers %q, %s %q", x.Name, roAfter.Round(time.Millisecond),
			a.Name, isro(a), majVoters[0].Name, isro(majVoters[0]))
		if got := isro(majVoters[0]); got != "rw" {
			t.Errorf("majority voter %s answers isro %q, want rw", majVoters[0].Name, got)
		}
		if s, err := dialSession(x.ClientAddr(), false); err == nil {
			s.close()
			t.Errorf("read-only %s accepted a client that does not accept read-only mode", x.Name)
		}
		ro, err := dialSession(x.ClientAddr(), true)
		if err != nil {
			t.Fatalf("read-only session on %s: %v", x.Name, err)
		}
		defer ro.close()
		if !ro.resp.ReadOnly {
			t.Errorf("%s's ConnectResponse does not say read-only: %+v", x.Name, ro.resp)
		}
		if data, code, err := ro.getData("/p/before"); err != nil || code != jute.CodeOK || data != "before" {
			t.Fatalf("read-only read of /p/before on %s: %q %v %v", x.Name, data, code, err)
		}
		rh, _, err := ro.call(jute.OpSetData, &jute.SetDataRequest{Path: "/p/before", Data: []byte("ro"), Version: -1})
		if err != nil || rh.Err != jute.CodeNotReadOnly {
			t.Errorf("write on a read-only session of %s: %v %v, want NOTREADONLY", x.Name, rh.Err, err)
		}

		// Hold the partition until the majority has committed a few
		// writes and holdFor has passed; X must not see them.
		for time.Since(cutAt) < holdFor {
			if err := ro.ping(); err != nil {
				t.Fatalf("read-only session on %s lost during the partition: %v", x.Name, err)
			}
			time.Sleep(300 * time.Millisecond)
		}
		if _, code, err := ro.getData("/p/c-maj-000"); err != nil || code != jute.CodeNoNode {
			t.Errorf("read-only %s reads a write of the majority (%v %v): it cannot have it", x.Name, code, err)
		}
		close(stopMin)
		f.net.HealAll()
		healAt := time.Now()
		close(stopMaj)
		wg.Wait()
		if len(acked) < 3 {
			t.Fatalf("the majority acknowledged %d writes during the partition (%d errors)", len(acked), majErrs)
		}
		summary, late := checkMinority(t, attempts, cutAt, healAt)
		t.Logf("partition held %v: minority %s; majority acknowledged %d writes (%d errors)", healAt.Sub(cutAt).Round(time.Millisecond),
			summary, len(acked), majErrs)

		// Heal: A writes again, X leaves read-only mode and drops the
		// read-only session, everyone converges.
		writable := waitWritable(t, a, "/p/c-after-heal", healAt, 30*time.Second)
		rwAfter := waitIsro(t, x, "rw", healAt, 30*time.Second)
		dropped := time.Duration(0)
		for dropped == 0 {
			if err := ro.ping(); err != nil {
				dropped = time.Since(healAt)
			} else if time.Since(healAt) > 30*time.Second {
				t.Fatalf("%s kept its read-only session 30 s after the heal", x.Name)
			} else {
				time.Sleep(100 * time.Millisecond)
			}
		}
		snap := waitConverged(t, f.all(), "/p", 30*time.Second)
		converged := time.Since(healAt)
		checkAcked(t, snap, append(acked, "/p/c-after-heal"))
		var committedLate []string
		for _, at := range attempts {
			if strings.Contains(snap, strings.TrimPrefix(at.path, "/p/")+"=") {
				committedLate = append(committedLate, at.path)
			}
		}
		t.Logf("after the heal: %s acknowledged a write after %v, %s answered isro rw after %v and dropped its read-only session after %v, all 5 converged after %v (%d nodes under /p); minority writes acknowledged after the heal %v, committed %v",
			a.Name, writable.Round(time.Millisecond), x.Name, rwAfter.Round(time.Millisecond), dropped.Round(time.Millisecond),
			converged.Round(time.Millisecond), strings.Count(snap, "\n"), late, committedLate)
		for _, m := range minority {
			took := waitState(t, majority, m.Name, "alive", healAt, 30*time.Second)
			t.Logf("gossip: %s alive again for %s after %v", m.Name, names(majority...), took)
		}
	})
	if !ok {
		return
	}

	t.Run("leader cut off", func(t *testing.T) {
		old := f.leader(t, f.voters)
		rest := without(f.all(), old)
		restVoters := without(f.voters, old)
		pre := openPreCut(t, old, "/p/d-pre-cut")
		mc := connect(t, clientAddrs(restVoters...)...)

		f.net.Cut(hostsOf(old), hostsOf(rest...))
		cutAt := time.Now()
		stopMin, stopMaj := make(chan struct{}), make(chan struct{})
		var attempts []attempt
		var acked []string
		var majErrs int
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			attempts = writeMinority("d", []*zktest.RawClient{pre}, []*Member{old}, stopMin)
		}()
		go func() { defer wg.Done(); acked, majErrs = writeMajority(mc, "d", stopMaj) }()
		nl := f.leader(t, restVoters)
		elected := time.Since(cutAt)
		t.Logf("leader %s cut off from {%s}: %s elected leader after %v", old.Name, names(rest...), nl.Name, elected.Round(time.Millisecond))
		for time.Since(cutAt) < holdFor {
			time.Sleep(100 * time.Millisecond)
		}
		close(stopMin)
		f.net.HealAll()
		healAt := time.Now()
		close(stopMaj)
		wg.Wait()
		if len(acked) < 3 {
			t.Fatalf("the majority acknowledged %d writes during the partition (%d errors)", len(acked), majErrs)
		}
		summary, late := checkMinority(t, attempts, cutAt, healAt)
		t.Logf("partition held %v: old leader %s; majority acknowledged %d writes (%d errors)", healAt.Sub(cutAt).Round(time.Millisecond),
			summary, len(acked), majErrs)

		writable := waitWritable(t, old, "/p/d-after-heal", healAt, 30*time.Second)
		if mode := old.Mode(); mode != "follower" {
			t.Errorf("old leader %s serves as %q after the heal, want follower", old.Name, mode)
		}
		snap := waitConverged(t, f.all(), "/p", 30*time.Second)
		checkAcked(t, snap, append(acked, "/p/d-after-heal"))
		t.Logf("after the heal: %s follows %s and acknowledged a write after %v; all 5 converged after %v; old leader's writes acknowledged after the heal %v",
			old.Name, nl.Name, writable.Round(time.Millisecond), time.Since(healAt).Round(time.Millisecond), late)
	})
}

// isro returns m's answer to isro, or the error.
func isro(m *Member) string {
	out, err := m.FourLetter("isro")
	if err != nil {
		return err.Error()
	}
	return out
}
