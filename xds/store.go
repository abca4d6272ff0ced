package xds

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sort"
	"sync"

	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	cache "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

// store is the resource cache behind the ADS server. It implements
// go-control-plane's cache.Cache with one collection per type URL, like
// go-control-plane's LinearCache, but every resource carries the version its
// caller gives it (derived from the zxid of the service's last change)
// instead of a counter private to this process. So versions are unique and
// ordered across restarts, and a delta client reconnecting with its
// initial_resource_versions is not sent what it already has.
//
// Responses:
//   - state of the world, CDS and LDS: every subscribed resource, as the
//     protocol requires for those types; EDS and RDS: only the resources whose
//     version differs from what the stream last received.
//   - delta: only changed resources, and removals.
//
// A watch is answered at most once, on the channel the server gave it, while
// store.mu is held; go-control-plane's ADS servers give one buffered channel
// per stream with room for every type, so the send never blocks. Because
// set is called type by type in the order clusters, endpoints, listeners,
// routes, and each stream has a single channel, responses leave in that
// order.
type store struct {
	mu    sync.Mutex
	types map[string]*collection
	// nextID numbers watches.
	nextID uint64
}

var _ cache.Cache = (*store)(nil)

type collection struct {
	typeURL   string
	fullState bool
	// version is the highest resource version set so far: the state of the
	// world version_info.
	version string
	entries map[string]*entry
	watches map[uint64]*watch
}

// entry is one resource, marshaled once when set.
// Invariant: version is non-empty and bytes is the marshaled resource.
type entry struct {
	version string
	bytes   []byte
}

type watch struct {
	sub      cache.Subscription
	sotwReq  *discovery.DiscoveryRequest
	sotwCh   chan cache.Response
	deltaReq *discovery.DeltaDiscoveryRequest
	deltaCh  chan cache.DeltaResponse
}

func (w *watch) isDelta() bool { return w.deltaReq != nil }

func newStore(typeURLs ...string) *store {
	s := &store{types: make(map[string]*collection, len(typeURLs))}
	for _, t := range typeURLs {
		s.types[t] = &collection{
			typeURL:   t,
			fullState: cache.ResourceRequiresFullStateInSotw(t),
			entries:   make(map[string]*entry),
			watches:   make(map[uint64]*watch),
		}
	}
	return s
}

// versioned is a resource and the version to publish it with.
type versioned struct {
	name    string
	version string
	res     proto.Message
}

