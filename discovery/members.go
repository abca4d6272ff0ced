package discovery

import (
	"fmt"
	"log"
	"sync"
	"time"

	"github.com/hashicorp/memberlist"
	"github.com/rs/zerolog"
)

// Members is one running gossip member and its view of the fleet. All its
// methods are safe for concurrent use.
type Members struct {
	cfg    Config
	log    zerolog.Logger
	list   *memberlist.Memberlist
	addr   string // advertised gossip IP:port, fixed at New
	table  *table
	events *eventQueue

	// metaMu guards meta and metaBytes. Never held while calling memberlist.
	metaMu sync.Mutex
	meta   Meta
	// metaBytes is EncodeMeta(meta). Invariant: len(metaBytes) <= MaxMetaSize.
	metaBytes []byte
	// metaDirty (capacity 1) wakes metaLoop to broadcast the newest meta.
	metaDirty chan struct{}

	// lifeMu serializes Join, Leave and Shutdown; shut is set by Shutdown.
	lifeMu sync.Mutex
	shut   bool
	stop   chan struct{}
	wg     sync.WaitGroup
}

// New validates cfg, reads the key file, starts the gossip listener on
// cfg.BindAddr and returns the member, alone in its fleet until Join. It
// starts memberlist's goroutines and two of its own (event delivery and meta
// broadcasts); Shutdown stops them. log receives discovery's and
// memberlist's lines.
func New(cfg Config, log zerolog.Logger) (*Members, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var key []byte
	if cfg.KeyFile != "" {
		k, err := LoadKey(cfg.KeyFile)
		if err != nil {
			return nil, err
		}
		key = k
	}
	metaBytes, err := EncodeMeta(cfg.Meta)
	if err != nil {
		return nil, err
	}
	log = log.With().Str("node", cfg.NodeName).Logger()
	m := &Members{
		cfg:       cfg,
		log:       log,
		events:    newEventQueue(cfg.EventQueue),
		meta:      cfg.Meta,
		metaBytes: metaBytes,
		metaDirty: make(chan struct{}, 1),
		stop:      make(chan struct{}),
	}
	m.table = newTable(log, m.events, cfg.NodeName, cfg.Timing.GossipToTheDead)
	mc, err := m.memberlistConfig(key)
	if err != nil {
		return nil, err
	}
	list, err := memberlist.Create(mc)
	if err != nil {
		return nil, fmt.Errorf("discovery: start gossip on %s: %w", cfg.BindAddr, err)
	}
	m.list = list
	m.addr = list.LocalNode().Address()
	m.wg.Add(2)
	go func() { defer m.wg.Done(); m.events.run(m.stop) }()
	go func() { defer m.wg.Done(); m.metaLoop() }()
	log.Info().Str("addr", m.Addr()).Bool("encrypted", key != nil).Msg("gossip started")
	return m, nil
}

func (m *Members) memberlistConfig(key []byte) (*memberlist.Config, error) {
	cfg := m.cfg
	mc := memberlist.DefaultLANConfig()
	mc.Name = cfg.NodeName
	ip, port, err := splitIPPort(cfg.BindAddr)
	if err != nil {
		return nil, err
	}
	mc.BindAddr, mc.BindPort, mc.AdvertisePort = ip.String(), port, port
	if cfg.AdvertiseAddr != "" {
		aip, aport, err := splitIPPort(cfg.AdvertiseAddr)
		if err != nil {
			return nil, err
		}
		mc.AdvertiseAddr, mc.AdvertisePort = aip.String(), aport
	}
	t := cfg.Timing
	mc.ProbeInterval = t.ProbeInterval
	mc.ProbeTimeout = t.ProbeTimeout
	mc.SuspicionMult = t.SuspicionMult
	mc.SuspicionMaxTimeoutMult = t.SuspicionMaxTimeoutMult
	mc.GossipInterval = t.GossipInterval
	mc.PushPullInterval = t.PushPullInterval
	mc.TCPTimeout = t.StreamTimeout
	mc.GossipToTheDeadTime = t.GossipToTheDead
	mc.AwarenessMaxMultiplier = t.AwarenessMaxMultiplier
	mc.SecretKey = key
	h := hooks{m}
	mc.Delegate, mc.Events, mc.Alive, mc.Merge, mc.Conflict = h, h, h, h, h
	mc.Logger = log.New(mlLog{log: m.log, onSuspect: m.table.suspect}, "", 0)
	return mc, nil
}

