package sidecar

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zkmesh/zkmesh/jute"
	"github.com/zkmesh/zkmesh/storage"
	"github.com/zkmesh/zkmesh/zab"
	"github.com/zkmesh/zkmesh/znode"
)

// Timing of the replication protocol. zab counts in ticks; a tick here is
// much shorter than zoo.cfg's tickTime so that a dead leader is noticed,
// and a new one elected, in a fraction of a second.
const (
	zabTick = 25 * time.Millisecond
	// peerTimeout is how long a member may go unheard before its link
	// counts as dead (zab's SyncLimitTicks), unless zoo.cfg's
	// syncLimit*tickTime is shorter.
	peerTimeout = 250 * time.Millisecond
)

// errNotServing fails writes while this member has no established leader.
var errNotServing = errors.New("sidecar: this member is not serving (no leader)")

// ensemble drives a zab.Node for a member of a replicated ensemble: it owns
// the Node, which only its run goroutine touches, persists what Ready asks,
// sends peer messages, applies committed txns to the tree and completes the
// writes that waited for them.
type ensemble struct {
	s    *Server
	node *zab.Node
	tr   *peerTransport
	disk *storage.Store

	writes chan *write
	syncs  chan func(error)
	// admits carries observers to admit (admitObserver).
	admits chan ServerSpec

	role       atomic.Int32 // zab.Role
	serving    atomic.Bool
	leader     atomic.Uint64
	lastStatus atomic.Pointer[ensembleStatus]
	voters     int

	touchedMu sync.Mutex
	touched   map[int64]struct{}

	// The fields below belong to the run goroutine.

	// byZxid holds the leader's own writes until their txn commits.
	byZxid map[int64]*write
	// byKey holds a learner's forwarded writes until their txn commits.
	byKey map[reqKey]*write
	// syncWait holds a learner's syncs until the leader answers.
	syncWait map[uint64]func(error)
	syncSeq  uint64
	// applied is the zxid of the last txn applied to the tree.
	applied int64
	// syncReady holds syncs the leader has answered, until this member has
	// applied the zxid the answer names (zab may hand out a peer's message
	// before the committed entries that precede it are durable here).
	syncReady []pendingSync
	// leaderSyncs holds, on the leader, syncs waiting for the commit point
	// to reach the zxid proposed when they arrived.
	leaderSyncs []leaderSync
	// members is the membership in effect here; reconfigPending, on the
	// leader, the one a prepared reconfig txn will bring (nil when none);
	// epochStart the leader's history when it was established, which must
	// be applied before a reconfig is prepared.
	members         membership
	reconfigPending *membership
	epochStart      int64
	// notServingSince is when this member stopped serving (zero while it
	// serves), for read-only mode.
	notServingSince time.Time

	// membersView is members for other goroutines.
	membersView atomic.Pointer[membership]
}

type reqKey struct {
	sid    int64
	cxid   int32
	create bool
}

type pendingSync struct {
	zxid int64
	done func(error)
}

type leaderSync struct {
	from zab.ServerID
	id   uint64
	zxid zab.Zxid
	done func(error) // set for the leader's own syncs
}

// cxidCreateSession is the cxid of the createSession a member forwards
// for a client's handshake.
const cxidCreateSession int32 = 0

func keyOf(sid int64, cxid int32, op jute.OpCode) reqKey {
	return reqKey{sid: sid, cxid: cxid, create: op == jute.OpCreateSession}
}

// treeMachine is the zab.StateMachine of the data tree.
type treeMachine struct{ tree *znode.Tree }

func (m treeMachine) Snapshot() (zab.Snapshot, error) {
	var buf bytes.Buffer
	var zxid int64
	err := m.tree.WriteSnapshot(func(last int64) (io.Writer, error) {
		zxid = last
		return &buf, nil
	})
	return zab.Snapshot{Zxid: zab.Zxid(zxid), Data: buf.Bytes()}, err
}

