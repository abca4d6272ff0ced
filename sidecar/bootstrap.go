package sidecar

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/zkmesh/zkmesh/discovery"
	"github.com/zkmesh/zkmesh/storage"
	"github.com/zkmesh/zkmesh/zab"
	"github.com/zkmesh/zkmesh/znode"
)

// Bootstrapping the first voters through gossip.
//
// Members started with `--bootstrap-expect N`, gossip seeds and no server
// lines are voter candidates. Each advertises itself through gossip as a
// candidate with no data. Once a candidate sees exactly N live candidates
// with no data, the same N for a settling moment, the N become the voters:
// ids 1 to N in the order of their gossip names, each with the peer,
// election and client addresses it advertises. Every candidate computes the
// same list from the same N. It writes its id to dataDir/myid and the list
// to dataDir/zoo.cfg.dynamic, durably, then starts as a voter of that
// ensemble. After that the voters live in the replicated configuration
// (/zookeeper/config) and change only by reconfig; a restarted member
// reads dataDir/zoo.cfg.dynamic and needs nobody.
//
// A candidate that sees a voter instead (the ensemble exists already) joins
// it as an observer (resolveJoin). More than N candidates is an operator's
// mistake: it is logged and nobody bootstraps until it is fixed.

// DynamicConfigFile is the file in dataDir that keeps the server lines a
// bootstrapped or joined member started with; later reconfigurations live
// in the replicated tree, which wins over it.
const DynamicConfigFile = "zoo.cfg.dynamic"

// Bootstrapping reports whether this member forms the first voters with
// others through gossip (bootstrap.expect) rather than from server lines.
func (c *Config) Bootstrapping() bool { return c.BootstrapExpect > 0 && len(c.Servers) == 0 }

// bootstrapSettle is how long the same N candidates must be seen before
// they become the voters.
const bootstrapSettle = 500 * time.Millisecond

// resolveBootstrap turns a bootstrapping member's configuration into an
// ensemble voter's (or, if the ensemble exists, a joining observer's).
// New calls it before anything runs.
func resolveBootstrap(cfg *Config, tree *znode.Tree, log zerolog.Logger) (*Config, error) {
	log = log.With().Str("component", "bootstrap").Logger()
	if c, ok, err := loadDynamicConfig(cfg); ok || err != nil {
		if ok {
			log.Info().Uint64("server_id", uint64(c.ServerID)).Int("servers", len(c.Servers)).Msg("bootstrapped before: server lines from " + DynamicConfigFile)
		}
		return c, err
	}
	if tree.LastZxid() != 0 {
		return nil, &ConfigError{Key: "bootstrap.expect", Value: strconv.Itoa(cfg.BootstrapExpect), Origin: cfg.origin["bootstrap.expect"],
			Reason: fmt.Sprintf("dataDir holds data but no %s: this member was not bootstrapped; give it server lines or an empty dataDir", DynamicConfigFile), Err: ErrInvalidConfig}
	}
	ctx, cancel := context.WithTimeout(context.Background(), joinTimeout)
	defer cancel()
	g, err := startupGossip(cfg, "candidate", discovery.Meta{Role: discovery.RoleCandidate, DataEmpty: true}, log)
	if err != nil {
		return nil, err
	}
	defer g.Shutdown()
	peer, election := cfg.joinAddrs(g.Addr())
	client := reachable(cfg.ClientAddr(), g.Addr())
	if err := g.UpdateMeta(func(m *discovery.Meta) {
		m.PeerAddr, m.ElectionAddr, m.ClientAddr = peer, election, client
	}); err != nil {
		return nil, fmt.Errorf("sidecar: bootstrap: advertising this candidate: %w", err)
	}
	log.Info().Int("expect", cfg.BootstrapExpect).Strs("seeds", cfg.GossipSeeds).Msg("waiting for the other voter candidates")
	var last []string
	var since time.Time
	warned := false
	for {
		if _, err := g.Join(nil); err != nil {
			log.Debug().Err(err).Msg("gossip join failed; retrying")
		}
		var cands []discovery.Member
		voterSeen := false
		for _, m := range g.Members() {
			if !m.State.Live() {
				continue
			}
			switch {
			case m.Meta.Role == discovery.RoleVoter:
				voterSeen = true
			case m.Meta.Role == discovery.RoleCandidate && m.Meta.DataEmpty:
				cands = append(cands, m)
			}
		}
		if voterSeen {
			log.Info().Msg("an ensemble exists already: joining it as an observer instead")
			if err := g.Leave(200 * time.Millisecond); err != nil {
				log.Debug().Err(err).Msg("gossip leave of the candidate")
			}
			g.Shutdown()
			return resolveJoin(cfg, tree, log)
		}
		slices.SortFunc(cands, func(a, b discovery.Member) int { return strings.Compare(a.Name, b.Name) })
		names := make([]string, len(cands))
		for i, m := range cands {
			names[i] = m.Name
		}
		switch {
		case len(cands) > cfg.BootstrapExpect:
			if !warned {
				warned = true
				log.Error().Strs("candidates", names).Int("expect", cfg.BootstrapExpect).
					Msg("more voter candidates than bootstrap.expect: nobody bootstraps until the extra ones stop")
			}
			since = time.Time{}
		case len(cands) < cfg.BootstrapExpect || !slices.Equal(names, last):
			since = time.Time{}
		case since.IsZero():
			since = time.Now()
		case time.Since(since) >= bootstrapSettle:
			return bootstrapWith(cfg, cands, g.Local().Name, log)
		}
		last = names
		if err := sleepCtx(ctx, joinPoll); err != nil {
			return nil, fmt.Errorf("sidecar: bootstrap: %d of %d voter candidates seen within %v", len(cands), cfg.BootstrapExpect, joinTimeout)
		}
	}
}

