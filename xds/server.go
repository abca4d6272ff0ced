package xds

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"github.com/envoyproxy/go-control-plane/pkg/server/sotw/v3"
	serverv3 "github.com/envoyproxy/go-control-plane/pkg/server/v3"
	"github.com/rs/zerolog"
	"google.golang.org/grpc"

	"github.com/zkmesh/zkmesh/loadbalance"
)

// Server is zkmesh's ADS server. Create it with New, hand it a listener with
// Serve, feed it Views with Update, and run Run in a goroutine of the
// daemon's to publish them.
type Server struct {
	cfg   Config
	log   zerolog.Logger
	store *store
	grpc  *grpc.Server
	ctx   context.Context
	stop  context.CancelFunc

	mu         sync.Mutex
	pending    loadbalance.View // guarded by mu
	hasPending bool             // guarded by mu
	// kick has room for one signal: "a View is pending".
	kick chan struct{}

	applyMu sync.Mutex
	// published names every service ever published, true while it has
	// been missing from the Views since (published with no endpoints).
	// Invariant: every name in published has its four resources in store.
	published map[string]bool  // guarded by applyMu
	current   loadbalance.View // guarded by applyMu
	// warmingSet names the services with endpoints warming up at the last
	// publication.
	warmingSet map[string]struct{} // guarded by applyMu

	stats   counters
	nodesMu sync.Mutex
	nodes   map[int64]bool // streams that have sent a node id
}

type counters struct {
	streams, responses, resources, bytes, nacks, publishes atomic.Int64
}

// Stats are the server's counters, for mntr and tests.
type Stats struct {
	// Streams is the number of open ADS streams.
	Streams int64
	// Responses, Resources and Bytes count what was sent on all streams
	// (Bytes is the protobuf size of the responses).
	Responses, Resources, Bytes int64
	// Nacks counts requests carrying error_detail.
	Nacks int64
	// Publishes counts Views published.
	Publishes int64
	// Clusters is the number of clusters published.
	Clusters int
}

// The type URLs served, in the order resources are published.
var publishOrder = []string{resourcev3.ClusterType, resourcev3.EndpointType, resourcev3.ListenerType, resourcev3.RouteType}

// New returns a Server with nothing published. It starts no goroutines.
func New(cfg Config, log zerolog.Logger) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		cfg:        cfg,
		log:        log.With().Str("component", "xds").Logger(),
		store:      newStore(publishOrder...),
		ctx:        ctx,
		stop:       cancel,
		kick:       make(chan struct{}, 1),
		published:  make(map[string]bool),
		warmingSet: make(map[string]struct{}),
		nodes:      make(map[int64]bool),
	}
	xs := serverv3.NewServer(ctx, s.store, s.callbacks(), sotw.WithOrderedADS())
	s.grpc = grpc.NewServer()
	discovery.RegisterAggregatedDiscoveryServiceServer(s.grpc, xs)
	return s, nil
}

// Serve serves ADS (state of the world and delta) on lis until Stop. It may
// be called for several listeners. It returns ErrStopped after Stop.
func (s *Server) Serve(lis net.Listener) error {
	err := s.grpc.Serve(lis)
	if errors.Is(err, grpc.ErrServerStopped) || s.ctx.Err() != nil {
		return ErrStopped
	}
	return err
}

// Stop closes every stream and listener. Run returns soon after.
func (s *Server) Stop() {
	s.stop()
	s.grpc.Stop()
}

