package sidecar

import (
	"context"
	"net"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/zkmesh/zkmesh/jute"
	"github.com/zkmesh/zkmesh/loadbalance"
	"github.com/zkmesh/zkmesh/xds"
	"github.com/zkmesh/zkmesh/znode"
)

// registryFeed turns changes of the local replica into xDS: it is a watcher
// of the tree (persistent recursive watches on the subtrees loadbalance.Prefixes names), so a
// committed registration reaches it as the txn is applied, with no polling.
// Events only queue paths; its run goroutine reads the data, updates the
// Registry and hands the View to the xDS server, which coalesces bursts.
type registryFeed struct {
	tree *znode.Tree
	xds  *xds.Server
	log  zerolog.Logger

	mu      sync.Mutex
	queue   []znode.Event
	rescan  bool
	kick    chan struct{}
	reg     *loadbalance.Registry // run goroutine only
	stats   atomic.Pointer[loadbalance.Stats]
	view    atomic.Pointer[loadbalance.View] // the last View published
	reading []jute.Id
	// zoneOf returns the zone of the member that created a session, "" when
	// unknown; nil means no zone defaults.
	zoneOf func(session int64) string
}

func newRegistryFeed(tree *znode.Tree, x *xds.Server, log zerolog.Logger) *registryFeed {
	f := &registryFeed{
		tree:    tree,
		xds:     x,
		log:     log,
		kick:    make(chan struct{}, 1),
		reg:     loadbalance.NewRegistry(),
		rescan:  true,
		reading: []jute.Id{{Scheme: znode.SchemeSuper}},
	}
	f.stats.Store(&loadbalance.Stats{})
	return f
}

// Event implements znode.Watcher; it runs under the tree's lock and only
// queues.
func (f *registryFeed) Event(ev znode.Event) {
	f.mu.Lock()
	f.queue = append(f.queue, ev)
	f.mu.Unlock()
	f.wake()
}

// AuthIDs implements znode.Watcher: the feed reads every registration,
// whatever its ACL.
func (f *registryFeed) AuthIDs() []jute.Id { return f.reading }

// SessionID implements znode.Watcher: the feed belongs to no session.
func (f *registryFeed) SessionID() int64 { return 0 }

var _ znode.Watcher = (*registryFeed)(nil)

func (f *registryFeed) wake() {
	select {
	case f.kick <- struct{}{}:
	default:
	}
}

// resync asks for a full rescan (after the tree was replaced by a SNAP).
func (f *registryFeed) resync() {
	f.mu.Lock()
	f.rescan = true
	f.queue = nil
	f.mu.Unlock()
	f.wake()
}

// Stats returns the registry's counters (any goroutine).
func (f *registryFeed) Stats() loadbalance.Stats { return *f.stats.Load() }

// run registers the watches, loads what the tree holds and then follows
// its changes until ctx ends.
func (f *registryFeed) run(ctx context.Context) {
	for _, root := range loadbalance.Prefixes() {
		if err := f.tree.AddWatch(root, jute.AddWatchModePersistentRecursive, f); err != nil {
			f.log.Error().Err(err).Str("path", root).Msg("cannot watch registrations")
		}
	}
	defer f.tree.RemoveWatcher(f)
	for {
		f.mu.Lock()
		queue, rescan := f.queue, f.rescan
		f.queue, f.rescan = nil, false
		f.mu.Unlock()
		if rescan {
			f.reg = loadbalance.NewRegistry()
			for _, root := range loadbalance.Prefixes() {
				f.scan(root)
			}
		}
		for _, ev := range queue {
			f.apply(ev)
		}
		if rescan || len(queue) > 0 {
			for _, p := range f.reg.Malformed() {
				f.log.Warn().Str("path", p.Path).Err(p.Err).Msg("skipped malformed registration")
			}
			st := f.reg.Stats()
			f.stats.Store(&st)
			v := f.reg.View()
			f.view.Store(&v)
			f.xds.Update(v)
		}
		select {
		case <-ctx.Done():
			return
		case <-f.kick:
		}
	}
}