// bootstrapWith makes cands (sorted by name) the voters, ids 1 to N, and
// returns the configuration of the one named self, after persisting it.
func bootstrapWith(cfg *Config, cands []discovery.Member, self string, log zerolog.Logger) (*Config, error) {
	servers := make([]ServerSpec, 0, len(cands))
	var id zab.ServerID
	for i, m := range cands {
		meta := m.Meta
		meta.ServerID, meta.Role = uint64(i+1), discovery.RoleVoter
		s, err := specFromMeta(meta)
		if err != nil {
			return nil, fmt.Errorf("sidecar: bootstrap: candidate %s: %w", m.Name, err)
		}
		servers = append(servers, s)
		if m.Name == self {
			id = s.ID
		}
	}
	if id == 0 {
		return nil, fmt.Errorf("sidecar: bootstrap: this member (%s) is not among the candidates", self)
	}
	m := newMembership(servers, 0)
	if err := writeDynamicConfig(cfg.DataDir, m); err != nil {
		return nil, fmt.Errorf("sidecar: bootstrap: %w", err)
	}
	if err := storage.WriteFileAtomic(cfg.DataDir, "myid", []byte(strconv.FormatUint(uint64(id), 10)+"\n")); err != nil {
		return nil, fmt.Errorf("sidecar: bootstrap: writing myid: %w", err)
	}
	log.Info().Uint64("server_id", uint64(id)).Str("membership", m.String()).Msg("bootstrapped the first voters")
	c := joinedConfig(cfg, id, servers)
	c.StandaloneEnabled = false // a single voter still runs ZAB, so observers can join it
	return c, nil
}

// writeDynamicConfig persists m in dir's DynamicConfigFile, durably.
func writeDynamicConfig(dir string, m membership) error {
	if err := storage.WriteFileAtomic(dir, DynamicConfigFile, []byte(m.String()+"\n")); err != nil {
		return fmt.Errorf("writing %s: %w", DynamicConfigFile, err)
	}
	return nil
}

// loadDynamicConfig reads the server lines and id a bootstrapped or joined
// member persisted (DynamicConfigFile); ok is false when it has none.
func loadDynamicConfig(cfg *Config) (c *Config, ok bool, err error) {
	path := filepath.Join(cfg.DataDir, DynamicConfigFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, &ConfigError{Key: DynamicConfigFile, Value: path, Origin: "dataDir", Reason: err.Error(), Err: ErrInvalidConfig}
	}
	m, err := parseMembership(string(b))
	if err != nil {
		return nil, false, &ConfigError{Key: DynamicConfigFile, Value: path, Origin: "dataDir", Reason: err.Error(), Err: ErrInvalidConfig}
	}
	id, err := joinedID(cfg.DataDir)
	if err != nil {
		return nil, false, err
	}
	if _, member := m.get(id); !member {
		return nil, false, &ConfigError{Key: "myid", Value: strconv.FormatUint(uint64(id), 10), Origin: cfg.MyIDPath(), Reason: "not in " + DynamicConfigFile, Err: ErrInvalidConfig}
	}
	c = joinedConfig(cfg, id, m.servers)
	c.StandaloneEnabled = false
	return c, true, nil
}
