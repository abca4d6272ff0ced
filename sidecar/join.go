package sidecar

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/zkmesh/zkmesh/discovery"
	"github.com/zkmesh/zkmesh/jute"
	"github.com/zkmesh/zkmesh/zab"
	"github.com/zkmesh/zkmesh/znode"
)

// Joining an ensemble through gossip.
//
// A member started with gossip seeds and no server lines (`zkmesh run
// --join host:port`) joins an existing ensemble as an observer:
//
//  1. it joins the gossip fleet and waits until it sees a voter;
//  2. it takes a server id (dataDir/myid if present, else the one
//     discovery.AllocateObserverID keeps in dataDir/observer.id);
//  3. it reads /zookeeper/config from a voter's client port (the exact
//     membership, which gossip only approximates) and adds itself as an
//     observer with its peer and election addresses (resolveJoin);
//  4. it starts as an ensemble member and advertises its id, role and
//     addresses through gossip. The leader, which watches gossip
//     (admitLoop), adds it to the membership by a reconfig txn; the
//     voters then accept its connection and it syncs.
//
// Restarted, it finds its id and server lines in dataDir (observer.id and
// zoo.cfg.dynamic) and rejoins by itself, without gossip's help. Gossip never makes it a voter.

// Joining reports whether this member joins an existing ensemble through
// gossip as an observer: it has gossip seeds and no server lines.
func (c *Config) Joining() bool {
	return len(c.Servers) == 0 && len(c.GossipSeeds) > 0 && c.BootstrapExpect == 0
}

// defaultJoinPeerPort and defaultJoinElectionPort are the ports a joining
// member uses when peer.address and election.address are not set.
const (
	defaultJoinPeerPort     = 2888
	defaultJoinElectionPort = 3888
)

// joinAddrs returns the peer and election addresses a joining member
// advertises: peer.address and election.address, else the host gossip
// advertises with ZooKeeper's default ports.
func (c *Config) joinAddrs(gossipAddr string) (peer, election string) {
	host, _, err := net.SplitHostPort(gossipAddr)
	if err != nil {
		host = "127.0.0.1"
	}
	peer, election = c.JoinPeerAddress, c.JoinElectionAddress
	if peer == "" {
		peer = net.JoinHostPort(host, strconv.Itoa(defaultJoinPeerPort))
	}
	if election == "" {
		election = net.JoinHostPort(host, strconv.Itoa(defaultJoinElectionPort))
	}
	return peer, election
}

// joinPoll is how often a joining member looks at gossip while it waits;
// joinTimeout bounds the whole join.
const (
	joinPoll    = 50 * time.Millisecond
	joinTimeout = 2 * time.Minute
)

