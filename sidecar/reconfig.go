package sidecar

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/zkmesh/zkmesh/discovery"
	"github.com/zkmesh/zkmesh/jute"
	"github.com/zkmesh/zkmesh/zab"
	"github.com/zkmesh/zkmesh/znode"
)

// Dynamic reconfiguration.
//
// The ensemble's membership lives in /zookeeper/config, as in ZooKeeper:
// `server.N=...` lines sorted by id, then `version=<hex>`, the zxid of the
// reconfig txn that set it (0 for the server lines of zoo.cfg). A reconfig
// request is checked on the leader in ZooKeeper's order (in progress,
// version, syntax, voter count, quorum, then WRITE on /zookeeper/config),
// and becomes a setData of /zookeeper/config logged as a reconfig txn. It
// takes effect on every member when that txn is applied, at the same point
// of the history everywhere; after a restart the membership is read back
// from the recovered tree, which wins over zoo.cfg's server lines.
//
// Observers may be added, removed and readdressed freely; voters one at a
// time (add, remove, promote an observer, demote a voter), and only while
// a quorum of the new voters is synced with the leader (NEWCONFIGNOQUORUM
// otherwise). zab takes a configuration into use as soon as the entry is in
// a member's log (zab.Config.ConfigOf), so elections and quorums always
// follow the newest membership a member has seen; the transport and what
// the four-letter words report follow it once applied. A request changing
// more than one voter gets UNIMPLEMENTED, and says why in the log.

// membership is the ensemble's configuration as /zookeeper/config holds it.
type membership struct {
	// servers is sorted by id, ids unique.
	servers []ServerSpec
	version int64
}

// String formats m as ZooKeeper's QuorumMaj.toString does.
func (m membership) String() string {
	var b strings.Builder
	for _, s := range m.servers {
		b.WriteString(s.String())
		b.WriteByte('\n')
	}
	b.WriteString("version=" + strconv.FormatInt(m.version, 16))
	return b.String()
}

func (m membership) ids(role PeerType) []zab.ServerID {
	var out []zab.ServerID
	for _, s := range m.servers {
		if s.Role == role {
			out = append(out, s.ID)
		}
	}
	return out
}

func (m membership) voters() []zab.ServerID    { return m.ids(PeerParticipant) }
func (m membership) observers() []zab.ServerID { return m.ids(PeerObserver) }

// zab returns m as zab's Membership.
func (m membership) zab() zab.Membership {
	return zab.Membership{Voters: m.voters(), Observers: m.observers()}
}

func (m membership) get(id zab.ServerID) (ServerSpec, bool) {
	for _, s := range m.servers {
		if s.ID == id {
			return s, true
		}
	}
	return ServerSpec{}, false
}

// peers maps every member to its peer address.
func (m membership) peers() map[zab.ServerID]string {
	out := make(map[zab.ServerID]string, len(m.servers))
	for _, s := range m.servers {
		out[s.ID] = s.PeerAddr()
	}
	return out
}

func newMembership(servers []ServerSpec, version int64) membership {
	s := slices.Clone(servers)
	slices.SortFunc(s, func(a, b ServerSpec) int { return cmp.Compare(a.ID, b.ID) })
	return membership{servers: s, version: version}
}

// membershipOf is the membership of the servers in byID, checked for
// shared addresses.
func membershipOf(byID map[zab.ServerID]ServerSpec, version int64) (membership, error) {
	m := newMembership(slices.Collect(maps.Values(byID)), version)
	return m, m.checkAddresses()
}

// errBadMembership says what is wrong with a server list.
var errBadMembership = errors.New("sidecar: bad membership")

// parseMembership reads a membership from `server.N=spec` entries
// separated by newlines or commas, and an optional `version=<hex>`.
// Blank entries are skipped.
func parseMembership(text string) (membership, error) {
	var m membership
	byID := map[zab.ServerID]ServerSpec{}
	for _, line := range strings.FieldsFunc(text, func(r rune) bool { return r == '\n' || r == ',' }) {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			return m, fmt.Errorf("%w: %q: want server.N=spec", errBadMembership, line)
		}
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		if key == "version" {
			v, err := strconv.ParseInt(value, 16, 64)
			if err != nil || v < 0 {
				return m, fmt.Errorf("%w: version %q is not a hex zxid", errBadMembership, value)
			}
			m.version = v
			continue
		}
		s, err := parseJoiner(key, value)
		if err != nil {
			return m, err
		}
		byID[s.ID] = s
	}
	return membershipOf(byID, m.version)
}