func newEnsemble(s *Server, disk *storage.Store, seed int64) (*ensemble, error) {
	cfg := s.cfg
	members := initialMembership(s)
	zc := zab.DefaultConfig()
	zc.ID = cfg.ServerID
	zc.Voters, zc.Observers = members.voters(), members.observers()
	zc.ConfigOf = configOfTxn
	self, ok := members.get(cfg.ServerID)
	if !ok {
		if members.version != 0 {
			return nil, fmt.Errorf("sidecar: myid %d was removed from the ensemble by reconfig version %x", cfg.ServerID, members.version)
		}
		return nil, fmt.Errorf("sidecar: myid %d has no server.%d line", cfg.ServerID, cfg.ServerID)
	}
	tick := zabTick
	syncLimit := time.Duration(cfg.SyncLimitTicks*cfg.TickTimeMs) * time.Millisecond
	if syncLimit <= 0 || syncLimit > peerTimeout {
		syncLimit = peerTimeout
	}
	zc.SyncLimitTicks = int(syncLimit / tick)
	zc.HeartbeatTicks = 1
	zc.ElectionTicks = 2
	zc.InitLimitTicks = max(int(time.Duration(cfg.InitLimitTicks*cfg.TickTimeMs)*time.Millisecond/tick), 40)
	zc.Seed = seed
	zc.Storage = disk
	zc.StateMachine = treeMachine{s.tree}
	zc.Applied = zab.Zxid(s.tree.LastZxid())
	node, err := zab.New(zc)
	if err != nil {
		return nil, fmt.Errorf("sidecar: starting zab: %w", err)
	}
	pc := defaultPeerConfig()
	pc.Self, pc.ListenAddr, pc.Peers, pc.Voters = cfg.ServerID, self.PeerAddr(), members.peers(), members.voters()
	tr, err := newPeerTransport(pc, s.log)
	if err != nil {
		return nil, err
	}
	e := &ensemble{
		s: s, node: node, tr: tr, disk: disk,
		writes:   make(chan *write, pipelineDepth),
		syncs:    make(chan func(error), 1024),
		admits:   make(chan ServerSpec, 16),
		touched:  make(map[int64]struct{}),
		byZxid:   make(map[int64]*write),
		byKey:    make(map[reqKey]*write),
		syncWait: make(map[uint64]func(error)),
		members:  members,
	}
	e.publishMembers()
	e.role.Store(int32(zab.RoleLooking))
	e.voters = len(zc.Voters)
	e.applied = s.tree.LastZxid()
	return e, nil
}

// submit queues a write from a client connection (any goroutine).
func (e *ensemble) submit(w *write) bool {
	if !e.serving.Load() {
		return false
	}
	select {
	case e.writes <- w:
		return true
	default:
		return false
	}
}

// sync asks for done to run once every write committed anywhere before now
// is applied here (any goroutine).
func (e *ensemble) sync(done func(error)) {
	if !e.serving.Load() {
		done(errNotServing)
		return
	}
	e.syncs <- done
}

// touch records that a session was active here, for the next report to the
// leader.
func (e *ensemble) touch(sid int64) {
	e.touchedMu.Lock()
	e.touched[sid] = struct{}{}
	e.touchedMu.Unlock()
}

// run drives the Node until ctx ends or the disk fails.
func (e *ensemble) run(ctx context.Context) error {
	trCtx, stopTr := context.WithCancel(ctx)
	trDone := make(chan error, 1)
	go func() { trDone <- e.tr.Run(trCtx) }()
	defer func() {
		stopTr()
		<-trDone
	}()
	ticker := time.NewTicker(zabTick)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			e.stopServing("shutting down")
			return nil
		case now := <-ticker.C:
			e.node.Tick()
			e.reportTouches()
			e.checkReadOnly(now)
		case m := <-e.tr.Recv():
			if err := e.node.Step(m); err != nil {
				e.s.log.Debug().Err(err).Msg("dropped peer message")
			}
		case w := <-e.writes:
			e.handleWrite(w)
		case done := <-e.syncs:
			e.handleSync(done)
		case spec := <-e.admits:
			e.handleAdmit(spec)
		}
		// Take in whatever else is already waiting before asking for a
		// Ready, so that a burst of writes or proposals is persisted with
		// one fsync (group commit).
		e.drain()
		for e.node.HasReady() {
			if err := e.handleReady(e.node.Ready()); err != nil {
				e.stopServing("storage failed")
				return err
			}
		}
		e.lastStatus.Store(&ensembleStatus{Status: e.node.Status(), voters: e.voters})
	}
}

