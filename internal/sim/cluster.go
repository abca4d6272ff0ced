package sim

import (
	"container/heap"
	"errors"
	"fmt"
	"math/rand"

	"github.com/zkmesh/zkmesh/zab"
)

// unitsPerTick is how many simulated time units make one nominal tick.
const unitsPerTick = 10

// Faults are the probabilities and rates a run draws its faults from.
// The zero value is a perfect world.
type Faults struct {
	// Loss, Dup and Reorder apply to each message: dropped, delivered
	// twice, or delivered without regard to the order of its link.
	Loss, Dup, Reorder float64
	// MaxDelay is the largest message delay in time units (>= 1).
	MaxDelay int
	// Stale is the chance that a message is held back for up to 50 ticks,
	// outside its link's order: it arrives long after its connection,
	// round or epoch is over.
	Stale float64
	// TickSkew lets each member's tick period differ from unitsPerTick by
	// up to that many units.
	TickSkew int
	// FsyncCrash is the chance that a member crashes between writing a
	// Ready and syncing it.
	FsyncCrash float64
	// Batch is the chance that a member does not hand out a Ready right
	// after a delivery, so that several steps share one Ready.
	Batch float64
	// SendFirst is the chance that a member sends a Ready's messages
	// before syncing its writes (a pipelined driver).
	SendFirst float64
}

// Options configure a Cluster.
type Options struct {
	Voters, Observers int
	Seed              int64
	Faults            Faults
	// Zab overrides zab's timing; zero fields keep zab.DefaultConfig's.
	Zab zab.Config
	// Trace, if set, receives a line per notable event.
	Trace func(string)
	// TraceTypes selects which message sends are traced.
	TraceTypes map[zab.MessageType]bool
}

type member struct {
	id      zab.ServerID
	zn      *zab.Node
	disk    *Disk
	kv      *KV
	up      bool
	period  int64
	next    int64
	stalled bool
	held    *zab.Ready
	ticks   uint64
	// boot is the membership the member starts with while its state
	// machine has applied no configuration: the initial one, or for a
	// member added later the configuration that added it.
	boot zab.Membership
}

// Cluster is a simulated ensemble.
type Cluster struct {
	opts     Options
	rng      *rand.Rand
	now      int64
	seq      uint64
	members  []*member
	byID     map[zab.ServerID]*member
	queue    eventQueue
	linkLast map[[2]zab.ServerID]int64
	blocked  map[[2]zab.ServerID]bool
	filters  []*Filter
	stallOn  map[zab.ServerID]zab.MessageType
	heldMsgs []zab.Message
	check    *Checker
	// Err is the first invariant violation; the run stops on it.
	Err error
	// Proposals counts accepted client proposals, Commits client acks,
	// Forwarded writes proposed for a learner, Syncs sync answers checked.
	Proposals, Commits, Forwarded, Syncs int
	// pending are client proposals not acked yet: zxid -> data, by leader.
	pending map[zab.Zxid][]byte
	// Stats counts what happened, to show what a run exercised.
	Stats Stats
	// nextID is the id the next added member gets.
	nextID zab.ServerID
}

