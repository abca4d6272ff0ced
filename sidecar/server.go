package sidecar

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/zkmesh/zkmesh/discovery"
	"github.com/zkmesh/zkmesh/jute"
	"github.com/zkmesh/zkmesh/storage"
	"github.com/zkmesh/zkmesh/zab"
	"github.com/zkmesh/zkmesh/znode"
)

// Server is one zkmesh member serving the ZooKeeper client protocol.
type Server struct {
	cfg *Config
	log zerolog.Logger

	tree     *znode.Tree
	prep     *znode.Prep
	store    TxnLog
	disk     *storage.Store
	snaps    *snapshotter
	sessions *sessionTracker
	pipe     *pipeline
	// ens is nil on a standalone server.
	ens     *ensemble
	started time.Time

	// applyMu orders the application of txns (write lock) against reads that
	// answer clients (read lock), so that a watch event caused by a txn is
	// queued to every connection before, or after, the whole of any reply.
	applyMu sync.RWMutex

	mu    sync.Mutex
	conns map[*conn]struct{}
	// owners maps a session to the connection that holds it.
	owners map[int64]*conn
	perIP  map[string]int

	feed   *registryFeed
	xdsLis net.Listener
	// readOnly is set while this member, without a leader, serves
	// read-only clients (readonly.go).
	readOnly atomic.Bool
	// gossipMembers is gossip's member table once it runs, for goroutines
	// started before it (the registry feed).
	gossipMembers atomic.Pointer[discovery.Members]
	// gossip is nil when gossip does not run; adminLis is nil when the admin
	// HTTP server does not. Both are set by Run before Ready is closed.
	gossip   *gossipRunner
	adminLis net.Listener
	// outstanding holds one token per write in flight; a connection that
	// would exceed globalOutstandingLimit waits for a token before it reads
	// on, which pushes back on the client through TCP, as ZooKeeper's
	// throttling does.
	outstanding chan struct{}
	stats       serverStats
	storageErr  atomic.Pointer[error]
	listener    net.Listener
	ready       chan struct{}
}

// New builds a server from cfg: it opens the data directory and recovers the
// tree from it. It does not listen until Run.
func New(cfg *Config, log zerolog.Logger) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	dir := cfg.DataLogDirOrDefault()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("sidecar: dataDir %q: %w", dir, err)
	}
	// A standalone server acknowledged every logged txn, so it replays the
	// whole log. An ensemble member may have logged proposals that never
	// committed: it starts from its snapshot, and zab hands it the rest of
	// its log as it learns what is committed.
	disk, tree, err := recoverStore(filepath.Clean(dir), log, cfg.Standalone())
	if err != nil {
		return nil, err
	}
	if cfg.Joining() || cfg.Bootstrapping() {
		if cfg.Bootstrapping() {
			cfg, err = resolveBootstrap(cfg, tree, log)
		} else {
			cfg, err = resolveJoin(cfg, tree, log)
		}
		if err == nil {
			err = cfg.Validate()
		}
		if err != nil {
			disk.Close()
			return nil, err
		}
	}
	s := &Server{
		cfg:     cfg,
		log:     log,
		tree:    tree,
		store:   disk,
		disk:    disk,
		conns:   make(map[*conn]struct{}),
		owners:  make(map[int64]*conn),
		perIP:   make(map[string]int),
		started: time.Now(),
		ready:   make(chan struct{}),
	}
	s.outstanding = make(chan struct{}, max(cfg.GlobalOutstandingLimit, 1))
	s.prep = znode.NewPrep(s.tree, znode.PrepConfig{
		ExtendedTypesEnabled: cfg.ExtendedTypesEnabled(),
		SkipACL:              cfg.SkipACL(),
		ReconfigEnabled:      cfg.ReconfigEnabled,
		Standalone:           cfg.Standalone(),
		Reconfig: func(req *jute.ReconfigRequest, zxid int64, authorize func() error) ([]byte, error) {
			return s.ens.prepareReconfig(req, zxid, authorize) // Prep calls it only on an ensemble
		},
	})
	s.sessions = newSessionTracker(uint64(cfg.ServerID), time.Now())
	s.snaps = &snapshotter{s: s, st: disk, every: int64(max(cfg.SnapCountTxns, 1))}
	now := time.Now()
	for id, to := range s.tree.Sessions() {
		s.sessions.add(id, time.Duration(to)*time.Millisecond, now)
	}
	if cfg.Standalone() {
		s.pipe = newPipeline(s, s.tree.LastZxid())
		return s, nil
	}
	if s.ens, err = newEnsemble(s, disk, time.Now().UnixNano()); err != nil {
		disk.Close()
		return nil, err
	}
	return s, nil
}

// Addr returns the address the client port listens on, once Run has started
// listening (nil before).
func (s *Server) Addr() net.Addr {
	select {
	case <-s.ready:
		return s.listener.Addr()
	default:
		return nil
	}
}

