package crashtest

import (
	"fmt"
	"math"
	"math/rand"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/go-zookeeper/zk"

	"github.com/zkmesh/zkmesh/internal/zktest"
)

// regInput is one operation on a znode used as a register.
type regInput struct {
	key   int
	write bool
	value string // for writes
}

// regOutput is what a read returned.
type regOutput struct {
	value string
}

// regState is a register's value.
type regState struct {
	value string
}

// registerModel: writes are setData(version -1); reads are sync then
// getData, which must return the value of the state at their
// linearization point. Every written value is unique.
var registerModel = porcupine.Model{
	Partition: func(h []porcupine.Operation) [][]porcupine.Operation {
		by := map[int][]porcupine.Operation{}
		for _, op := range h {
			k := op.Input.(regInput).key
			by[k] = append(by[k], op)
		}
		keys := make([]int, 0, len(by))
		for k := range by {
			keys = append(keys, k)
		}
		sort.Ints(keys)
		out := make([][]porcupine.Operation, 0, len(keys))
		for _, k := range keys {
			out = append(out, by[k])
		}
		return out
	},
	Init: func() interface{} { return regState{} },
	Step: func(state, input, output interface{}) (bool, interface{}) {
		st, in := state.(regState), input.(regInput)
		if in.write {
			return true, regState{value: in.value}
		}
		return output.(regOutput).value == st.value, st
	},
	DescribeOperation: func(input, output interface{}) string {
		in := input.(regInput)
		if in.write {
			return fmt.Sprintf("set(k%d, %s)", in.key, in.value)
		}
		return fmt.Sprintf("get(k%d) -> %s", in.key, output.(regOutput).value)
	},
}

// TestLinearizableUnderKillsAndPartitions records a history of writes and
// sync+reads from clients spread over 3 voters and 2 observers while
// members are killed with SIGKILL and restarted, and, in alternation, cut
// off from each other (the leader isolated, a follower isolated, an
// observer cut off, a single voter-voter link cut, a one-way cut between
// the leader and a follower, the leader and an observer split from the
// rest, a follower isolated while the leader is killed, and silent
// partitions whose held messages arrive late: the leader silenced, one
// direction between the leader and a follower held), and checks the
// history with porcupine. Peer traffic passes through per-pair proxies
// (zktest.Options.PartitionableLinks); clients stay connected to their
// member's client port, as applications on a cut-off host would. Writes
// whose outcome is unknown (the connection broke) are kept with an open
// end, so they may take effect at any later moment or not at all; failed
// reads are dropped. Sequential creates are checked for unique names that
// grow in real-time order.
func TestLinearizableUnderKillsAndPartitions(t *testing.T) {
	if testing.Short() {
		t.Skip("kills real processes")
	}
	o := zktest.DefaultOptions()
	o.Members, o.Observers = 5, 2
	o.PartitionableLinks = true
	srv := zktest.StartZkmesh(t, o)
	const keys = 6
	setupKeys(t, srv.Hosts(), keys)

	seed := seedFromEnv(t)
	rng := rand.New(rand.NewSource(seed))
	start := time.Now()
	now := func() int64 { return int64(time.Since(start)) }
	var (
		mu      sync.Mutex
		history []porcupine.Operation
		creates []seqCreate
	)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for cl := 0; cl < 6; cl++ {
		wg.Add(1)
		go func(cl int) {
			defer wg.Done()
			r := rand.New(rand.NewSource(seed + int64(cl)))
			m := srv.Members[cl%len(srv.Members)]
			c, _, err := zk.Connect([]string{m.Addr}, 3*time.Second, zk.WithLogger(quietLogger{}), zk.WithLogInfo(false))
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				key := r.Intn(keys)
				path := fmt.Sprintf("/lin/k%d", key)
				switch r.Intn(10) {
				case 0, 1, 2, 3: // write
					val := fmt.Sprintf("c%d-%d", cl, i)
					call := now()
					_, err := c.Set(path, []byte(val), -1)
					ret := now()
					if err != nil {
						if err == zk.ErrBadVersion || err == zk.ErrNoNode {
							t.Errorf("unexpected %v writing %s", err, path)
							return
						}
						ret = math.MaxInt64 // outcome unknown
					}
					mu.Lock()
					history = append(history, porcupine.Operation{ClientId: cl, Input: regInput{key: key, write: true, value: val}, Call: call, Return: ret})
					mu.Unlock()
				case 4: // sequential create
					call := now()
					p, err := c.Create("/lin/seq-", nil, zk.FlagSequence, zk.WorldACL(zk.PermAll))
					ret := now()
					if err == nil {
						mu.Lock()
						creates = append(creates, seqCreate{name: p, call: call, ret: ret})
						mu.Unlock()
					}
				default: // sync, then read
					call := now()
					if _, err := c.Sync(path); err != nil {
						continue
					}
					data, _, err := c.Get(path)
					ret := now()
					if err != nil {
						continue
					}
					mu.Lock()
					history = append(history, porcupine.Operation{ClientId: cl, Input: regInput{key: key}, Output: regOutput{value: string(data)}, Call: call, Return: ret})
					mu.Unlock()
				}
			}
		}(cl)
	}
	// Faults: a kill, then a partition, and again, each over a healthy
	// ensemble: every member serves again before the next one starts.
	f := &faults{t: t, srv: srv, rng: rng, start: start}
	partitions := rng.Perm(len(partitionKinds))
	for round := 0; round < len(partitionKinds); round++ {
		f.kill()
		f.partition(partitionKinds[partitions[round]])
	}
	time.Sleep(500 * time.Millisecond)
	close(stop)
	wg.Wait()

	mu.Lock()
	defer mu.Unlock()
	reads, writes := 0, 0
	for _, op := range history {
		if op.Input.(regInput).write {
			writes++
		} else {
			reads++
		}
	}
	// A write whose outcome is unknown and whose value no read returned can
	// always be linearized after everything else; dropping it keeps the
	// search small without changing the verdict.
	readValues := map[string]bool{}
	for _, op := range history {
		if !op.Input.(regInput).write {
			readValues[op.Output.(regOutput).value] = true
		}
	}
	kept := history[:0]
	dropped := 0
	for _, op := range history {
		if in := op.Input.(regInput); in.write && op.Return == math.MaxInt64 && !readValues[in.value] {
			dropped++
			continue
		}
		kept = append(kept, op)
	}
	history = kept
	t.Logf("seed %d: %d SIGKILLs, %d partitions; %d ops checked by porcupine: %d writes (%d more of unknown outcome never read, dropped), %d sync+reads; %d sequential creates checked",
		seed, f.kills, f.partitions, len(history), writes-dropped, dropped, reads, len(creates))
	if reads < 50 || writes < 50 {
		t.Fatalf("too little traffic to judge: %d reads, %d writes", reads, writes)
	}
	res, info := porcupine.CheckOperationsVerbose(registerModel, history, 120*time.Second)
	if res != porcupine.Ok {
		path := t.TempDir() + "/history.html"
		if err := porcupine.VisualizePath(registerModel, info, path); err == nil {
			t.Logf("visualization: %s", path)
		}
		t.Fatalf("history is not linearizable (%v), seed %d", res, seed)
	}
	checkSequential(t, creates)
}