// parseJoiner parses one `server.N` key and its spec.
func parseJoiner(key, value string) (ServerSpec, error) {
	idText, ok := strings.CutPrefix(key, "server.")
	if !ok {
		return ServerSpec{}, fmt.Errorf("%w: %q: want server.N", errBadMembership, key)
	}
	s, reason := parseServerLine(idText, value)
	if reason != "" {
		return s, fmt.Errorf("%w: %s: %s", errBadMembership, key, reason)
	}
	return s, nil
}

// checkAddresses refuses two members sharing a peer or election address.
func (m membership) checkAddresses() error {
	seen := map[string]zab.ServerID{}
	for _, s := range m.servers {
		for _, a := range []string{s.PeerAddr(), s.ElectionAddr()} {
			if other, dup := seen[a]; dup && other != s.ID {
				return fmt.Errorf("%w: server.%d and server.%d share address %s", errBadMembership, other, s.ID, a)
			}
			seen[a] = s.ID
		}
	}
	return nil
}

// next computes the membership a reconfig request asks for from m.
func (m membership) next(req *jute.ReconfigRequest) (membership, error) {
	if req.NewMembers != "" {
		n, err := parseMembership(req.NewMembers)
		if err != nil {
			return n, err
		}
		for _, s := range n.servers {
			if s.ClientPort == 0 {
				return n, fmt.Errorf("%w: server.%d: each server needs its client port (;[host:]port)", errBadMembership, s.ID)
			}
		}
		return n, nil
	}
	byID := map[zab.ServerID]ServerSpec{}
	for _, s := range m.servers {
		byID[s.ID] = s
	}
	for _, leaving := range splitList(req.LeavingServers) {
		id, err := strconv.ParseUint(leaving, 10, 64)
		if err != nil {
			return m, fmt.Errorf("%w: leaving server %q is not a server id", errBadMembership, leaving)
		}
		delete(byID, zab.ServerID(id))
	}
	for _, joiner := range splitList(req.JoiningServers) {
		key, value, ok := strings.Cut(joiner, "=")
		if !ok {
			return m, fmt.Errorf("%w: %q: wrong format of server string", errBadMembership, joiner)
		}
		s, err := parseJoiner(strings.TrimSpace(key), strings.TrimSpace(value))
		if err != nil {
			return m, err
		}
		if s.ClientPort == 0 {
			return m, fmt.Errorf("%w: %s: each server should have 3 ports specified", errBadMembership, key)
		}
		byID[s.ID] = s
	}
	return membershipOf(byID, 0)
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// configOfTxn is zab's ConfigOf: the membership a logged txn sets, for a
// reconfig txn. It is pure: the same bytes give the same answer anywhere.
func configOfTxn(data []byte) (zab.Membership, bool) {
	if typ, ok := jute.TxnType(data); !ok || typ != jute.OpReconfig {
		return zab.Membership{}, false // every other txn, without decoding it
	}
	_, body, err := jute.DecodeTxn(data)
	if err != nil {
		return zab.Membership{}, false
	}
	sd, ok := body.(*jute.SetDataTxn)
	if !ok {
		return zab.Membership{}, false
	}
	m, err := parseMembership(string(sd.Data))
	if err != nil {
		return zab.Membership{}, false
	}
	return m.zab(), true
}

// initialMembership decides the membership a member starts with: the one in
// its recovered tree if a reconfig ever set it, else zoo.cfg's server
// lines, which it then writes into /zookeeper/config as ZooKeeper does.
func initialMembership(s *Server) membership {
	static := newMembership(s.cfg.Servers, 0)
	data := s.tree.ConfigData()
	if len(data) > 0 {
		m, err := parseMembership(string(data))
		if err == nil && m.version > 0 {
			s.log.Info().Str("version", strconv.FormatInt(m.version, 16)).Int("servers", len(m.servers)).
				Msg("membership from the last reconfig (it wins over zoo.cfg's server lines)")
			return m
		}
	}
	s.tree.InitConfig([]byte(static.String()), 0, time.Now().UnixMilli())
	return static
}

// prepareReconfig is Prep's Reconfig hook on the leader; it runs on the run
// goroutine, like every Prepare.
func (e *ensemble) prepareReconfig(req *jute.ReconfigRequest, zxid int64, authorize func() error) ([]byte, error) {
	if e.reconfigPending != nil || e.applied < e.epochStart {
		return nil, jute.CodeReconfigInProgress
	}
	cur := e.members
	if req.CurConfigID != -1 && req.CurConfigID != cur.version {
		return nil, fmt.Errorf("%w: reconfig from version %x, last seen version is %x", znode.ErrBadVersion, req.CurConfigID, cur.version)
	}
	next, err := cur.next(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", znode.ErrBadArguments, err)
	}
	voters := next.voters()
	minVoters := 1
	if e.s.cfg.StandaloneEnabled {
		minVoters = 2 // as ZooKeeper: fewer would be a standalone server
	}
	if len(voters) < minVoters {
		return nil, fmt.Errorf("%w: the new configuration must include at least %d voters", znode.ErrBadArguments, minVoters)
	}
	switch err := e.node.CheckConfig(next.zab()); {
	case errors.Is(err, zab.ErrReconfigInProgress):
		return nil, jute.CodeReconfigInProgress
	case errors.Is(err, zab.ErrNewConfigNoQuorum):
		e.s.log.Warn().Err(err).Msg("reconfig refused")
		return nil, jute.CodeNewConfigNoQuorum
	case errors.Is(err, zab.ErrReconfigTooLarge):
		e.s.log.Warn().Err(err).Msg("reconfig refused: add or remove one voter at a time")
		return nil, znode.ErrUnimplemented
	case err != nil:
		e.s.log.Warn().Err(err).Msg("reconfig refused")
		return nil, fmt.Errorf("%w: %v", znode.ErrBadArguments, err)
	}
	if err := authorize(); err != nil {
		return nil, err
	}
	next.version = zxid
	e.reconfigPending = &next
	return []byte(next.String()), nil
}

// applyMembership makes m the membership of this member: zab's observers,
// the transport's peers, and what conf and mntr report. It runs on the run
// goroutine when a reconfig txn is applied or a snapshot brings a newer one.
func (e *ensemble) applyMembership(m membership) {
	if p := e.reconfigPending; p != nil && p.version <= m.version {
		e.reconfigPending = nil
	}
	if m.version <= e.members.version {
		return
	}
	// zab follows the membership in its log by itself (ConfigOf); the
	// transport learns addresses here. A member still in zab's membership
	// (a later change not applied yet) keeps its link.
	peers := m.peers()
	inUse := e.node.Membership()
	for _, id := range slices.Concat(inUse.Voters, inUse.Observers) {
		if _, ok := peers[id]; !ok {
			if old, ok := e.members.get(id); ok {
				peers[id] = old.PeerAddr()
			}
		}
	}
	if err := e.tr.setPeers(peers); err != nil {
		e.s.log.Error().Err(err).Msg("reconfig: peer addresses")
	}
	e.voters = len(m.voters())
	e.members = m
	e.publishMembers()
	e.s.log.Info().Str("version", strconv.FormatInt(m.version, 16)).Str("voters", fmt.Sprint(m.voters())).
		Str("observers", fmt.Sprint(m.observers())).Msg("membership changed by reconfig")
	if _, ok := m.get(e.s.cfg.ServerID); !ok {
		e.s.log.Warn().Msg("this member was removed from the ensemble by reconfig")
	}
}

// onReconfigApplied applies the membership a reconfig txn set.
func (e *ensemble) onReconfigApplied(data []byte) {
	m, err := parseMembership(string(data))
	if err != nil {
		e.s.log.Error().Err(err).Msg("a committed reconfig does not parse; membership unchanged")
		return
	}
	e.applyMembership(m)
}

// adoptTreeMembership applies the membership in the tree when it is newer
// than this member's (after a snapshot from the leader).
func (e *ensemble) adoptTreeMembership() {
	m, err := parseMembership(string(e.s.tree.ConfigData()))
	if err != nil || m.version == 0 {
		return
	}
	e.applyMembership(m)
}

// publishMembers makes the membership visible to the four-letter words.
func (e *ensemble) publishMembers() {
	m := e.members
	e.membersView.Store(&m)
}

// specFromMeta turns what a gossip member advertises into its server
// line; it fails when an address is missing or malformed.
func specFromMeta(m discovery.Meta) (ServerSpec, error) {
	s := ServerSpec{ID: zab.ServerID(m.ServerID), Role: PeerObserver}
	if m.Role == discovery.RoleVoter {
		s.Role = PeerParticipant
	}
	if s.ID == 0 {
		return s, fmt.Errorf("%w: member advertises no server id", errBadMembership)
	}
	host, port, err := net.SplitHostPort(m.PeerAddr)
	if err != nil {
		return s, fmt.Errorf("%w: server.%d: peer address %q: %v", errBadMembership, s.ID, m.PeerAddr, err)
	}
	s.Host = host
	var reason string
	if s.PeerPort, reason = parsePort(port, "peer port"); reason != "" {
		return s, fmt.Errorf("%w: server.%d: %s", errBadMembership, s.ID, reason)
	}
	ehost, eport, err := net.SplitHostPort(m.ElectionAddr)
	if err != nil || ehost != host {
		return s, fmt.Errorf("%w: server.%d: election address %q: want host:port on the peer host %s", errBadMembership, s.ID, m.ElectionAddr, host)
	}
	if s.ElectionPort, reason = parsePort(eport, "election port"); reason != "" {
		return s, fmt.Errorf("%w: server.%d: %s", errBadMembership, s.ID, reason)
	}
	chost, cport, err := net.SplitHostPort(m.ClientAddr)
	if err != nil {
		return s, fmt.Errorf("%w: server.%d: client address %q: %v", errBadMembership, s.ID, m.ClientAddr, err)
	}
	if s.ClientPort, reason = parsePort(cport, "client port"); reason != "" {
		return s, fmt.Errorf("%w: server.%d: %s", errBadMembership, s.ID, reason)
	}
	s.ClientHost = chost
	return s, nil
}

// admitObserver asks this member to add spec as an observer by a reconfig
// txn, as the leader does for an observer that joined through gossip. Any
// goroutine may call it; it never blocks. The request is dropped when the
// queue is full, and ignored by a member that is not the established
// leader, while another reconfig is in progress, or when spec is already a
// member with the same addresses: the caller asks again on its next
// sighting of the member.
func (e *ensemble) admitObserver(spec ServerSpec) {
	select {
	case e.admits <- spec:
	default:
	}
}

// handleAdmit is admitObserver on the run goroutine.
func (e *ensemble) handleAdmit(spec ServerSpec) {
	if zab.Role(e.role.Load()) != zab.RoleLeading || !e.serving.Load() || e.reconfigPending != nil || e.applied < e.epochStart {
		return
	}
	if cur, ok := e.members.get(spec.ID); ok {
		if cur.Role == PeerParticipant {
			e.s.log.Warn().Uint64("server_id", uint64(spec.ID)).Msg("refusing to admit an observer with a voter's server id")
			return
		}
		if cur.String() == spec.String() {
			return
		}
	}
	spec.Role = PeerObserver
	e.s.log.Info().Str("server", spec.String()).Msg("admitting an observer that joined through gossip")
	e.propose(znode.Request{
		Type:     jute.OpReconfig,
		Body:     &jute.ReconfigRequest{JoiningServers: spec.String(), CurConfigID: -1},
		Auth:     []jute.Id{{Scheme: znode.SchemeSuper}},
		Internal: true,
	}, nil)
}