// set publishes resources of one type. A resource whose marshaled bytes are
// unchanged keeps its old version and is not re-sent. It returns the names
// whose content changed.
func (s *store) set(typeURL string, rs []versioned) ([]string, error) {
	marshaled := make([][]byte, len(rs))
	for i, r := range rs {
		b, err := proto.MarshalOptions{Deterministic: true}.Marshal(r.res)
		if err != nil {
			return nil, fmt.Errorf("xds: marshal %s %s: %w", typeURL, r.name, err)
		}
		marshaled[i] = b
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.types[typeURL]
	if c == nil {
		return nil, fmt.Errorf("xds: unknown type %s", typeURL)
	}
	var modified []string
	for i, r := range rs {
		if old := c.entries[r.name]; old != nil && string(old.bytes) == string(marshaled[i]) {
			continue
		}
		c.entries[r.name] = &entry{version: r.version, bytes: marshaled[i]}
		if r.version > c.version {
			c.version = r.version
		}
		modified = append(modified, r.name)
	}
	if len(modified) > 0 {
		c.notify(modified)
	}
	return modified, nil
}

// notify answers the watches that a change of modified may concern.
// Must be called with store.mu held.
func (c *collection) notify(modified []string) {
	for id, w := range c.watches {
		if !w.sub.IsWildcard() && !subscribedToAny(w.sub, modified) {
			continue
		}
		if c.respond(w, false, modified) {
			delete(c.watches, id)
		}
	}
}

func subscribedToAny(sub cache.Subscription, names []string) bool {
	subscribed := sub.SubscribedResources()
	for _, n := range names {
		if _, ok := subscribed[n]; ok {
			return true
		}
	}
	return false
}

// diff returns the resources the subscription lacks or holds at an old
// version, and those it holds that no longer exist or are no longer
// subscribed. When only is non-nil, just those names are examined: the
// caller knows nothing else changed since the watch was made.
func (c *collection) diff(sub cache.Subscription, only []string) (changed, removed []string) {
	known := sub.ReturnedResources()
	if only != nil {
		subscribed := sub.SubscribedResources()
		for _, name := range only {
			if _, ok := subscribed[name]; !ok && !sub.IsWildcard() {
				continue
			}
			e, exists := c.entries[name]
			v, isKnown := known[name]
			switch {
			case !exists:
				if isKnown {
					removed = append(removed, name)
				}
			case !isKnown || v != e.version:
				changed = append(changed, name)
			}
		}
	} else if sub.IsWildcard() {
		for name, e := range c.entries {
			if v, ok := known[name]; !ok || v != e.version {
				changed = append(changed, name)
			}
		}
		for name := range known {
			if _, ok := c.entries[name]; !ok {
				removed = append(removed, name)
			}
		}
	} else {
		subscribed := sub.SubscribedResources()
		for name := range subscribed {
			e, exists := c.entries[name]
			v, isKnown := known[name]
			switch {
			case !exists:
				if isKnown {
					removed = append(removed, name)
				}
			case !isKnown || v != e.version:
				changed = append(changed, name)
			}
		}
		for name := range known {
			if _, ok := subscribed[name]; !ok {
				removed = append(removed, name)
			}
		}
	}
	sort.Strings(changed)
	sort.Strings(removed)
	return changed, removed
}

// respond sends w its response if there is one, and reports whether it did.
// only is passed to diff. Must be called with store.mu held.
func (c *collection) respond(w *watch, replyEvenIfEmpty bool, only []string) bool {
	changed, removed := c.diff(w.sub, only)
	if len(changed) == 0 && len(removed) == 0 && !replyEvenIfEmpty {
		return false
	}
	returned := maps.Clone(w.sub.ReturnedResources())
	if returned == nil {
		returned = make(map[string]string)
	}
	for _, name := range removed {
		delete(returned, name)
	}
	if w.isDelta() {
		resources := make([]*discovery.Resource, 0, len(changed))
		for _, name := range changed {
			e := c.entries[name]
			returned[name] = e.version
			resources = append(resources, &discovery.Resource{
				Name:     name,
				Version:  e.version,
				Resource: &anypb.Any{TypeUrl: c.typeURL, Value: e.bytes},
			})
		}
		w.deltaCh <- &cache.DeltaPassthroughResponse{
			DeltaRequest:   w.deltaReq,
			NextVersionMap: returned,
			DeltaDiscoveryResponse: &discovery.DeltaDiscoveryResponse{
				SystemVersionInfo: c.version,
				Resources:         resources,
				RemovedResources:  removed,
				TypeUrl:           c.typeURL,
			},
		}
		return true
	}
	names := changed
	switch {
	case !c.fullState:
		// EDS and RDS: only what changed; state of the world cannot say
		// "removed" for these types, so a removal alone sends nothing.
		if len(changed) == 0 && !replyEvenIfEmpty {
			return false
		}
	case w.sub.IsWildcard():
		names = make([]string, 0, len(c.entries))
		for name := range c.entries {
			names = append(names, name)
		}
		sort.Strings(names)
	default:
		names = names[:0:0]
		for name := range w.sub.SubscribedResources() {
			if _, ok := c.entries[name]; ok {
				names = append(names, name)
			}
		}
		sort.Strings(names)
	}
	resources := make([]*anypb.Any, 0, len(names))
	for _, name := range names {
		e := c.entries[name]
		returned[name] = e.version
		resources = append(resources, &anypb.Any{TypeUrl: c.typeURL, Value: e.bytes})
	}
	w.sotwCh <- &cache.PassthroughResponse{
		Request:           w.sotwReq,
		ReturnedResources: returned,
		DiscoveryResponse: &discovery.DiscoveryResponse{
			VersionInfo: c.version,
			Resources:   resources,
			TypeUrl:     c.typeURL,
		},
	}
	return true
}

// CreateWatch implements cache.ConfigWatcher for state of the world. A type
// this store does not serve gets a watch that never fires, so a client
// asking for, say, secrets does not lose its stream.
func (s *store) CreateWatch(req *cache.Request, sub cache.Subscription, ch chan cache.Response) (func(), error) {
	w := &watch{sub: sub, sotwReq: req, sotwCh: ch}
	// No version: the client has no state and must get an answer, even an
	// empty one, to finish initialising.
	return s.track(req.GetTypeUrl(), w, req.GetVersionInfo() == "")
}

// CreateDeltaWatch implements cache.ConfigWatcher for delta xDS.
func (s *store) CreateDeltaWatch(req *cache.DeltaRequest, sub cache.Subscription, ch chan cache.DeltaResponse) (func(), error) {
	w := &watch{sub: sub, deltaReq: req, deltaCh: ch}
	// A wildcard subscription's first request is answered even when empty.
	return s.track(req.GetTypeUrl(), w, sub.IsWildcard() && req.GetResponseNonce() == "")
}

func (s *store) track(typeURL string, w *watch, replyEvenIfEmpty bool) (func(), error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.types[typeURL]
	if c == nil {
		return func() {}, nil
	}
	if c.respond(w, replyEvenIfEmpty, nil) {
		return func() {}, nil
	}
	s.nextID++
	id := s.nextID
	c.watches[id] = w
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		delete(c.watches, id)
	}, nil
}

// errNoFetch is returned by Fetch: zkmesh serves streams only.
var errNoFetch = errors.New("xds: REST fetch is not served")

// Fetch implements cache.ConfigFetcher; it is not supported.
func (s *store) Fetch(context.Context, *cache.Request) (cache.Response, error) {
	return nil, errNoFetch
}

// resourceCount returns the number of resources of a type.
func (s *store) resourceCount(typeURL string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.types[typeURL]; c != nil {
		return len(c.entries)
	}
	return 0
}

// watching returns the number of open watches on a type.
func (s *store) watching(typeURL string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.types[typeURL]; c != nil {
		return len(c.watches)
	}
	return 0
}
