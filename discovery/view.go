package discovery

import (
	"sort"
	"sync"
	"time"
)

// View is what a consumer (the daemon) reads of membership and how it
// advertises itself. *Members implements it over gossip; *MemView is the
// in-memory double for tests of code that consumes membership. A consumer
// may define a smaller interface of its own; these methods are the contract.
type View interface {
	// Members returns every member known, this one included, by name.
	Members() []Member
	// Local returns this member with its newest Meta.
	Local() Member
	// Events delivers membership changes in order; closed at shutdown.
	Events() <-chan Event
	// UpdateMeta changes the advertised Meta (see Members.UpdateMeta).
	UpdateMeta(update func(*Meta)) error
	// Stats counts members by state.
	Stats() Stats
}

var (
	_ View = (*Members)(nil)
	_ View = (*MemView)(nil)
)

// MemView is an in-memory View whose membership the test sets by hand with
// Set and Remove. It applies the same server id rule as Members (Set of a
// live member whose id another live member holds is refused). Its Events
// channel is buffered (capacity given to NewMemView); Set blocks when it is
// full, so a test must drain it or size it.
type MemView struct {
	mu      sync.Mutex
	local   string
	byName  map[string]Member
	refused uint64
	events  chan Event
}

// NewMemView returns a view holding only local (marked Local and alive),
// with an Events channel of capacity buffer.
func NewMemView(local Member, buffer int) *MemView {
	local.Local, local.State = true, StateAlive
	if local.Since.IsZero() {
		local.Since = time.Now()
	}
	return &MemView{local: local.Name, byName: map[string]Member{local.Name: local}, events: make(chan Event, buffer)}
}

// Set adds or replaces a member and emits the matching event (join, update,
// suspect, alive, dead or left). A live member whose server id another live
// member holds is refused: nothing changes, EventRefused is emitted and a
// *ConflictError returned.
func (v *MemView) Set(m Member) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	m.Local = m.Name == v.local
	if m.State.Live() && m.Meta.ServerID != 0 {
		for _, o := range v.byName {
			if o.Name != m.Name && o.State.Live() && o.Meta.ServerID == m.Meta.ServerID {
				v.refused++
				v.events <- Event{Kind: EventRefused, Member: m}
				return &ConflictError{ServerID: m.Meta.ServerID, Name: m.Name, Holder: o.Name}
			}
		}
	}
	old, seen := v.byName[m.Name]
	if m.Since.IsZero() {
		m.Since = time.Now()
	}
	v.byName[m.Name] = m
	kind := EventUpdate
	switch {
	case !seen || !old.State.Live() && m.State.Live():
		kind = EventJoin
	case m.State == StateSuspect && old.State != StateSuspect:
		kind = EventSuspect
	case m.State == StateAlive && old.State == StateSuspect:
		kind = EventAlive
	case m.State == StateDead && old.State.Live():
		kind = EventDead
	case m.State == StateLeft && old.State.Live():
		kind = EventLeft
	}
	v.events <- Event{Kind: kind, Member: m}
	return nil
}

// Close closes the Events channel, as Members.Shutdown does. Set must not
// be called after Close.
func (v *MemView) Close() {
	v.mu.Lock()
	defer v.mu.Unlock()
	close(v.events)
}

// Remove forgets a member without an event, as Members forgets the dead.
func (v *MemView) Remove(name string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if name != v.local {
		delete(v.byName, name)
	}
}

// Members returns every member, sorted by name.
func (v *MemView) Members() []Member {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := make([]Member, 0, len(v.byName))
	for _, m := range v.byName {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Local returns the local member.
func (v *MemView) Local() Member {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.byName[v.local]
}

// Events returns the buffered event channel.
func (v *MemView) Events() <-chan Event { return v.events }

// UpdateMeta changes the local Meta at once (no rate limit, no broadcast)
// and emits EventUpdate; the same validation as Members.UpdateMeta applies.
func (v *MemView) UpdateMeta(update func(*Meta)) error {
	me := v.Local()
	next := me.Meta
	update(&next)
	next.Leaving = me.Meta.Leaving
	if _, err := EncodeMeta(next); err != nil {
		return err
	}
	me.Meta = next
	return v.Set(me)
}

// Stats counts members by state and role.
func (v *MemView) Stats() Stats {
	v.mu.Lock()
	defer v.mu.Unlock()
	s := Stats{Members: len(v.byName), Refused: v.refused}
	for _, m := range v.byName {
		s.count(&m)
	}
	return s
}
