package loadbalance

import (
	"fmt"
	"sort"
)

// Problem is a registration that was skipped.
type Problem struct {
	// Path is the znode path of the registration.
	Path string
	// Zxid is the zxid of the write that made it malformed.
	Zxid int64
	// Err wraps ErrMalformed or ErrNotEndpoint.
	Err error
}

// Stats are the registry's counters, for mntr.
type Stats struct {
	// Services and Endpoints in the current model.
	Services  int
	Endpoints int
	// MalformedTotal counts every write of a malformed registration since the
	// Registry was made (monotonic).
	MalformedTotal uint64
	// MalformedNow counts the paths whose current data is malformed.
	MalformedNow int
}

// Registry turns znode events into Views. It is not safe for concurrent use:
// the caller (the ZooKeeper server's apply loop) serialises calls. It starts
// no goroutines and retains the data slices it is given only as parsed
// copies.
type Registry struct {
	cfg Config
	// byPath holds what each registration path contributes.
	// Invariant: for every c in byPath[p], services[c.service].members[p] == c.
	byPath   map[string][]contribution
	services map[string]*serviceState
	// dirty names services changed since the last View.
	dirty map[string]struct{}
	// snapshot holds the shards of the last View. They are shared with
	// every View handed out and never mutated: View copies a shard before
	// changing it.
	snapshot  *[viewShards]*shard
	nServices int
	// bad holds the paths whose current data is malformed; a path is
	// reported once until it is fixed or removed.
	bad      map[string]struct{}
	pending  []Problem
	badTotal uint64
	// controller is the Kafka controller's broker id, -1 when none.
	controller int64
	zxid       int64
}

type serviceState struct {
	layout  Layout
	version int64
	members map[string]contribution
}

// NewRegistry returns an empty Registry reading the layouts where
// DefaultConfig says they are.
func NewRegistry() *Registry {
	r, err := NewRegistryWithConfig(DefaultConfig())
	if err != nil {
		panic(fmt.Sprintf("loadbalance: DefaultConfig invalid: %v", err))
	}
	return r
}

// NewRegistryWithConfig returns an empty Registry reading the layouts where
// cfg says they are.
func NewRegistryWithConfig(cfg Config) (*Registry, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Registry{
		cfg:        cfg,
		byPath:     make(map[string][]contribution),
		services:   make(map[string]*serviceState),
		dirty:      make(map[string]struct{}),
		snapshot:   new([viewShards]*shard),
		bad:        make(map[string]struct{}),
		controller: -1,
	}, nil
}

// Relevant reports whether a znode at path is a registration this package
// reads, so the server forwards its events. Directories and Dubbo
// consumers/routers/configurators are not relevant.
func (r *Registry) Relevant(path string) bool {
	k, _ := r.cfg.classify(path)
	return k != kindNone
}

// Put records that the node at path was created or its data set to data, by
// the transaction zxid. Irrelevant paths are ignored. data is not retained.
func (r *Registry) Put(path string, data []byte, zxid int64) { r.PutInZone(path, data, zxid, "") }

// PutInZone is Put for a registration made from zone: its endpoints that
// name no zone of their own get zone (the zone of the sidecar whose client
// created the node), so that localities need no extra registration field.
// An empty zone changes nothing.
func (r *Registry) PutInZone(path string, data []byte, zxid int64, zone string) {
	kind, seg := r.cfg.classify(path)
	if kind == kindNone {
		return
	}
	r.seeZxid(zxid)
	var (
		cs  []contribution
		err error
	)
	switch kind {
	case kindKafkaController:
		id, err := parseKafkaController(data)
		r.setController(id, zxid)
		r.report(path, zxid, err)
		return
	case kindDubbo:
		cs, err = parseDubbo(path, seg)
	case kindKafkaBroker:
		cs, err = parseKafkaBroker(path, seg, data)
	case kindCurator:
		cs, err = parseCurator(path, seg, data)
	case kindZkmesh:
		cs, err = parseZkmesh(path, seg, data)
	}
	if err != nil {
		cs = nil
	}
	for i := range cs {
		if cs[i].ep.Zone == "" {
			cs[i].ep.Zone = zone
		}
	}
	r.replace(path, cs, zxid)
	r.report(path, zxid, err)
}

// Remove records that the node at path was deleted by the transaction zxid.
// Irrelevant or unknown paths are ignored. The services the node belonged to
// stay in later Views, with no endpoints if it was their last.
func (r *Registry) Remove(path string, zxid int64) {
	kind, _ := r.cfg.classify(path)
	if kind == kindNone {
		return
	}
	r.seeZxid(zxid)
	delete(r.bad, path)
	if kind == kindKafkaController {
		r.setController(-1, zxid)
		return
	}
	r.replace(path, nil, zxid)
}

