package sim

import (
	"fmt"
	"math/rand"
	"slices"

	"github.com/zkmesh/zkmesh/zab"
)

// SeedResult is the outcome of one random run.
type SeedResult struct {
	Seed              int64
	Voters, Observers int
	Err               error
	// Proposals and Commits count client txns accepted and acked.
	Proposals, Commits int
	// RecoveryTicks is how long after the faults stopped a new txn
	// committed.
	RecoveryTicks int64
	Stats         Stats
}

func (r SeedResult) String() string {
	return fmt.Sprintf("seed=%d voters=%d observers=%d proposals=%d commits=%d recovery=%d ticks; %s",
		r.Seed, r.Voters, r.Observers, r.Proposals, r.Commits, r.RecoveryTicks, r.Stats)
}

// RunSeed runs one random scenario: faultTicks of faults (loss, delay,
// reordering, duplication, partitions incl. one-way, crashes with lost or
// torn unsynced writes, pipelined drivers, tick skew) with client
// proposals and reads, then heals everything and requires a new txn to
// commit within recoverTicks. Everything derives from seed.
func RunSeed(seed int64, faultTicks, recoverTicks int, trace func(string)) (res SeedResult) {
	r := rand.New(rand.NewSource(seed))
	res = SeedResult{Seed: seed, Voters: 1 + r.Intn(5), Observers: r.Intn(4)}
	defer func() {
		// zab panics on a broken invariant: report it as this seed's failure.
		if p := recover(); p != nil {
			res.Err = fmt.Errorf("panic: %v", p)
		}
	}()
	f := Faults{
		Loss:       r.Float64() * 0.05,
		Dup:        r.Float64() * 0.05,
		Reorder:    r.Float64() * 0.02,
		Stale:      r.Float64() * 0.01,
		MaxDelay:   1 + r.Intn(3*unitsPerTick),
		TickSkew:   r.Intn(4),
		FsyncCrash: r.Float64() * []float64{0.002, 0.01, 0.03}[r.Intn(3)],
		SendFirst:  r.Float64(),
		Batch:      r.Float64() * 0.8,
	}
	zc := zab.Config{
		ElectionTicks:  1 + r.Intn(6),
		HeartbeatTicks: 1 + r.Intn(3),
	}
	// Timeouts must leave room for the network's round trips (as zoo.cfg's
	// must), or no leader can ever be established: a few hops per
	// syncLimit, the whole epoch agreement and sync within initLimit.
	hop := (f.MaxDelay + unitsPerTick - 1) / unitsPerTick
	zc.SyncLimitTicks = zc.HeartbeatTicks + 2*hop + 2 + r.Intn(10)
	zc.InitLimitTicks = zc.SyncLimitTicks + 8*hop + r.Intn(15)
	if trace != nil {
		trace(fmt.Sprintf("zab timing: election=%d heartbeat=%d syncLimit=%d initLimit=%d; faults %+v",
			zc.ElectionTicks, zc.HeartbeatTicks, zc.SyncLimitTicks, zc.InitLimitTicks, f))
	}
	c, err := NewCluster(Options{Voters: res.Voters, Observers: res.Observers, Seed: r.Int63(), Faults: f, Zab: zc, Trace: trace})
	if err != nil {
		res.Err = err
		return res
	}
	ids := c.Members()
	crashRate := r.Float64() * 0.02
	partRate := r.Float64() * 0.02
	proposeRate := 0.2 + r.Float64()*0.5
	compactRate := r.Float64() * 0.05
	// Three seeds in four also change the membership now and then.
	reconfigRate := 0.0
	if r.Intn(4) != 0 {
		reconfigRate = r.Float64() * 0.05
	}
	for t := 0; t < faultTicks && c.Err == nil; t++ {
		c.RunTicks(1)
		ids = c.Members()
		if r.Float64() < reconfigRate {
			reconfigure(c, r)
		}
		if r.Float64() < proposeRate {
			// Clients write to a leader they know of, stale ones included.
			if ls := c.Leaders(); len(ls) > 0 {
				l := ls[r.Intn(len(ls))]
				for k := r.Intn(3); k >= 0; k-- {
					c.Propose(l, []byte(fmt.Sprintf("k%d=%d", r.Intn(8), c.Proposals)))
				}
			}
		}
		if r.Float64() < 0.1 {
			c.Read(ids[r.Intn(len(ids))])
		}
		if r.Float64() < proposeRate/2 {
			// A client on a learner: its write is forwarded, or it syncs.
			id := ids[r.Intn(len(ids))]
			if r.Intn(2) == 0 {
				_ = c.Forward(id, []byte(fmt.Sprintf("k%d=f%d", r.Intn(8), c.Proposals)))
			} else {
				_ = c.Sync(id)
			}
			if c.Up(id) {
				c.drain(c.byID[id])
			}
		}
		if r.Float64() < partRate {
			switch r.Intn(3) {
			case 0:
				var a, b []zab.ServerID
				for _, id := range ids {
					if r.Intn(2) == 0 {
						a = append(a, id)
					} else {
						b = append(b, id)
					}
				}
				c.Partition(a, b)
				c.trace("partition %v | %v", a, b)
			case 1:
				x, y := ids[r.Intn(len(ids))], ids[r.Intn(len(ids))]
				c.Block(x, y)
				c.trace("block %d->%d", x, y)
			default:
				c.Heal()
				c.trace("heal")
			}
		}
		if r.Float64() < compactRate {
			if id := ids[r.Intn(len(ids))]; c.Up(id) {
				if err := c.Compact(id); err != nil {
					c.fail(err)
				}
			}
		}
		if r.Float64() < crashRate {
			id := ids[r.Intn(len(ids))]
			if c.Up(id) {
				c.crash(c.byID[id], -1, r.Intn(2) == 0)
			} else if err := c.Restart(id); err != nil {
				c.fail(err)
			}
		}
		if r.Float64() < crashRate {
			for _, id := range ids {
				if !c.Up(id) && r.Intn(2) == 0 {
					if err := c.Restart(id); err != nil {
						c.fail(err)
					}
				}
			}
		}
	}
	// Faults stop: heal, restart, perfect network.
	c.Heal()
	c.opts.Faults = Faults{MaxDelay: f.MaxDelay, TickSkew: f.TickSkew}
	for _, id := range ids {
		if !c.Up(id) {
			if err := c.Restart(id); err != nil {
				c.fail(err)
			}
		}
	}
	c.trace("faults stop")
	start := c.Ticks()
	done := false
	var want zab.Zxid
	for !done && c.Err == nil && c.Ticks()-start < int64(recoverTicks) {
		c.RunTicks(1)
		l := c.Leader()
		if l == 0 {
			continue
		}
		if want == 0 || c.Status(l).CurrentEpoch != want.Epoch() {
			want, _ = c.Propose(l, []byte("final"))
			continue
		}
		done = c.Status(l).Applied >= want
	}
	res.Proposals, res.Commits, res.Stats = c.Proposals, c.Commits, c.Stats
	res.Stats.Forwarded, res.Stats.Syncs = c.Forwarded, c.Syncs
	res.Stats.ConfigsCommitted = c.check.Configs()
	res.RecoveryTicks = c.Ticks() - start
	switch {
	case c.Err != nil:
		res.Err = c.Err
	case !done:
		res.Err = fmt.Errorf("liveness: no txn committed within %d ticks after faults stopped", recoverTicks)
	}
	return res
}