// maxDrain bounds how many queued inputs one turn of run takes in.
const maxDrain = 1024

// drain steps the Node with the writes, peer messages and syncs already
// queued, without waiting for more.
func (e *ensemble) drain() {
	for i := 0; i < maxDrain; i++ {
		select {
		case m := <-e.tr.Recv():
			if err := e.node.Step(m); err != nil {
				e.s.log.Debug().Err(err).Msg("dropped peer message")
			}
		case w := <-e.writes:
			e.handleWrite(w)
		case done := <-e.syncs:
			e.handleSync(done)
		default:
			return
		}
	}
}

func (e *ensemble) handleWrite(w *write) {
	switch zab.Role(e.role.Load()) {
	case zab.RoleLeading:
		e.propose(w.req, w)
	case zab.RoleFollowing, zab.RoleObserving:
		m := &appMsg{Kind: appForward, Session: w.req.SessionID, Cxid: w.req.Cxid, Op: int32(w.req.Type), Auth: w.req.Auth}
		if w.req.Body != nil {
			m.Body = jute.Marshal(w.req.Body)
		}
		if err := e.node.SendToLeader(encodeAppMsg(m)); err != nil {
			w.done(znode.Result{}, 0, errNotServing)
			return
		}
		e.byKey[keyOf(w.req.SessionID, w.req.Cxid, w.req.Type)] = w
	default:
		w.done(znode.Result{}, 0, errNotServing)
	}
}

// nextZxid is the zxid the leader's next Propose will assign.
func (e *ensemble) nextZxid() zab.Zxid {
	st := e.node.Status()
	if st.LastZxid.Epoch() != st.CurrentEpoch {
		return zab.MakeZxid(st.CurrentEpoch, 1)
	}
	return st.LastZxid + 1
}

// propose prepares req and proposes its txn; w, if not nil, completes when
// it commits. Leader only.
func (e *ensemble) propose(req znode.Request, w *write) {
	next := e.nextZxid()
	hdr, body := e.s.prep.Prepare(int64(next), time.Now().UnixMilli(), &req)
	z, err := e.node.Propose(jute.EncodeTxn(&hdr, body))
	if err != nil {
		e.s.prep.Applied(int64(next)) // forget the changes just prepared
		if hdr.Type == jute.OpReconfig {
			e.reconfigPending = nil
		}
		if w != nil {
			w.done(znode.Result{}, 0, errNotServing)
		}
		return
	}
	if z != next {
		panic(fmt.Sprintf("sidecar: zab assigned zxid %s, prepared for %s", z, next))
	}
	if w != nil {
		e.byZxid[int64(z)] = w
	}
}

func (e *ensemble) handleSync(done func(error)) {
	switch zab.Role(e.role.Load()) {
	case zab.RoleLeading:
		e.leaderSyncs = append(e.leaderSyncs, leaderSync{from: e.node.ID(), zxid: e.node.Status().LastZxid, done: done})
		e.releaseSyncs()
	case zab.RoleFollowing, zab.RoleObserving:
		e.syncSeq++
		if err := e.node.SendToLeader(encodeAppMsg(&appMsg{Kind: appSync, SyncID: e.syncSeq})); err != nil {
			done(errNotServing)
			return
		}
		e.syncWait[e.syncSeq] = done
	default:
		done(errNotServing)
	}
}

// releaseSyncs answers the leader's waiting syncs whose zxid this member
// has applied: its own clients' at once, learners' with appSyncDone.
func (e *ensemble) releaseSyncs() {
	keep := e.leaderSyncs[:0]
	for _, ls := range e.leaderSyncs {
		switch {
		case int64(ls.zxid) > e.applied:
			keep = append(keep, ls)
		case ls.done != nil:
			ls.done(nil)
		default:
			e.node.Send(ls.from, encodeAppMsg(&appMsg{Kind: appSyncDone, SyncID: ls.id, Zxid: int64(ls.zxid)}))
		}
	}
	e.leaderSyncs = keep
}