// resolveJoin turns the configuration of a joining member (Joining) into
// an ensemble member's: its server id and the server lines of the
// ensemble, this member included as an observer. New calls it before
// anything runs. A member that joined before finds both in its data
// directory and recovered tree and needs no one; a new one runs steps 1
// to 3 above with a gossip member of its own, which leaves before Run
// starts the member's real one.
func resolveJoin(cfg *Config, tree *znode.Tree, log zerolog.Logger) (*Config, error) {
	log = log.With().Str("component", "join").Logger()
	if c, ok, err := loadDynamicConfig(cfg); ok || err != nil {
		if ok {
			log.Info().Uint64("server_id", uint64(c.ServerID)).Msg("rejoining with the server lines of " + DynamicConfigFile)
		}
		return c, err
	}
	id, err := joinedID(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	if id != 0 {
		if m, err := parseMembership(string(tree.ConfigData())); err == nil && m.version > 0 {
			if _, ok := m.get(id); ok {
				log.Info().Uint64("server_id", uint64(id)).Msg("rejoining with the membership of the recovered tree")
				return joinedConfig(cfg, id, m.servers), nil
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), joinTimeout)
	defer cancel()
	// The temporary member advertises no server id: the member it becomes
	// holds it, and two live members must never hold one.
	g, err := startupGossip(cfg, "joining", discovery.Meta{Role: discovery.RoleObserver, DataEmpty: tree.LastZxid() == 0}, log)
	if err != nil {
		return nil, err
	}
	defer g.Shutdown()
	log.Info().Strs("seeds", cfg.GossipSeeds).Msg("joining an ensemble through gossip as an observer")
	var voters []discovery.Member
	for {
		if _, err := g.Join(nil); err != nil {
			log.Debug().Err(err).Msg("gossip join failed; retrying")
		}
		voters = voters[:0]
		for _, m := range g.Members() {
			if !m.Local && m.State.Live() && m.Meta.Role == discovery.RoleVoter && m.Meta.ClientAddr != "" {
				voters = append(voters, m)
			}
		}
		if len(voters) > 0 {
			break
		}
		if err := sleepCtx(ctx, joinPoll); err != nil {
			return nil, fmt.Errorf("sidecar: join through %v: no voter seen through gossip within %v", cfg.GossipSeeds, joinTimeout)
		}
	}
	if id == 0 {
		n, err := discovery.AllocateObserverID(g.Members(), cfg.DataDir)
		if err != nil {
			return nil, fmt.Errorf("sidecar: join: allocating a server id: %w", err)
		}
		id = zab.ServerID(n)
	}
	var current membership
	for _, v := range voters {
		data, err := fetchConfig(ctx, v.Meta.ClientAddr)
		if err == nil {
			if current, err = parseMembership(string(data)); err == nil {
				break
			}
		}
		log.Warn().Err(err).Str("voter", v.Meta.ClientAddr).Msg("cannot read /zookeeper/config from voter")
		current = membership{}
	}
	if len(current.servers) == 0 {
		return nil, fmt.Errorf("sidecar: join: no voter answered with the membership (/zookeeper/config)")
	}
	if self, ok := current.get(id); ok && self.Role != PeerObserver {
		return nil, fmt.Errorf("sidecar: join: server id %d is a voter of the ensemble; a voter needs its server lines", id)
	}
	peer, election := cfg.joinAddrs(g.Addr())
	self, err := specFromMeta(discovery.Meta{ServerID: uint64(id), Role: discovery.RoleObserver, PeerAddr: peer, ElectionAddr: election,
		ClientAddr: reachable(cfg.ClientAddr(), g.Addr())})
	if err != nil {
		return nil, fmt.Errorf("sidecar: join: this member's addresses (join.peerAddress, join.electionAddress): %w", err)
	}
	servers := []ServerSpec{self}
	for _, s := range current.servers {
		if s.ID != id {
			servers = append(servers, s)
		}
	}
	if err := writeDynamicConfig(cfg.DataDir, newMembership(servers, 0)); err != nil {
		return nil, fmt.Errorf("sidecar: join: %w", err)
	}
	if err := g.Leave(200 * time.Millisecond); err != nil {
		log.Debug().Err(err).Msg("gossip leave of the joining member")
	}
	log.Info().Uint64("server_id", uint64(id)).Str("server", self.String()).Int("voters", len(current.voters())).
		Msg("joining as an observer; the leader admits it once it sees it through gossip")
	return joinedConfig(cfg, id, servers), nil
}

// startupGossip starts the gossip member a joining or bootstrapping member
// uses before it runs: named after the member with suffix (not the name it
// gossips under once it runs, so the two are never confused), advertising
// meta with this host's zone, region and version. It refuses a client port
// of 0, which could not be advertised.
func startupGossip(cfg *Config, suffix string, meta discovery.Meta, log zerolog.Logger) (*discovery.Members, error) {
	if cfg.ClientPort == 0 {
		return nil, &ConfigError{Key: "clientPort", Value: "0", Origin: cfg.origin["clientPort"],
			Reason: "a member that joins or bootstraps through gossip advertises its client port: it cannot be 0", Err: ErrInvalidConfig}
	}
	dc := discovery.DefaultConfig()
	dc.NodeName = cfg.GossipNodeName() + "-" + suffix
	dc.BindAddr = cfg.GossipBindAddr()
	dc.Seeds = cfg.GossipSeeds
	dc.KeyFile = cfg.GossipKeyFile
	dc.Timing = cfg.GossipTimingProfile()
	meta.Zone, meta.Region, meta.Version = cfg.Zone, cfg.Region, Version
	dc.Meta = meta
	g, err := discovery.New(dc, log)
	if err != nil {
		return nil, &ConfigError{Key: "gossip.address", Value: dc.BindAddr, Origin: cfg.origin["gossip.address"], Reason: err.Error(), Err: ErrInvalidConfig}
	}
	return g, nil
}

// joinedConfig is cfg for a member that joined: its id and server lines.
func joinedConfig(cfg *Config, id zab.ServerID, servers []ServerSpec) *Config {
	c := *cfg
	c.ServerID = id
	c.Servers = newMembership(servers, 0).servers
	return &c
}

// joinedID returns the server id a joining member already has: dataDir's
// myid, else the observer id discovery allocated before; 0 when none.
func joinedID(dataDir string) (zab.ServerID, error) {
	for _, name := range []string{"myid", discovery.ObserverIDFile} {
		path := filepath.Join(dataDir, name)
		b, err := os.ReadFile(path)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return 0, &ConfigError{Key: name, Value: path, Origin: "dataDir", Reason: err.Error(), Err: ErrInvalidConfig}
		}
		id, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
		if err != nil || id == 0 {
			return 0, &ConfigError{Key: name, Value: strings.TrimSpace(string(b)), Origin: path, Reason: "not a positive integer", Err: ErrInvalidConfig}
		}
		return zab.ServerID(id), nil
	}
	return 0, nil
}

// admitRetry is how long admitLoop waits before it asks again to admit the
// same member.
const admitRetry = 2 * time.Second

// admitLoop runs on every member with gossip and replication: it asks the
// ensemble to admit each live gossip member that advertises itself as an
// observer with a server id and is not yet a member with those addresses.
// Only the established leader acts on it (admitObserver).
func (s *Server) admitLoop(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	warned := map[string]bool{}
	asked := map[zab.ServerID]time.Time{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		e := s.ens
		if e == nil || zab.Role(e.role.Load()) != zab.RoleLeading {
			continue
		}
		view := e.membersView.Load()
		for _, m := range s.gossip.members.Members() {
			// A member that advertises no peer address has no server line to
			// ask for: a standalone server, or one a reconfig removed (which
			// stays out until an operator adds it again).
			if m.Local || !m.State.Live() || m.Meta.Role != discovery.RoleObserver || m.Meta.ServerID == 0 || m.Meta.PeerAddr == "" {
				continue
			}
			spec, err := specFromMeta(m.Meta)
			if err != nil {
				if !warned[m.Name] {
					warned[m.Name] = true
					s.log.Warn().Err(err).Str("member", m.Name).Msg("gossip member cannot be admitted as an observer")
				}
				continue
			}
			if cur, ok := view.get(spec.ID); ok && cur.String() == spec.String() {
				continue
			}
			if time.Since(asked[spec.ID]) < admitRetry {
				continue // the last request may still be committing
			}
			asked[spec.ID] = time.Now()
			e.admitObserver(spec)
		}
	}
}

// fetchConfig reads /zookeeper/config from the ZooKeeper server at addr
// with a session of its own, after a sync.
func fetchConfig(ctx context.Context, addr string) ([]byte, error) {
	d := net.Dialer{Timeout: 3 * time.Second}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	req := jute.AppendFrame(nil, &jute.ConnectRequest{TimeOut: 10000, Passwd: make([]byte, 16)})
	req = jute.AppendFrame(req, &jute.RequestHeader{Xid: 1, Type: jute.OpSync}, &jute.SyncRequest{Path: znode.ConfigPath})
	req = jute.AppendFrame(req, &jute.RequestHeader{Xid: 2, Type: jute.OpGetData}, &jute.GetDataRequest{Path: znode.ConfigPath})
	req = jute.AppendFrame(req, &jute.RequestHeader{Xid: 3, Type: jute.OpCloseSession})
	if _, err := c.Write(req); err != nil {
		return nil, err
	}
	var buf []byte
	frame, err := jute.ReadFrame(c, jute.DefaultMaxBuffer, buf)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", addr, err)
	}
	var cr jute.ConnectResponse
	if err := jute.Unmarshal(frame, &cr); err != nil || cr.TimeOut <= 0 {
		return nil, fmt.Errorf("connect to %s: session refused (is it serving?)", addr)
	}
	for {
		frame, err := jute.ReadFrame(c, jute.DefaultMaxBuffer, buf)
		if err != nil {
			return nil, fmt.Errorf("reading from %s: %w", addr, err)
		}
		d := jute.NewDecoder(frame)
		var rh jute.ReplyHeader
		rh.Decode(d)
		if d.Err() != nil {
			return nil, fmt.Errorf("reply from %s: %w", addr, d.Err())
		}
		if rh.Err != jute.CodeOK {
			return nil, fmt.Errorf("reply %d from %s: %w", rh.Xid, addr, rh.Err)
		}
		if rh.Xid != 2 {
			continue
		}
		var gr jute.GetDataResponse
		gr.Decode(d)
		if d.Err() != nil {
			return nil, fmt.Errorf("getData reply from %s: %w", addr, d.Err())
		}
		return bytes.Clone(gr.Data), nil
	}
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
