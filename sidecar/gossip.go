package sidecar

import (
	"errors"
	"net"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/zkmesh/zkmesh/discovery"
)

// gossipRunner is a Server's gossip member (package discovery) and the
// goroutines that keep it going: joining the seeds, advertising the
// replica's progress and logging what the fleet does.
//
// Gossip is advisory here as everywhere in zkmesh: nothing it learns changes
// who votes, and a member it declares dead keeps its sessions and ephemeral
// nodes until the session tracker expires them.
type gossipRunner struct {
	s       *Server
	log     zerolog.Logger
	members *discovery.Members
	// every is how often the advertised meta is refreshed.
	every time.Duration

	stop chan struct{}
	wg   sync.WaitGroup
}

// gossipRole maps a zoo.cfg role to the role gossip advertises.
func gossipRole(p PeerType) discovery.Role {
	if p == PeerObserver {
		return discovery.RoleObserver
	}
	return discovery.RoleVoter
}

// startMembership starts gossip discovery when it is configured, then the
// admin HTTP server when it is enabled. Run calls it once the client port
// and the xDS server listen (their addresses are advertised) and before
// serving. The returned stop leaves the fleet, stops gossip and the admin
// server; it is called once, at shutdown.
func (s *Server) startMembership() (stop func(), err error) {
	if s.cfg.GossipEnabled() {
		g, err := s.startGossip()
		if err != nil {
			return nil, err
		}
		s.gossip = g
	}
	stopAdmin, err := s.startAdmin()
	if err != nil {
		if s.gossip != nil {
			s.gossip.shutdown()
		}
		return nil, err
	}
	return func() {
		stopAdmin()
		if s.gossip != nil {
			s.gossip.shutdown()
		}
	}, nil
}

// startGossip creates the gossip member and starts its goroutines. A
// listener that cannot bind is a startup error naming gossip.address.
func (s *Server) startGossip() (*gossipRunner, error) {
	cfg := s.cfg
	log := s.log.With().Str("component", "gossip").Logger()
	dc := discovery.DefaultConfig()
	dc.NodeName = cfg.GossipNodeName()
	dc.BindAddr = cfg.GossipBindAddr()
	dc.Seeds = cfg.GossipSeeds
	dc.KeyFile = cfg.GossipKeyFile
	dc.Timing = cfg.GossipTimingProfile()
	every := time.Second
	if cfg.GossipTiming == "fast" {
		every = 200 * time.Millisecond
	}
	dc.MetaUpdateInterval = every
	dc.Meta = s.gossipMeta()
	m, err := discovery.New(dc, log)
	if err != nil {
		key := "gossip.address"
		if errors.Is(err, discovery.ErrBadKey) {
			key = "gossip.keyFile"
		}
		origin := cfg.origin[key]
		if origin == "" {
			origin = cfg.origin["gossip.seeds"]
		}
		return nil, &ConfigError{Key: key, Value: dc.BindAddr, Origin: origin, Reason: err.Error(), Err: ErrInvalidConfig}
	}
	g := &gossipRunner{s: s, log: log, members: m, every: every, stop: make(chan struct{})}
	// An address bound to every interface is advertised with the address
	// gossip advertises, which others can reach.
	if err := m.UpdateMeta(func(meta *discovery.Meta) {
		meta.ClientAddr = reachable(meta.ClientAddr, m.Addr())
		meta.XDSAddr = reachable(meta.XDSAddr, m.Addr())
	}); err != nil {
		log.Warn().Err(err).Msg("gossip meta not updated")
	}
	g.wg.Add(3)
	go func() { defer g.wg.Done(); g.joinLoop() }()
	go func() { defer g.wg.Done(); g.eventLoop() }()
	go func() { defer g.wg.Done(); g.refreshLoop() }()
	return g, nil
}

// selfSpec is this member's line of the membership in effect: the one a
// committed reconfiguration set, else zoo.cfg's server line. ok is false
// standalone, or when a reconfiguration removed this member.
func (s *Server) selfSpec() (ServerSpec, bool) {
	if s.ens != nil {
		if m := s.ens.membersView.Load(); m != nil {
			return m.get(s.cfg.ServerID)
		}
	}
	return s.cfg.Self()
}

// advertisedRole is the role gossip advertises: this member's role in the
// membership in effect (zoo.cfg's role standalone or once removed).
func (s *Server) advertisedRole() discovery.Role {
	if self, ok := s.selfSpec(); ok {
		return gossipRole(self.Role)
	}
	return gossipRole(s.cfg.Role())
}

// gossipMeta is what this member advertises, from its configuration and
// the addresses it listens on. Run must have opened the client port.
func (s *Server) gossipMeta() discovery.Meta {
	m := discovery.Meta{
		ServerID: uint64(s.cfg.ServerID),
		Role:     s.advertisedRole(),
		Zone:     s.cfg.Zone,
		Region:   s.cfg.Region,
		Version:  Version,
		LastZxid: s.tree.LastZxid(),
	}
	if self, ok := s.selfSpec(); ok {
		m.PeerAddr, m.ElectionAddr = self.PeerAddr(), self.ElectionAddr()
	}
	if s.listener != nil {
		m.ClientAddr = s.listener.Addr().String()
	}
	if a := s.XDSAddr(); a != nil {
		m.XDSAddr = a.String()
	}
	return m
}