// releaseLearnerSyncs completes the answered syncs whose zxid is applied.
func (e *ensemble) releaseLearnerSyncs() {
	keep := e.syncReady[:0]
	for _, ps := range e.syncReady {
		if ps.zxid > e.applied {
			keep = append(keep, ps)
			continue
		}
		ps.done(nil)
	}
	e.syncReady = keep
}

func (e *ensemble) reportTouches() {
	role := zab.Role(e.role.Load())
	if role != zab.RoleFollowing && role != zab.RoleObserving {
		return
	}
	e.touchedMu.Lock()
	if len(e.touched) == 0 {
		e.touchedMu.Unlock()
		return
	}
	ids := make([]int64, 0, len(e.touched))
	for id := range e.touched {
		ids = append(ids, id)
	}
	clear(e.touched)
	e.touchedMu.Unlock()
	e.node.SendToLeader(encodeAppMsg(&appMsg{Kind: appTouch, Sessions: ids}))
}

// handleReady carries out one Ready in the order zab.Ready documents.
func (e *ensemble) handleReady(rd zab.Ready) error {
	if rd.Snapshot != nil {
		if err := e.disk.ApplySnapshot(*rd.Snapshot, true); err != nil {
			return fmt.Errorf("sidecar: installing snapshot from leader: %w", err)
		}
	}
	if rd.Truncate != nil {
		if err := e.disk.Truncate(*rd.Truncate); err != nil {
			return fmt.Errorf("sidecar: truncating log to %s: %w", *rd.Truncate, err)
		}
	}
	if len(rd.Entries) > 0 {
		if err := e.disk.Append(rd.Entries); err != nil {
			return fmt.Errorf("sidecar: appending to log: %w", err)
		}
	}
	if rd.HardState != nil {
		if err := e.disk.SetHardState(*rd.HardState); err != nil {
			return fmt.Errorf("sidecar: writing epochs: %w", err)
		}
	}
	if rd.MustSync() {
		if err := e.disk.Sync(); err != nil {
			return fmt.Errorf("sidecar: fsync of log: %w", err)
		}
	}
	for _, m := range rd.Messages {
		e.tr.Send(m)
	}
	if rd.Snapshot != nil {
		t, err := znode.ReadSnapshot(bytes.NewReader(rd.Snapshot.Data))
		if err != nil {
			return fmt.Errorf("sidecar: snapshot from leader: %w", err)
		}
		e.s.applyMu.Lock()
		e.s.tree.ReplaceWith(t)
		e.s.applyMu.Unlock()
		e.applied = int64(rd.Snapshot.Zxid)
		e.adoptTreeMembership()
		e.s.resetSessions()
		if e.s.feed != nil {
			e.s.feed.resync()
		}
	}
	for _, ent := range rd.CommittedEntries {
		hdr, body, err := jute.DecodeTxn(ent.Data)
		if err != nil {
			return fmt.Errorf("sidecar: committed txn %s does not decode: %w", ent.Zxid, err)
		}
		res := e.s.applyTxn(&hdr, body)
		e.applied = max(e.applied, int64(ent.Zxid))
		if hdr.Type == jute.OpReconfig && res.Err == jute.CodeOK {
			e.onReconfigApplied(res.Data)
		}
		if w, ok := e.byZxid[hdr.Zxid]; ok {
			delete(e.byZxid, hdr.Zxid)
			w.done(res, hdr.Zxid, nil)
		} else if w, ok := e.byKey[keyOf(hdr.ClientID, hdr.Cxid, hdr.Type)]; ok {
			delete(e.byKey, keyOf(hdr.ClientID, hdr.Cxid, hdr.Type))
			w.done(res, hdr.Zxid, nil)
		}
	}
	if len(rd.CommittedEntries) > 0 {
		e.s.snaps.logged(len(rd.CommittedEntries))
		if zab.Role(e.role.Load()) == zab.RoleLeading {
			e.releaseSyncs()
		}
		e.releaseLearnerSyncs()
	}
	for _, am := range rd.AppMessages {
		e.handleApp(am)
	}
	for _, ev := range rd.Events {
		e.handleEvent(ev)
	}
	e.node.Advance(rd)
	return nil
}

