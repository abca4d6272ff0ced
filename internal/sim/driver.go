package sim

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/zkmesh/zkmesh/zab"
)

// start (re)creates m's zab node from its durable disk.
func (c *Cluster) start(m *member) error {
	st := m.disk.Storage()
	kv := NewKV()
	kv.Members = m.boot.Clone()
	if snap, err := st.Snapshot(); err == nil {
		if kv, err = RestoreKV(snap); err != nil {
			return err
		}
	}
	cfg := zab.DefaultConfig()
	if z := c.opts.Zab; z.ElectionTicks > 0 {
		cfg.ElectionTicks, cfg.InitLimitTicks, cfg.SyncLimitTicks, cfg.HeartbeatTicks =
			z.ElectionTicks, z.InitLimitTicks, z.SyncLimitTicks, z.HeartbeatTicks
	}
	cfg.ID = m.id
	// The membership as of the state machine's point; zab takes the
	// configurations of the log above it from the log.
	cfg.Voters = kv.Members.Voters
	cfg.Observers = kv.Members.Observers
	cfg.ConfigOf = ConfigOf
	cfg.Seed = c.rng.Int63()
	cfg.Storage = st
	cfg.StateMachine = kv
	cfg.Applied = kv.Last
	zn, err := zab.New(cfg)
	if err != nil {
		return err
	}
	m.zn, m.kv, m.up, m.stalled, m.held = zn, kv, true, false, nil
	if err := c.check.Restored(m.id, kv); err != nil {
		c.fail(err)
	}
	c.drain(m)
	return nil
}

// drain hands m's Readys to the simulated driver until none is left.
func (c *Cluster) drain(m *member) {
	if m.stalled {
		c.stallReady(m)
		return
	}
	for m.up && c.Err == nil && m.zn.HasReady() {
		rd := m.zn.Ready()
		if err := m.disk.Write(rd); err != nil {
			c.fail(fmt.Errorf("member %d disk: %w", m.id, err))
			return
		}
		sendFirst := c.rng.Float64() < c.opts.Faults.SendFirst
		if sendFirst {
			c.sendAll(rd.Messages)
		}
		p := c.opts.Faults.FsyncCrash
		if sendFirst && rd.MustSync() && acks(rd.Messages) {
			// The dangerous moment: acks are out, the writes are not
			// durable yet.
			p *= 20
		}
		if rd.HardState != nil && rd.MustSync() {
			// Or a new epoch written together with log changes.
			p *= 20
		}
		if c.rng.Float64() < p {
			c.crash(m, -1, c.rng.Intn(2) == 0)
			return
		}
		if err := m.disk.Sync(); err != nil {
			c.fail(err)
			return
		}
		if !sendFirst {
			c.sendAll(rd.Messages)
		}
		c.finish(m, rd)
	}
}

// finish applies rd on m after its writes are durable, and advances.
func (c *Cluster) finish(m *member, rd zab.Ready) {
	if rd.Snapshot != nil {
		kv, err := RestoreKV(*rd.Snapshot)
		if err != nil {
			c.fail(err)
			return
		}
		if sm := rd.Snapshot.Membership; sm == nil || !sm.Equal(kv.Members) {
			c.fail(fmt.Errorf("member %d: SNAP at %s carries membership %v, the image says %s", m.id, rd.Snapshot.Zxid, sm, kv.Members))
			return
		}
		// In place: zab holds m.kv as its StateMachine.
		*m.kv = *kv
		c.trace("%d: installed snapshot %s", m.id, rd.Snapshot.Zxid)
		if err := c.check.Restored(m.id, m.kv); err != nil {
			c.fail(err)
		}
	}
	for _, e := range rd.CommittedEntries {
		m.kv.Apply(e)
		if err := c.check.Applied(m.id, e, m.kv); err != nil {
			c.fail(err)
		}
		if d, ok := c.pending[e.Zxid]; ok && m.zn.Status().Role == zab.RoleLeading {
			delete(c.pending, e.Zxid)
			c.check.Acked(e.Zxid, d, c.now)
			c.Commits++
			c.trace("%d: committed %s", m.id, e.Zxid)
		}
	}
	for _, ev := range rd.Events {
		switch ev.Type {
		case zab.EventRoleChanged:
			if ev.Role == zab.RoleLooking {
				c.trace("%d: looking", m.id)
			} else {
				c.trace("%d: %s %d", m.id, ev.Role, ev.Leader)
			}
		case zab.EventLeaderEstablished:
			c.trace("%d: established epoch %d", m.id, ev.Epoch)
			c.Stats.Established++
			if err := c.check.Established(m.id, ev.Epoch, m.disk.Storage()); err != nil {
				c.fail(err)
			}
		case zab.EventSynced:
			c.trace("%d: synced with %d", m.id, ev.Leader)
		}
	}
	m.zn.Advance(rd)
	for _, am := range rd.AppMessages {
		c.app(m, am)
	}
}