// reachable replaces an unspecified host (0.0.0.0, ::) in addr by the host
// of gossipAddr.
func reachable(addr, gossipAddr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsUnspecified() {
		return addr
	}
	ghost, _, err := net.SplitHostPort(gossipAddr)
	if err != nil {
		return addr
	}
	return net.JoinHostPort(ghost, port)
}

// joinLoop joins the seeds, and joins them again whenever this member finds
// itself alone (every other member dead, left or forgotten, as after a
// partition or when every seed restarted). It retries with a backoff of up
// to 30 s and logs every failure; a refusal for a conflicting server id is
// logged as an error, since only an operator can fix it.
func (g *gossipRunner) joinLoop() {
	seeds := g.s.cfg.GossipSeeds
	if len(seeds) == 0 {
		g.log.Info().Str("addr", g.members.Addr()).Msg("gossip: no seeds; waiting for others to join through this member")
		return
	}
	const maxBackoff = 30 * time.Second
	backoff := g.every
	check := 5 * g.every
	failures := 0
	for {
		wait := check
		if g.alone() {
			n, err := g.members.Join(nil)
			switch {
			case errors.Is(err, discovery.ErrShutdown):
				return
			case errors.Is(err, discovery.ErrServerIDConflict):
				failures++
				g.log.Error().Err(err).Uint64("server_id", uint64(g.s.cfg.ServerID)).Strs("seeds", seeds).Int("attempt", failures).
					Msg("gossip join refused: another live member holds this server id; check myid on both hosts")
				wait, backoff = backoff, min(2*backoff, maxBackoff)
			case err != nil:
				failures++
				g.log.Warn().Err(err).Strs("seeds", seeds).Int("attempt", failures).Dur("retry_in", backoff).
					Msg("gossip join failed; retrying")
				wait, backoff = backoff, min(2*backoff, maxBackoff)
			case n == 0:
				g.log.Info().Strs("seeds", seeds).Msg("gossip: the only seed is this member; waiting for others to join")
				return
			case g.alone():
				// Only this member answered (a seed is its own address
				// under another name): try again later, quietly.
				wait, backoff = backoff, min(2*backoff, maxBackoff)
			default:
				failures, backoff = 0, g.every
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-g.stop:
			t.Stop()
			return
		}
	}
}

// alone reports whether no other member is alive or suspect.
func (g *gossipRunner) alone() bool {
	for _, m := range g.members.Members() {
		if !m.Local && m.State.Live() {
			return false
		}
	}
	return true
}

// eventLoop consumes membership events until gossip shuts down. Discovery
// itself logs joins, deaths, returns and refusals; this adds what they mean
// for the daemon.
func (g *gossipRunner) eventLoop() {
	for ev := range g.members.Events() {
		m := ev.Member
		switch ev.Kind {
		case discovery.EventDead:
			g.log.Info().Str("member", m.Name).Uint64("server_id", m.Meta.ServerID).
				Msg("gossip: member dead; its ephemeral nodes stay until its sessions expire")
		case discovery.EventRefused:
			g.log.Error().Str("member", m.Name).Str("addr", m.Addr).Uint64("server_id", m.Meta.ServerID).
				Uint64("own_server_id", uint64(g.s.cfg.ServerID)).
				Msg("gossip refused a member: its server id is held by another live member; check myid on both hosts")
		}
	}
}

// refreshLoop advertises the replica's last applied zxid, and the role and
// peer addresses should a reconfiguration change them, every g.every when
// they changed.
func (g *gossipRunner) refreshLoop() {
	t := time.NewTicker(g.every)
	defer t.Stop()
	for {
		select {
		case <-g.stop:
			return
		case <-t.C:
		}
		zxid, role := g.s.tree.LastZxid(), g.s.advertisedRole()
		peer, election := "", ""
		if self, ok := g.s.selfSpec(); ok {
			peer, election = self.PeerAddr(), self.ElectionAddr()
		}
		cur := g.members.Local().Meta
		if cur.LastZxid == zxid && cur.Role == role && cur.PeerAddr == peer && cur.ElectionAddr == election {
			continue
		}
		if err := g.members.UpdateMeta(func(m *discovery.Meta) {
			m.LastZxid, m.Role, m.PeerAddr, m.ElectionAddr = zxid, role, peer, election
		}); err != nil {
			g.log.Warn().Err(err).Msg("gossip meta not updated")
		}
	}
}

// shutdown leaves the fleet (others record this member as left, not dead),
// stops gossip and waits for the runner's goroutines.
func (g *gossipRunner) shutdown() {
	close(g.stop)
	if err := g.members.Leave(time.Second); err != nil {
		g.log.Warn().Err(err).Msg("gossip leave incomplete")
	}
	if err := g.members.Shutdown(); err != nil {
		g.log.Warn().Err(err).Msg("gossip shutdown")
	}
	g.wg.Wait()
}

// gossipStats returns the gossip figures mntr prints, nil when gossip does
// not run.
func (s *Server) gossipStats() []discovery.StatField {
	if s.gossip == nil {
		return nil
	}
	return s.gossip.members.Stats().Fields()
}