// Name returns this member's node name.
func (m *Members) Name() string { return m.cfg.NodeName }

// Addr returns the gossip IP:port other members reach this one at (with the
// real port when BindAddr asked for port 0).
func (m *Members) Addr() string { return m.addr }

// Join contacts seeds (cfg.Seeds when seeds is empty), skipping this
// member's own address, and merges state with each one reached. It returns
// how many were reached; it fails only if none was. A join refused because
// a server id is held by another live member fails with an error matching
// ErrServerIDConflict (a *ConflictError in the chain). With no seed but
// itself, Join returns 0, nil: this member is the first of its fleet.
func (m *Members) Join(seeds []string) (int, error) {
	m.lifeMu.Lock()
	defer m.lifeMu.Unlock()
	if m.shut {
		return 0, ErrShutdown
	}
	if len(seeds) == 0 {
		seeds = m.cfg.Seeds
	}
	self := m.Addr()
	var others []string
	for _, s := range seeds {
		if s != self && s != m.cfg.AdvertiseAddr && s != m.cfg.BindAddr {
			others = append(others, s)
		}
	}
	if len(others) == 0 {
		return 0, nil
	}
	m.table.takeRefusal()
	n, err := m.list.Join(others)
	if refusal := m.table.takeRefusal(); refusal != nil && err != nil {
		m.log.Error().Err(refusal).Strs("seeds", others).Msg("gossip join refused")
		return n, fmt.Errorf("discovery: join %v: %w", others, refusal)
	}
	if err != nil {
		return n, fmt.Errorf("discovery: join %v: %v", others, err)
	}
	m.log.Info().Int("reached", n).Strs("seeds", others).Msg("gossip joined")
	return n, nil
}

// Leave tells the fleet this member is leaving: it broadcasts its Meta with
// Leaving set and sends every live member a leaving notice over TCP (so that
// others record it as left, not dead, whatever order gossip delivers in),
// then memberlist's leave message. It waits up to timeout for each
// broadcast and Timing.StreamTimeout for the notices. The listener keeps
// running until Shutdown. Calling it again does nothing more.
func (m *Members) Leave(timeout time.Duration) error {
	m.lifeMu.Lock()
	defer m.lifeMu.Unlock()
	if m.shut {
		return ErrShutdown
	}
	m.metaMu.Lock()
	m.meta.Leaving = true
	enc, err := EncodeMeta(m.meta)
	if err == nil {
		m.metaBytes = enc
	}
	m.metaMu.Unlock()
	if err != nil {
		return err
	}
	if err := m.list.UpdateNode(timeout); err != nil {
		m.log.Debug().Err(err).Msg("gossip leaving flag not confirmed")
	}
	m.tellLeaving()
	if err := m.list.Leave(timeout); err != nil {
		return fmt.Errorf("discovery: leave: %v", err)
	}
	m.log.Info().Msg("gossip left")
	return nil
}

// tellLeaving sends the leaving notice to every live member over TCP, at
// most 16 at a time. Failures are only logged: the meta broadcast and
// memberlist's leave message still go out.
func (m *Members) tellLeaving() {
	msg := append([]byte{msgLeaving}, m.cfg.NodeName...)
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	for _, mem := range m.table.snapshot() {
		if mem.Local || !mem.State.Live() {
			continue
		}
		ip, port, err := splitIPPort(mem.Addr)
		if err != nil {
			continue
		}
		to := &memberlist.Node{Name: mem.Name, Addr: ip, Port: uint16(port)}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := m.list.SendReliable(to, msg); err != nil {
				m.log.Debug().Err(err).Str("member", to.Name).Msg("gossip leaving notice not sent")
			}
		}()
	}
	wg.Wait()
}