func (e *ensemble) handleApp(am zab.AppMessage) {
	m, err := decodeAppMsg(am.Data)
	if err != nil {
		e.s.log.Warn().Err(err).Uint64("from", uint64(am.From)).Msg("dropped malformed message from peer")
		return
	}
	switch m.Kind {
	case appForward:
		if zab.Role(e.role.Load()) != zab.RoleLeading {
			return
		}
		op, body, err := m.forwardedRequest()
		if err != nil {
			e.s.log.Warn().Err(err).Uint64("from", uint64(am.From)).Msg("dropped malformed forwarded request")
			return
		}
		if op == jute.OpCloseSession && !e.s.sessions.markClosing(m.Session) {
			return
		}
		e.propose(znode.Request{SessionID: m.Session, Cxid: m.Cxid, Type: op, Body: body, Auth: m.Auth}, nil)
	case appTouch:
		now := time.Now()
		for _, sid := range m.Sessions {
			e.s.sessions.touch(sid, now)
		}
	case appSync:
		if zab.Role(e.role.Load()) != zab.RoleLeading {
			return
		}
		e.leaderSyncs = append(e.leaderSyncs, leaderSync{from: am.From, id: m.SyncID, zxid: e.node.Status().LastZxid})
		e.releaseSyncs()
	case appSyncDone:
		if done, ok := e.syncWait[m.SyncID]; ok {
			delete(e.syncWait, m.SyncID)
			e.syncReady = append(e.syncReady, pendingSync{zxid: m.Zxid, done: done})
			e.releaseLearnerSyncs()
		}
	}
}

func (e *ensemble) handleEvent(ev zab.Event) {
	switch ev.Type {
	case zab.EventRoleChanged:
		prev := zab.Role(e.role.Swap(int32(ev.Role)))
		prevLeader := e.leader.Swap(uint64(ev.Leader))
		e.s.log.Info().Str("role", ev.Role.String()).Uint64("leader", uint64(ev.Leader)).Uint32("epoch", ev.Epoch).Msg("role changed")
		if prev != ev.Role || prevLeader != uint64(ev.Leader) || ev.Role == zab.RoleLooking {
			e.stopServing("role changed to " + ev.Role.String())
		}
	case zab.EventLeaderEstablished:
		e.leaveReadOnly()
		e.reconfigPending = nil
		e.epochStart = int64(e.node.Status().LastZxid)
		e.s.prep.Reset()
		e.s.resetSessions()
		e.serving.Store(true)
		e.s.log.Info().Uint32("epoch", ev.Epoch).Msg("leading: established, serving clients")
	case zab.EventSynced:
		e.leaveReadOnly()
		e.serving.Store(true)
		e.s.log.Info().Uint64("leader", uint64(ev.Leader)).Msg("synced with leader, serving clients")
	}
}

// stopServing closes every client connection and fails every write and
// sync in flight: a member without a leader must not answer, and its
// clients reconnect to another member.
func (e *ensemble) stopServing(why string) {
	if e.serving.Swap(false) {
		e.s.log.Info().Str("why", why).Msg("not serving clients")
	}
	for z, w := range e.byZxid {
		delete(e.byZxid, z)
		w.done(znode.Result{}, 0, errNotServing)
	}
	for k, w := range e.byKey {
		delete(e.byKey, k)
		w.done(znode.Result{}, 0, errNotServing)
	}
	for id, done := range e.syncWait {
		delete(e.syncWait, id)
		done(errNotServing)
	}
	for _, ls := range e.leaderSyncs {
		if ls.done != nil {
			ls.done(errNotServing)
		}
	}
	e.leaderSyncs = nil
	for _, ps := range e.syncReady {
		ps.done(errNotServing)
	}
	e.syncReady = nil
	e.s.closeAllConns(why)
}

// ensembleStatus is zab's Status as the four-letter words read it.
type ensembleStatus struct {
	zab.Status
	voters int
}

// status returns the Node's last published status (any goroutine).
func (e *ensemble) status() ensembleStatus {
	if p := e.lastStatus.Load(); p != nil {
		return *p
	}
	return ensembleStatus{Status: zab.Status{Role: zab.RoleLooking}}
}