// Ready is closed once the client port is listening.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// Run listens on the client port and serves until ctx is cancelled, then
// shuts down: it stops accepting, closes connections, finishes the writes in
// flight and closes the txn log.
func (s *Server) Run(ctx context.Context) error {
	lis, err := net.Listen("tcp", s.cfg.ClientAddr())
	if err != nil {
		return fmt.Errorf("sidecar: clientPort: %w", err)
	}
	s.listener = lis
	xdsCtx, stopXDS := context.WithCancel(context.Background())
	var xdsWG sync.WaitGroup
	if err := s.startXDS(xdsCtx, &xdsWG); err != nil {
		stopXDS()
		lis.Close()
		return err
	}
	defer func() {
		stopXDS()
		xdsWG.Wait()
	}()
	stopMembership, err := s.startMembership()
	if err != nil {
		lis.Close()
		return err
	}
	defer stopMembership()
	if s.gossip != nil {
		s.gossipMembers.Store(s.gossip.members)
	}
	close(s.ready)
	s.log.Info().Str("addr", lis.Addr().String()).Int64("zxid", s.tree.LastZxid()).Msg("serving ZooKeeper clients")

	var wg sync.WaitGroup
	ensCtx, stopEns := context.WithCancel(context.Background())
	defer stopEns()
	ensErr := make(chan error, 1)
	if s.ens == nil {
		wg.Add(2)
		go func() { defer wg.Done(); s.pipe.prepLoop() }()
		go func() { defer wg.Done(); s.pipe.logLoop() }()
	} else {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.ens.run(ensCtx)
			ensErr <- err
			if err != nil {
				s.log.Error().Err(err).Msg("replication stopped; shutting down")
				lis.Close()
			}
		}()
	}

	tickCtx, stopTicks := context.WithCancel(ctx)
	var tickWG sync.WaitGroup
	tickWG.Add(3)
	go func() { defer tickWG.Done(); s.expireLoop(tickCtx) }()
	go func() { defer tickWG.Done(); s.containerLoop(tickCtx) }()
	go func() { defer tickWG.Done(); s.purgeLoop(tickCtx) }()
	if s.gossip != nil && s.ens != nil {
		tickWG.Go(func() { s.admitLoop(tickCtx, s.gossip.every) })
	}

	go func() {
		<-ctx.Done()
		lis.Close()
	}()
	for {
		nc, err := lis.Accept()
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			s.log.Error().Err(err).Msg("accept failed")
			break
		}
		s.accept(nc)
	}
	stopTicks()
	tickWG.Wait()
	s.mu.Lock()
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.close("server shutting down")
	}
	var runErr error
	if s.ens == nil {
		close(s.pipe.in)
	} else {
		stopEns()
		runErr = <-ensErr
	}
	wg.Wait()
	s.snaps.wg.Wait()
	if err := s.disk.Close(); err != nil && runErr == nil {
		runErr = fmt.Errorf("sidecar: closing txn log: %w", err)
	}
	s.log.Info().Msg("stopped")
	return runErr
}

func (s *Server) accept(nc net.Conn) {
	ip := remoteIP(nc.RemoteAddr())
	s.mu.Lock()
	if max := s.cfg.MaxClientCnxnsPerIP; max > 0 && s.perIP[ip] >= max {
		s.mu.Unlock()
		s.log.Warn().Str("ip", ip).Int("max", max).Msg("too many connections from one address (maxClientCnxns); closing")
		nc.Close()
		return
	}
	s.perIP[ip]++
	c := newConn(s, nc, ip)
	s.conns[c] = struct{}{}
	s.mu.Unlock()
	go c.serve()
}

func (s *Server) forget(c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.conns[c]; !ok {
		return
	}
	delete(s.conns, c)
	s.perIP[c.ip]--
	if s.perIP[c.ip] <= 0 {
		delete(s.perIP, c.ip)
	}
	if sid := c.session(); sid != 0 && s.owners[sid] == c {
		delete(s.owners, sid)
	}
}

// own makes c the connection of session sid and returns the connection that
// held it before, if any.
func (s *Server) own(sid int64, c *conn) *conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.owners[sid]
	s.owners[sid] = c
	if old == c {
		return nil
	}
	return old
}

func (s *Server) ownerOf(sid int64) *conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.owners[sid]
}

func remoteIP(a net.Addr) string {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.IP.String()
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}

// submit queues a write. It reports false if the server is shutting down
// or refusing writes, in which case done is not called.
func (s *Server) submit(w *write) bool {
	if s.ens != nil {
		return s.ens.submit(w)
	}
	if s.storageErr.Load() != nil {
		return false
	}
	defer func() { _ = recover() }() // in closed: shutting down
	s.pipe.in <- w
	return true
}