// Shutdown stops gossip without telling anyone (others detect it as dead
// unless Leave came first), stops discovery's goroutines and closes the
// Events channel. Safe to call more than once.
func (m *Members) Shutdown() error {
	m.lifeMu.Lock()
	defer m.lifeMu.Unlock()
	if m.shut {
		return nil
	}
	m.shut = true
	close(m.stop)
	m.events.close()
	m.wg.Wait()
	if err := m.list.Shutdown(); err != nil {
		return fmt.Errorf("discovery: shutdown: %v", err)
	}
	m.log.Info().Msg("gossip stopped")
	return nil
}

// Members returns every member known, this one included, in every state,
// sorted by name. Dead and left members are forgotten after
// Timing.GossipToTheDead.
func (m *Members) Members() []Member {
	out := m.table.snapshot()
	m.metaMu.Lock()
	defer m.metaMu.Unlock()
	for i := range out {
		if out[i].Local {
			out[i].Meta = m.meta
		}
	}
	return out
}

// Local returns this member, with the newest Meta set by UpdateMeta (others
// see it after the next broadcast).
func (m *Members) Local() Member {
	me, _ := m.table.get(m.cfg.NodeName)
	me.Name, me.Local = m.cfg.NodeName, true
	m.metaMu.Lock()
	defer m.metaMu.Unlock()
	me.Meta = m.meta
	return me
}

// Events returns the channel of membership changes. One goroutine of
// discovery sends on it, in the order the changes happened; it never
// blocks memberlist: if the consumer falls more than Config.EventQueue
// events behind, the oldest are dropped (Stats.DroppedEvents). The first
// event is this member's own EventJoin (Member.Local set). The channel
// is closed by Shutdown. Every call returns the same channel; there is one
// consumer.
func (m *Members) Events() <-chan Event { return m.events.out }

// UpdateMeta applies update to a copy of the local Meta and advertises the
// result. It returns at once: broadcasts happen at most once per
// Config.MetaUpdateInterval, and the newest Meta is what goes out. Leaving
// cannot be changed here. It fails, changing nothing, if the new Meta does
// not encode, or if it takes a server id another live member holds
// (ErrServerIDConflict). update runs with a lock held and must not call
// Members.
func (m *Members) UpdateMeta(update func(*Meta)) error {
	m.metaMu.Lock()
	next := m.meta
	update(&next)
	next.Leaving = m.meta.Leaving
	enc, err := EncodeMeta(next)
	if err != nil {
		m.metaMu.Unlock()
		return err
	}
	if next.ServerID != m.meta.ServerID {
		if h := m.table.holder(next.ServerID, m.cfg.NodeName); h != "" {
			m.metaMu.Unlock()
			return &ConflictError{ServerID: next.ServerID, Name: m.cfg.NodeName, Holder: h}
		}
	}
	m.meta, m.metaBytes = next, enc
	m.metaMu.Unlock()
	select {
	case m.metaDirty <- struct{}{}:
	default:
	}
	return nil
}

// SetLastZxid is UpdateMeta for the replica's progress.
func (m *Members) SetLastZxid(zxid int64) error {
	return m.UpdateMeta(func(meta *Meta) { meta.LastZxid = zxid })
}

// metaLoop broadcasts the local Meta when UpdateMeta changed it, at most
// once per MetaUpdateInterval.
func (m *Members) metaLoop() {
	var last time.Time
	wait := 5 * m.cfg.Timing.GossipInterval
	for {
		select {
		case <-m.metaDirty:
		case <-m.stop:
			return
		}
		if d := time.Until(last.Add(m.cfg.MetaUpdateInterval)); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-m.stop:
				t.Stop()
				return
			}
		}
		last = time.Now()
		if err := m.list.UpdateNode(wait); err != nil {
			m.log.Debug().Err(err).Msg("gossip meta broadcast not confirmed yet")
		}
	}
}

// Stats counts members by state for mntr.
func (m *Members) Stats() Stats {
	s := m.table.stats()
	s.DroppedEvents = m.events.droppedCount()
	s.Health = m.list.GetHealthScore()
	return s
}