func (r *Registry) seeZxid(zxid int64) {
	if zxid > r.zxid {
		r.zxid = zxid
	}
}

func (r *Registry) report(path string, zxid int64, err error) {
	if err == nil {
		delete(r.bad, path)
		return
	}
	r.badTotal++
	if _, seen := r.bad[path]; seen {
		return
	}
	r.bad[path] = struct{}{}
	r.pending = append(r.pending, Problem{Path: path, Zxid: zxid, Err: err})
}

// replace swaps what path contributes for cs, re-versioning only the
// services whose endpoints actually change.
func (r *Registry) replace(path string, cs []contribution, zxid int64) {
	old := r.byPath[path]
	if len(old) == len(cs) {
		same := true
		for i := range cs {
			if !cs[i].equal(&old[i]) {
				same = false
				break
			}
		}
		if same {
			return
		}
	}
	for _, c := range old {
		s := r.services[c.service]
		delete(s.members, path)
		r.touch(c.service, s, zxid)
	}
	if len(cs) == 0 {
		delete(r.byPath, path)
		return
	}
	r.byPath[path] = cs
	for _, c := range cs {
		s := r.services[c.service]
		if s == nil {
			s = &serviceState{layout: c.layout, members: make(map[string]contribution)}
			r.services[c.service] = s
		}
		s.members[path] = c
		r.touch(c.service, s, zxid)
	}
}

func (r *Registry) touch(name string, s *serviceState, zxid int64) {
	if zxid > s.version {
		s.version = zxid
	}
	r.dirty[name] = struct{}{}
}

func (r *Registry) setController(id, zxid int64) {
	if id == r.controller {
		return
	}
	prev := r.controller
	r.controller = id
	for name, s := range r.services {
		for _, c := range s.members {
			if c.brokerID >= 0 && (c.brokerID == prev || c.brokerID == id) {
				r.touch(name, s, zxid)
				break
			}
		}
	}
}

// View returns an immutable snapshot of all services, and resets the set of
// changed services that the next View reports.
func (r *Registry) View() View {
	v := View{zxid: r.zxid, shards: r.snapshot, n: r.nServices}
	if len(r.dirty) == 0 {
		return v
	}
	next := new([viewShards]*shard)
	*next = *r.snapshot
	var copied [viewShards]bool
	changed := make([]string, 0, len(r.dirty))
	for name := range r.dirty {
		i := shardOf(name)
		if !copied[i] {
			copied[i] = true
			m := make(map[string]*Service, 1)
			if old := next[i]; old != nil {
				m = make(map[string]*Service, len(old.m)+1)
				for k, s := range old.m {
					m[k] = s
				}
			}
			next[i] = &shard{m: m}
		}
		if _, had := next[i].m[name]; !had {
			r.nServices++
		}
		next[i].m[name] = r.build(name, r.services[name])
		changed = append(changed, name)
	}
	sort.Strings(changed)
	clear(r.dirty)
	r.snapshot = next
	v.shards, v.n, v.changed = next, r.nServices, changed
	return v
}

func (r *Registry) build(name string, s *serviceState) *Service {
	svc := &Service{Name: name, Layout: s.layout, Version: s.version, Endpoints: make([]Endpoint, 0, len(s.members))}
	ids := make([]string, 0, len(s.members))
	for p := range s.members {
		ids = append(ids, p)
	}
	sort.Strings(ids)
	policySet := false
	for _, p := range ids {
		c := s.members[p]
		if c.hasPolicy && !policySet {
			svc.Policy, policySet = c.policy, true
		}
		ep := c.ep
		if c.brokerID >= 0 && c.brokerID == r.controller {
			md := make(map[string]string, len(ep.Metadata)+1)
			for k, v := range ep.Metadata {
				md[k] = v
			}
			md[KafkaControllerKey] = "true"
			ep.Metadata = md
		}
		svc.Endpoints = append(svc.Endpoints, ep)
	}
	return svc
}

// Malformed returns the registrations skipped since the last call, each path
// once until its data is fixed or it is removed. The caller logs them.
func (r *Registry) Malformed() []Problem {
	p := r.pending
	r.pending = nil
	return p
}

// Stats returns the registry's counters.
func (r *Registry) Stats() Stats {
	st := Stats{Services: len(r.services), MalformedTotal: r.badTotal, MalformedNow: len(r.bad)}
	for _, s := range r.services {
		st.Endpoints += len(s.members)
	}
	return st
}