// maxMembers bounds how many member ids a run may have: reconfigure adds
// fresh members up to it.
const maxMembers = 10

// reconfigure has a leader propose one membership change drawn from r:
// promote an observer, demote a voter, add a fresh member as an observer
// (started once the change is accepted), remove a voter, or remove an
// observer. The leader (a stale one included) may refuse it; a removed
// member keeps running until it crashes, and restarts like any other.
func reconfigure(c *Cluster, r *rand.Rand) {
	ls := c.Leaders()
	if len(ls) == 0 {
		return
	}
	l := ls[r.Intn(len(ls))]
	next := c.Status(l).Membership.Clone()
	pick := func(ids *[]zab.ServerID) zab.ServerID {
		i := r.Intn(len(*ids))
		id := (*ids)[i]
		*ids = slices.Delete(*ids, i, i+1)
		return id
	}
	// Voters go below 3 only now and then, and never below 1: with a
	// single voter no observer can be promoted (it would have to follow
	// already).
	fewer := len(next.Voters) > 2 || (len(next.Voters) == 2 && r.Intn(4) == 0)
	fresh := false
	switch r.Intn(5) {
	case 0:
		if len(next.Observers) == 0 {
			return
		}
		next.Voters = append(next.Voters, pick(&next.Observers))
	case 1:
		if !fewer {
			return
		}
		next.Observers = append(next.Observers, pick(&next.Voters))
	case 2:
		if len(c.members) >= maxMembers {
			return
		}
		next.Observers = append(next.Observers, c.NextID())
		fresh = true
	case 3:
		if !fewer {
			return
		}
		pick(&next.Voters)
	default:
		if len(next.Observers) == 0 {
			return
		}
		pick(&next.Observers)
	}
	if _, err := c.ProposeConfig(l, next); err != nil {
		return
	}
	if fresh {
		c.Stats.Added++
		if _, err := c.AddMember(next); err != nil {
			c.fail(err)
		}
	}
}

// TicksToElect boots a healthy cluster, commits a txn, crashes the leader
// and returns how many ticks pass until another leader is established.
func TicksToElect(seed int64, voters int) (int64, error) {
	c, err := NewCluster(Options{Voters: voters, Seed: seed, Faults: Faults{MaxDelay: unitsPerTick, TickSkew: 1}})
	if err != nil {
		return 0, err
	}
	var l zab.ServerID
	for i := 0; i < 500 && c.Err == nil; i++ {
		c.RunTicks(1)
		if l = c.Leader(); l != 0 {
			break
		}
	}
	if l == 0 {
		return 0, fmt.Errorf("no first leader (err %v)", c.Err)
	}
	c.RunTicks(5)
	c.Crash(l)
	start := c.Ticks()
	for c.Err == nil && c.Ticks()-start < 1000 {
		c.RunTicks(1)
		if nl := c.Leader(); nl != 0 && nl != l {
			return c.Ticks() - start, nil
		}
	}
	return 0, fmt.Errorf("no new leader after crash of %d (err %v)", l, c.Err)
}