// NewCluster builds and boots a cluster.
func NewCluster(o Options) (*Cluster, error) {
	if o.Voters < 1 {
		return nil, errors.New("sim: need at least one voter")
	}
	if o.Faults.MaxDelay < 1 {
		o.Faults.MaxDelay = 1
	}
	c := &Cluster{
		opts:     o,
		rng:      rand.New(rand.NewSource(o.Seed)),
		byID:     map[zab.ServerID]*member{},
		linkLast: map[[2]zab.ServerID]int64{},
		blocked:  map[[2]zab.ServerID]bool{},
		check:    NewChecker(),
		pending:  map[zab.Zxid][]byte{},
		stallOn:  map[zab.ServerID]zab.MessageType{},
	}
	var initial zab.Membership
	for i := 1; i <= o.Voters+o.Observers; i++ {
		if i <= o.Voters {
			initial.Voters = append(initial.Voters, zab.ServerID(i))
		} else {
			initial.Observers = append(initial.Observers, zab.ServerID(i))
		}
	}
	for i := 1; i <= o.Voters+o.Observers; i++ {
		c.newMember(zab.ServerID(i), initial)
	}
	c.nextID = zab.ServerID(o.Voters + o.Observers + 1)
	for _, m := range c.members {
		if err := c.start(m); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (c *Cluster) newMember(id zab.ServerID, boot zab.Membership) *member {
	m := &member{id: id, disk: NewDisk(), period: unitsPerTick, boot: boot.Clone()}
	if c.opts.Faults.TickSkew > 0 {
		m.period += int64(c.rng.Intn(2*c.opts.Faults.TickSkew+1) - c.opts.Faults.TickSkew)
	}
	m.next = c.now + m.period
	c.members = append(c.members, m)
	c.byID[m.id] = m
	return m
}

// AddMember starts a fresh member with an empty disk that knows boot as
// the membership (the configuration that adds it) and returns its id.
func (c *Cluster) AddMember(boot zab.Membership) (zab.ServerID, error) {
	id := c.nextID
	c.nextID++
	m := c.newMember(id, boot)
	c.trace("%d: added", id)
	return id, c.start(m)
}

// NextID is the id AddMember will give the next member.
func (c *Cluster) NextID() zab.ServerID { return c.nextID }

// ProposeConfig proposes the configuration next at member id (which must
// lead); zab refuses what a single change may not do.
func (c *Cluster) ProposeConfig(id zab.ServerID, next zab.Membership) (zab.Zxid, error) {
	m := c.byID[id]
	if m == nil || !m.up {
		return 0, zab.ErrNotLeader
	}
	data := EncodeConfig(next)
	z, err := m.zn.ProposeConfig(data, next)
	if err != nil {
		c.Stats.ReconfigsRefused++
		return 0, err
	}
	c.Stats.Reconfigs++
	c.pending[z] = data
	if err := c.check.Proposed(id, z, data, c.now); err != nil {
		c.fail(err)
	}
	c.trace("%d: proposed config %s at %s", id, next, z)
	return z, nil
}

func (c *Cluster) trace(format string, args ...any) {
	if c.opts.Trace != nil {
		c.opts.Trace(fmt.Sprintf(format, args...))
	}
}

func (c *Cluster) fail(err error) {
	if c.Err == nil {
		c.Err = fmt.Errorf("t=%d: %w", c.now, err)
	}
}

// Step runs the next event: a message delivery or a member's tick.
func (c *Cluster) Step() {
	var tm *member
	for _, m := range c.members {
		if m.up && (tm == nil || m.next < tm.next) {
			tm = m
		}
	}
	if len(c.queue) > 0 && (tm == nil || c.queue[0].at <= tm.next) {
		ev := heap.Pop(&c.queue).(*event)
		c.now = max(c.now, ev.at)
		m := c.byID[ev.msg.To]
		if m == nil || !m.up {
			return
		}
		if t, ok := c.stallOn[m.id]; ok && t == ev.msg.Type {
			delete(c.stallOn, m.id)
			m.stalled = true
			c.trace("%d: disk stalls", m.id)
		}
		if err := m.zn.Step(ev.msg); err != nil {
			c.fail(err)
		}
		if c.opts.Faults.Batch == 0 || c.rng.Float64() >= c.opts.Faults.Batch {
			c.drain(m)
		}
		return
	}
	if tm == nil {
		c.now += unitsPerTick
		return
	}
	c.now = max(c.now, tm.next)
	tm.next += tm.period
	tm.ticks++
	tm.zn.Tick()
	c.drain(tm)
}

// RunUntil runs until t (in time units).
func (c *Cluster) RunUntil(t int64) {
	for c.Err == nil && c.now < t {
		c.Step()
	}
}

// Ticks is the current time in nominal ticks.
func (c *Cluster) Ticks() int64 { return c.now / unitsPerTick }

// RunTicks runs n nominal ticks.
func (c *Cluster) RunTicks(n int) { c.RunUntil((c.Ticks() + int64(n)) * unitsPerTick) }

// Leader returns an up member that leads an established epoch, or 0.
// With several (a stale one in a minority), it returns the newest epoch's.
func (c *Cluster) Leader() zab.ServerID {
	var best zab.ServerID
	var epoch uint32
	for _, m := range c.members {
		if !m.up {
			continue
		}
		s := m.zn.Status()
		if s.Role == zab.RoleLeading && s.Established && (best == 0 || s.CurrentEpoch > epoch) {
			best, epoch = m.id, s.CurrentEpoch
		}
	}
	return best
}

// Leaders lists the up members that lead an established epoch (more than
// one while a stale leader has not noticed it lost its quorum).
func (c *Cluster) Leaders() []zab.ServerID {
	var out []zab.ServerID
	for _, m := range c.members {
		if m.up {
			if s := m.zn.Status(); s.Role == zab.RoleLeading && s.Established {
				out = append(out, m.id)
			}
		}
	}
	return out
}

// Propose submits a client txn at member id (which must lead).
func (c *Cluster) Propose(id zab.ServerID, data []byte) (zab.Zxid, error) {
	m := c.byID[id]
	if m == nil || !m.up {
		return 0, zab.ErrNotLeader
	}
	z, err := m.zn.Propose(data)
	if err != nil {
		return 0, err
	}
	c.Proposals++
	c.pending[z] = data
	if err := c.check.Proposed(id, z, data, c.now); err != nil {
		c.fail(err)
	}
	// The Ready is handled at the member's next event, so that proposals
	// in a burst share one.
	return z, nil
}

// Read checks that member id's state is a prefix of the committed history
// (what a client reading there would see).
func (c *Cluster) Read(id zab.ServerID) {
	m := c.byID[id]
	if m.up && m.kv.Count > 0 {
		if err := c.check.at(id, m.kv); err != nil {
			c.fail(fmt.Errorf("read: %w", err))
		}
	}
}

// Members lists member ids.
func (c *Cluster) Members() []zab.ServerID {
	out := make([]zab.ServerID, len(c.members))
	for i, m := range c.members {
		out[i] = m.id
	}
	return out
}

// Up reports whether member id runs.
func (c *Cluster) Up(id zab.ServerID) bool { return c.byID[id].up }

// Status returns member id's zab status.
func (c *Cluster) Status(id zab.ServerID) zab.Status { return c.byID[id].zn.Status() }