// applyTxn applies one committed txn under applyMu and does what follows
// from it: session bookkeeping and freeing Prep's outstanding changes.
func (s *Server) applyTxn(hdr *jute.TxnHeader, body jute.Record) znode.Result {
	s.applyMu.Lock()
	res := s.tree.Apply(hdr, body)
	s.applyMu.Unlock()
	s.prep.Applied(hdr.Zxid)
	switch b := body.(type) {
	case *jute.CreateSessionTxn:
		s.sessions.add(hdr.ClientID, time.Duration(b.TimeOut)*time.Millisecond, time.Now())
	case *jute.CloseSessionTxn:
		s.sessions.remove(hdr.ClientID)
	}
	return res
}

func (s *Server) storageFailed(err error) {
	if s.storageErr.CompareAndSwap(nil, &err) {
		s.log.Error().Err(err).Msg("txn log failed: refusing writes, still serving reads")
	}
}

// StorageError returns the error that made the server refuse writes, or nil.
func (s *Server) StorageError() error {
	if p := s.storageErr.Load(); p != nil {
		return *p
	}
	return nil
}

func (s *Server) tickDuration() time.Duration {
	return time.Duration(s.cfg.TickTimeMs) * time.Millisecond
}

// expireLoop closes sessions whose deadline passed, checking every half
// tick.
func (s *Server) expireLoop(ctx context.Context) {
	t := time.NewTicker(s.tickDuration() / 2)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if !s.leads() {
				continue
			}
			for _, sid := range s.sessions.expired(now) {
				s.log.Info().Str("session", fmt.Sprintf("0x%x", sid)).Msg("session expired")
				s.closeSession(sid, nil)
			}
		}
	}
}

// closeSession submits the closeSession txn of sid; after it commits, the
// session's connection (if any) is closed. then, if not nil, runs first.
func (s *Server) closeSession(sid int64, then func(zxid int64, err error)) {
	w := &write{req: znode.Request{SessionID: sid, Type: jute.OpCloseSession}}
	w.done = func(_ znode.Result, zxid int64, err error) {
		if then != nil {
			then(zxid, err)
		}
		if c := s.ownerOf(sid); c != nil {
			c.closeAfterFlush("session closed")
		}
	}
	if !s.submit(w) {
		if then != nil {
			then(0, ErrStorageFailed)
		}
	}
}

// containerLoop deletes empty containers and expired TTL nodes, as
// ZooKeeper's ContainerManager does, every
// znode.container.checkIntervalMs (default 60 s).
func (s *Server) containerLoop(ctx context.Context) {
	interval := containerCheckInterval(s.cfg)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if !s.leads() {
				continue
			}
			for _, p := range s.tree.ExpiredNodes(now.UnixMilli()) {
				s.submit(&write{
					req:  znode.Request{Type: jute.OpDeleteContainer, Body: &jute.DeleteRequest{Path: p, Version: -1}},
					done: func(znode.Result, int64, error) {},
				})
			}
		}
	}
}

// containerCheckInterval is znode.container.checkIntervalMs, or ZooKeeper's
// default of one minute when unset or not a positive integer.
func containerCheckInterval(cfg *Config) time.Duration {
	if v, ok := cfg.SystemSetting("znode.container.checkIntervalMs"); ok {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			return time.Duration(n) * time.Millisecond
		}
	}
	return time.Minute
}

// leads reports whether this member decides session expiry and container
// deletion: a standalone server, or an ensemble's established leader.
func (s *Server) leads() bool {
	return s.ens == nil || (zab.Role(s.ens.role.Load()) == zab.RoleLeading && s.ens.serving.Load())
}

// serving reports whether client requests may be answered.
func (s *Server) serving() bool { return s.ens == nil || s.ens.serving.Load() }

// resetSessions restarts every live session's expiry clock from now, from
// the sessions the tree holds (after recovery, a SNAP, or a new leader).
func (s *Server) resetSessions() {
	now := time.Now()
	live := s.tree.Sessions()
	s.sessions.mu.Lock()
	for id := range s.sessions.timeouts {
		if _, ok := live[id]; !ok {
			delete(s.sessions.timeouts, id)
			delete(s.sessions.deadlines, id)
			delete(s.sessions.closing, id)
		}
	}
	s.sessions.mu.Unlock()
	for id, to := range live {
		s.sessions.add(id, time.Duration(to)*time.Millisecond, now)
	}
}

// closeAllConns closes every client connection.
func (s *Server) closeAllConns(why string) {
	s.mu.Lock()
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.close(why)
	}
}

// purgeLoop removes old snapshots and logs every
// autopurge.purgeInterval hours, keeping autopurge.snapRetainCount
// snapshots, as ZooKeeper's DatadirCleanupManager does. An interval of 0
// disables it.
func (s *Server) purgeLoop(ctx context.Context) {
	hours := s.cfg.AutopurgePurgeIntervalHours
	if hours <= 0 {
		return
	}
	t := time.NewTicker(time.Duration(hours) * time.Hour)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.disk.Purge(s.cfg.AutopurgeSnapRetainCount); err != nil {
				s.log.Error().Err(err).Msg("autopurge failed")
			} else {
				s.log.Info().Int("kept", s.cfg.AutopurgeSnapRetainCount).Msg("autopurge done")
			}
		}
	}
}