// Update records view as the newest View to publish. It never blocks on
// the network and may be called from any goroutine; only Run (after
// CoalesceDelay) or Flush publishes it, and only the newest recorded View is
// published, so a burst of Updates costs one publication.
//
// The last call wins, whatever the Views' zxids: a Registry rebuilt from a
// snapshot may legitimately produce a View with a lower Zxid than the one
// before (its newest node can be older than the last delete). Callers that
// produce Views on several goroutines must order their calls themselves.
func (s *Server) Update(view loadbalance.View) {
	s.mu.Lock()
	s.pending, s.hasPending = view, true
	s.mu.Unlock()
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Flush publishes the pending View, if any, now, computing warmup weights
// at now. It is safe from any goroutine; the daemon normally lets Run call
// it.
func (s *Server) Flush(now time.Time) error {
	// applyMu first: two concurrent Flushes must publish in the order they
	// took their Views.
	s.applyMu.Lock()
	defer s.applyMu.Unlock()
	s.mu.Lock()
	view, ok := s.pending, s.hasPending
	s.pending, s.hasPending = loadbalance.View{}, false
	s.mu.Unlock()
	if !ok {
		return nil
	}
	return s.apply(view, now, false)
}

// Refresh republishes the services whose endpoints were warming up at the
// last publication, with weights at now. Run calls it every WarmupRefresh
// while any endpoint warms up.
func (s *Server) Refresh(now time.Time) error {
	s.applyMu.Lock()
	defer s.applyMu.Unlock()
	if len(s.warmingSet) == 0 {
		return nil
	}
	return s.apply(s.current, now, true)
}

// Run is the publication loop: after an Update it waits CoalesceDelay, then
// publishes the newest View; while endpoints warm up it refreshes them every
// WarmupRefresh. It is the only place this package reads the clock. It
// returns nil when ctx is done or the Server is stopped.
func (s *Server) Run(ctx context.Context) error {
	var (
		debounce *time.Timer
		fire     <-chan time.Time
		warm     *time.Timer
		warmC    <-chan time.Time
	)
	defer func() {
		if debounce != nil {
			debounce.Stop()
		}
		if warm != nil {
			warm.Stop()
		}
	}()
	afterPublish := func(err error) {
		if err != nil {
			s.log.Error().Err(err).Msg("publish failed")
		}
		if warmC == nil && s.isWarming() {
			if warm == nil {
				warm = time.NewTimer(s.cfg.WarmupRefresh)
			} else {
				warm.Reset(s.cfg.WarmupRefresh)
			}
			warmC = warm.C
		}
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-s.ctx.Done():
			return nil
		case <-s.kick:
			if s.cfg.CoalesceDelay == 0 {
				afterPublish(s.Flush(time.Now()))
				continue
			}
			if fire == nil {
				if debounce == nil {
					debounce = time.NewTimer(s.cfg.CoalesceDelay)
				} else {
					debounce.Reset(s.cfg.CoalesceDelay)
				}
				fire = debounce.C
			}
		case <-fire:
			fire = nil
			afterPublish(s.Flush(time.Now()))
		case <-warmC:
			warmC = nil
			afterPublish(s.Refresh(time.Now()))
		}
	}
}

func (s *Server) isWarming() bool {
	s.applyMu.Lock()
	defer s.applyMu.Unlock()
	return len(s.warmingSet) > 0
}

// apply publishes view: the services that differ from the last published
// View (found with View.Diff, so the cost follows the change, not the number
// of services), plus, when refresh is set, the services still warming up.
// Must be called with applyMu held.
func (s *Server) apply(view loadbalance.View, now time.Time, refresh bool) error {
	var batch [4][]versioned // in publishOrder
	add := func(svc *loadbalance.Service, version string) error {
		lis, err := buildListener(svc.Name)
		if err != nil {
			return err
		}
		batch[0] = append(batch[0], versioned{svc.Name, version, buildCluster(svc, s.cfg.ConnectTimeout)})
		batch[1] = append(batch[1], versioned{svc.Name, version, buildAssignment(svc, s.cfg.LocalZone, now)})
		batch[2] = append(batch[2], versioned{svc.Name, version, lis})
		batch[3] = append(batch[3], versioned{svc.Name, version, buildRoute(svc.Name)})
		return nil
	}
	targets := make(map[string]struct{})
	view.Diff(s.current, func(name string, _ *loadbalance.Service) { targets[name] = struct{}{} })
	if refresh {
		for name := range s.warmingSet {
			targets[name] = struct{}{}
		}
	}
	for name := range targets {
		svc := view.Service(name)
		if svc == nil {
			// A service missing from the View keeps its cluster, with no
			// endpoints.
			if gone, ok := s.published[name]; !ok || gone {
				continue
			}
			svc = &loadbalance.Service{Name: name, Version: view.Zxid()}
			if err := add(svc, resourceVersion(view.Zxid(), false, now)); err != nil {
				return err
			}
			s.published[name] = true
			delete(s.warmingSet, name)
			continue
		}
		warming := isWarming(svc, now)
		if err := add(svc, resourceVersion(svc.Version, warming, now)); err != nil {
			return err
		}
		s.published[name] = false
		if warming {
			s.warmingSet[name] = struct{}{}
		} else {
			delete(s.warmingSet, name)
		}
	}
	s.current = view
	changed := 0
	for i, typeURL := range publishOrder {
		if len(batch[i]) == 0 {
			continue
		}
		names, err := s.store.set(typeURL, batch[i])
		if err != nil {
			return err
		}
		changed += len(names)
	}
	s.stats.publishes.Add(1)
	s.log.Debug().Int("services", len(batch[0])).Int("resources_changed", changed).
		Str("zxid", fmt.Sprintf("0x%x", view.Zxid())).Msg("published")
	return nil
}

func isWarming(svc *loadbalance.Service, now time.Time) bool {
	for i := range svc.Endpoints {
		if until, ok := svc.Endpoints[i].WarmingUntil(); ok && now.Before(until) {
			return true
		}
	}
	return false
}

// Stats returns the server's counters.
func (s *Server) Stats() Stats {
	return Stats{
		Streams:   s.stats.streams.Load(),
		Responses: s.stats.responses.Load(),
		Resources: s.stats.resources.Load(),
		Bytes:     s.stats.bytes.Load(),
		Nacks:     s.stats.nacks.Load(),
		Publishes: s.stats.publishes.Load(),
		Clusters:  s.store.resourceCount(resourcev3.ClusterType),
	}
}