// app plays the application's use of the app channel: a leader proposes
// the writes learners forward and answers sync requests with its commit
// point; a learner that gets the answer must have seen every commit up to
// it, since the answer travels behind them on the same stream.
func (c *Cluster) app(m *member, am zab.AppMessage) {
	msg := string(am.Data)
	st := m.zn.Status()
	switch {
	case strings.HasPrefix(msg, "fwd:"):
		if st.Role == zab.RoleLeading && st.Established {
			c.Forwarded++
			c.Propose(m.id, am.Data)
		}
	case msg == "sync":
		if st.Role == zab.RoleLeading {
			_ = m.zn.Send(am.From, []byte(fmt.Sprintf("synced:%d", uint64(st.Committed))))
		}
	case strings.HasPrefix(msg, "synced:"):
		z, err := strconv.ParseUint(strings.TrimPrefix(msg, "synced:"), 10, 64)
		if err != nil {
			c.fail(fmt.Errorf("member %d got a bad sync answer %q", m.id, msg))
			return
		}
		c.Syncs++
		if st.Committed < zab.Zxid(z) {
			c.fail(fmt.Errorf("sync: member %d got the leader's answer for commit %s but has only seen %s", m.id, zab.Zxid(z), st.Committed))
		}
	}
}

// Forward sends a client write from learner id to its leader's
// application, which proposes it.
func (c *Cluster) Forward(id zab.ServerID, data []byte) error {
	m := c.byID[id]
	if !m.up {
		return zab.ErrNoLeader
	}
	return m.zn.SendToLeader(append([]byte("fwd:"), data...))
}

// Sync asks learner id's leader for its commit point (ZooKeeper's sync).
func (c *Cluster) Sync(id zab.ServerID) error {
	m := c.byID[id]
	if !m.up {
		return zab.ErrNoLeader
	}
	return m.zn.SendToLeader([]byte("sync"))
}

// crash stops m, losing unsynced writes (keep < 0: a random prefix kept).
func (c *Cluster) crash(m *member, keep int, keepHS bool) {
	if !m.up {
		return
	}
	kept, lost, err := m.disk.Crash(c.rng, keep, keepHS)
	if err != nil {
		c.fail(err)
	}
	m.up, m.stalled, m.held = false, false, nil
	c.Stats.Crashes++
	if lost > 0 {
		c.Stats.LostWrites++
	}
	if lost > 0 || kept > 0 {
		c.trace("%d: crashed (kept %d unsynced log writes, lost %d)", m.id, kept, lost)
	} else {
		c.trace("%d: crashed", m.id)
	}
}

// Crash stops member id, losing its unsynced writes.
func (c *Cluster) Crash(id zab.ServerID) { c.crash(c.byID[id], 0, false) }

// Restart boots a crashed member from its disk.
func (c *Cluster) Restart(id zab.ServerID) error {
	m := c.byID[id]
	if m.up {
		return nil
	}
	c.trace("%d: restarted", id)
	m.next = c.now + m.period
	return c.start(m)
}

// Stall makes member id's disk stop syncing: its next Ready is written
// (and, like a pipelined driver, its messages sent) but neither synced nor
// advanced until Resume.
func (c *Cluster) Stall(id zab.ServerID) {
	m := c.byID[id]
	m.stalled = true
	c.stallReady(m)
}

// StallOn stalls member id's disk when it receives a message of type t.
func (c *Cluster) StallOn(id zab.ServerID, t zab.MessageType) { c.stallOn[id] = t }

func (c *Cluster) stallReady(m *member) {
	if m.up && m.held == nil && m.zn.HasReady() {
		rd := m.zn.Ready()
		if err := m.disk.Write(rd); err != nil {
			c.fail(err)
		}
		c.sendAll(rd.Messages)
		m.held = &rd
	}
}

// Resume lets a stalled disk sync again.
func (c *Cluster) Resume(id zab.ServerID) {
	m := c.byID[id]
	m.stalled = false
	if m.up && m.held != nil {
		rd := *m.held
		m.held = nil
		if err := m.disk.Sync(); err != nil {
			c.fail(err)
		}
		c.finish(m, rd)
	}
	c.drain(m)
}

func acks(ms []zab.Message) bool {
	for _, m := range ms {
		if m.Type == zab.MsgAck || m.Type == zab.MsgAckNewLeader || m.Type == zab.MsgAckEpoch {
			return true
		}
	}
	return false
}

// Compact snapshots member id's state machine into its storage, dropping
// the log the snapshot covers (what a driver does to bound its log).
func (c *Cluster) Compact(id zab.ServerID) error {
	m := c.byID[id]
	snap, err := m.kv.Snapshot()
	if err != nil {
		return err
	}
	if err := m.disk.durable.ApplySnapshot(snap, false); err != nil {
		return err
	}
	return m.disk.live.ApplySnapshot(snap, false)
}
