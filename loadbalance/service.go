package loadbalance

import "sort"

// Layout names the registration layout a service was read from.
type Layout uint8

const (
	LayoutDubbo Layout = iota + 1
	LayoutKafka
	LayoutCurator
	LayoutZkmesh
)

// String returns the layout's lower-case name.
func (l Layout) String() string {
	switch l {
	case LayoutDubbo:
		return "dubbo"
	case LayoutKafka:
		return "kafka"
	case LayoutCurator:
		return "curator"
	case LayoutZkmesh:
		return "zkmesh"
	}
	return "unknown"
}

// Service is one named service in a View. It is immutable once in a View:
// callers must not modify it or its Endpoints.
type Service struct {
	// Name is the service name used as the xDS cluster name: the Dubbo
	// service key (interface, or group/interface:version), the Curator or
	// zkmesh <name>, or kafka-<listener> (listener in lower case).
	Name string
	// Layout the service was first read from. Registrations of the same
	// name in different layouts (a Curator and a zkmesh "orders") are
	// endpoints of one service.
	Layout Layout
	// Policy is the load-balancing policy.
	Policy Policy
	// Version is the zxid of the service's last change. It is unique and
	// ordered across restarts because zxids are.
	Version int64
	// Endpoints sorted by ID. A service whose last endpoint went away stays
	// in later Views with no endpoints, so that clients fail fast.
	Endpoints []Endpoint
}

// viewShards is the number of shards a View's services are spread over.
// Producing a View after a change copies only the shards that changed, and
// View.Diff skips shards two Views share, so both cost O(shards + changed
// shard size) rather than O(services).
const viewShards = 256

// shard holds the services whose name hashes to it. A shard reachable from
// a View is never modified.
type shard struct {
	m map[string]*Service
}

func shardOf(name string) int {
	// FNV-1a, 32 bit.
	h := uint32(2166136261)
	for i := 0; i < len(name); i++ {
		h ^= uint32(name[i])
		h *= 16777619
	}
	return int(h % viewShards)
}

// View is an immutable snapshot of all services. The zero View is empty.
// Views share Services (and shards of them) with each other; neither is ever
// modified. A View is cheap to copy.
type View struct {
	shards  *[viewShards]*shard
	n       int
	changed []string
	zxid    int64
}

func (v View) shard(i int) *shard {
	if v.shards == nil {
		return nil
	}
	return v.shards[i]
}

// Service returns the named service, or nil.
func (v View) Service(name string) *Service {
	if sh := v.shard(shardOf(name)); sh != nil {
		return sh.m[name]
	}
	return nil
}

// Len returns the number of services.
func (v View) Len() int { return v.n }

// Zxid returns the highest zxid fed to the registry when the View was made.
func (v View) Zxid() int64 { return v.zxid }

// Names returns the service names in sorted order (a new slice).
func (v View) Names() []string {
	names := make([]string, 0, v.n)
	v.Range(func(s *Service) bool {
		names = append(names, s.Name)
		return true
	})
	sort.Strings(names)
	return names
}

// Range calls f for each service in unspecified order until f returns false.
func (v View) Range(f func(*Service) bool) {
	for i := 0; i < viewShards; i++ {
		sh := v.shard(i)
		if sh == nil {
			continue
		}
		for _, s := range sh.m {
			if !f(s) {
				return
			}
		}
	}
}

// Diff calls f for every service that differs between old and v: with the
// service in v when it was added or changed (a different *Service), and
// with nil when v lacks a service old has. It works on Views from any
// Registry, and costs little when they share most of their shards (a View
// and one produced after it by the same Registry). Order is unspecified.
func (v View) Diff(old View, f func(name string, svc *Service)) {
	for i := 0; i < viewShards; i++ {
		a, b := v.shard(i), old.shard(i)
		if a == b {
			continue
		}
		if a != nil {
			for name, s := range a.m {
				if b == nil || b.m[name] != s {
					f(name, s)
				}
			}
		}
		if b != nil {
			for name := range b.m {
				if a == nil || a.m[name] == nil {
					f(name, nil)
				}
			}
		}
	}
}

// Changed returns the names of the services that changed (were added, or
// had an endpoint added, removed or modified) between the previous View the
// same Registry produced and this one, sorted. Consumers that may skip Views
// should use Diff instead.
func (v View) Changed() []string { return v.changed }