type seqCreate struct {
	name      string
	call, ret int64
}

// checkSequential: every name is unique, and a create that returned before
// another was called got the smaller number.
func checkSequential(t *testing.T, cs []seqCreate) {
	t.Helper()
	seen := map[string]bool{}
	for _, c := range cs {
		if seen[c.name] {
			t.Errorf("sequential name %s handed out twice", c.name)
		}
		seen[c.name] = true
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].ret < cs[j].ret })
	for i, a := range cs {
		for _, b := range cs[i+1:] {
			if a.ret < b.call && !(seqNum(a.name) < seqNum(b.name)) {
				t.Errorf("%s returned before %s was called but has a larger number", a.name, b.name)
			}
		}
	}
}

func seqNum(name string) string { return name[strings.LastIndex(name, "-")+1:] }

func setupKeys(t *testing.T, hosts string, keys int) {
	t.Helper()
	c, _, err := zk.Connect(strings.Split(hosts, ","), 5*time.Second, zk.WithLogger(quietLogger{}), zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, p := range []string{"/lin"} {
		if _, err := c.Create(p, nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
			t.Fatal(err)
		}
	}
	for k := 0; k < keys; k++ {
		if _, err := c.Create(fmt.Sprintf("/lin/k%d", k), []byte(""), 0, zk.WorldACL(zk.PermAll)); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRegisterModelRejectsStaleRead: the model the partition test relies on
// does reject what a member cut off from the quorum would return if it
// served reads without a sync: a value already overwritten by a write that
// returned before the read began. An unknown-outcome write (open end) may
// still explain a read, so it must not hide the stale one.
func TestRegisterModelRejectsStaleRead(t *testing.T) {
	w := func(cl int, v string, call, ret int64) porcupine.Operation {
		return porcupine.Operation{ClientId: cl, Input: regInput{key: 0, write: true, value: v}, Call: call, Return: ret}
	}
	r := func(cl int, v string, call, ret int64) porcupine.Operation {
		return porcupine.Operation{ClientId: cl, Input: regInput{key: 0}, Output: regOutput{value: v}, Call: call, Return: ret}
	}
	legal := []porcupine.Operation{w(0, "a", 0, 10), w(1, "b", 20, 30), r(2, "b", 40, 50), w(3, "c", 45, math.MaxInt64), r(2, "c", 60, 70)}
	if res := porcupine.CheckOperations(registerModel, legal); !res {
		t.Fatal("a legal history was rejected")
	}
	stale := []porcupine.Operation{w(0, "a", 0, 10), w(1, "b", 20, 30), w(3, "c", 35, math.MaxInt64), r(2, "a", 40, 50)}
	if res := porcupine.CheckOperations(registerModel, stale); res {
		t.Fatal("a read of an overwritten value was accepted")
	}
}