func (f *registryFeed) apply(ev znode.Event) {
	if !f.reg.Relevant(ev.Path) {
		return
	}
	switch ev.Type {
	case jute.EventNodeDeleted:
		f.reg.Remove(ev.Path, ev.Zxid)
	case jute.EventNodeCreated, jute.EventNodeDataChanged:
		data, st, err := f.tree.GetData(ev.Path, f.reading, nil)
		if err != nil {
			f.reg.Remove(ev.Path, ev.Zxid)
			return
		}
		f.reg.PutInZone(ev.Path, data, max(ev.Zxid, st.Mzxid), f.zone(st.EphemeralOwner))
	}
}

// zone is the default zone of a registration whose ephemeral owner is
// owner (0 for a persistent node).
func (f *registryFeed) zone(owner int64) string {
	if owner <= 0 || f.zoneOf == nil {
		return ""
	}
	return f.zoneOf(owner)
}

func (f *registryFeed) scan(path string) {
	if f.reg.Relevant(path) {
		if data, st, err := f.tree.GetData(path, f.reading, nil); err == nil {
			f.reg.PutInZone(path, data, st.Mzxid, f.zone(st.EphemeralOwner))
		}
	}
	kids, _, err := f.tree.GetChildren(path, f.reading, nil)
	if err != nil {
		return
	}
	sort.Strings(kids)
	for _, k := range kids {
		f.scan(path + "/" + k)
	}
}

// startXDS starts the xDS server and the registry feed when xds.address is
// set. A port already in use is fatal when xds.address was configured, and
// only a warning when it is the default (so that several members can share
// a test host).
func (s *Server) startXDS(ctx context.Context, wg *sync.WaitGroup) error {
	if s.cfg.XDSAddress == "" {
		return nil
	}
	xc := xds.DefaultConfig()
	xc.Address = s.cfg.XDSAddress
	xc.LocalZone = s.cfg.XDSLocalZone
	xc.CoalesceDelay = time.Duration(s.cfg.XDSCoalesceDelayMs) * time.Millisecond
	x, err := xds.New(xc, s.log)
	if err != nil {
		return err
	}
	lis, err := net.Listen("tcp", s.cfg.XDSAddress)
	if err != nil {
		if s.cfg.origin["xds.address"] != "" {
			return &ConfigError{Key: "xds.address", Value: s.cfg.XDSAddress, Origin: s.cfg.origin["xds.address"], Reason: err.Error(), Err: ErrInvalidConfig}
		}
		s.log.Warn().Err(err).Str("addr", s.cfg.XDSAddress).Msg("xDS not served: default address unavailable (set xds.address)")
		return nil
	}
	s.xdsLis = lis
	s.feed = newRegistryFeed(s.tree, x, s.log.With().Str("component", "registry").Logger())
	s.feed.zoneOf = s.sessionZone
	wg.Add(3)
	go func() {
		defer wg.Done()
		if err := x.Serve(lis); err != nil && err != xds.ErrStopped {
			s.log.Error().Err(err).Msg("xDS server failed")
		}
	}()
	go func() { defer wg.Done(); x.Run(ctx) }()
	go func() { defer wg.Done(); s.feed.run(ctx); x.Stop() }()
	s.log.Info().Str("addr", lis.Addr().String()).Msg("serving xDS (ADS)")
	return nil
}

// sessionZone returns the zone of the member that created session: ZooKeeper
// session ids carry the low byte of their server's id in their top byte.
// This member's zone comes from its configuration, the others' from
// gossip; "" when no member with that id is known.
func (s *Server) sessionZone(session int64) string {
	sid := uint64(session) >> 56
	if sid == uint64(s.cfg.ServerID)&0xff {
		return s.cfg.Zone
	}
	if g := s.gossipMembers.Load(); g != nil {
		for _, m := range g.Members() {
			if m.Meta.ServerID&0xff == sid && m.Meta.ServerID != 0 {
				return m.Meta.Zone
			}
		}
	}
	return ""
}

// XDSAddr returns the address the xDS server listens on, or nil.
func (s *Server) XDSAddr() net.Addr {
	if s.xdsLis == nil {
		return nil
	}
	return s.xdsLis.Addr()
}
