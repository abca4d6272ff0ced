package sidecar

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/zkmesh/zkmesh/zab"
)

// The admin HTTP server is a small subset of ZooKeeper's AdminServer: the
// same keys (admin.enableServer, admin.serverAddress, admin.serverPort), the
// same /commands/<name> URLs answering JSON with "command" and "error"
// fields. It serves only what zkmesh adds:
//
//	GET /commands/members   the gossip fleet as this member sees it (MembersReport)
//
// Any other command answers 404 with a JSON error.

// MembersReport is the answer of GET /commands/members, which `zkmesh
// members` prints.
type MembersReport struct {
	// Command is "members"; Error is null on success, as ZooKeeper's
	// AdminServer answers.
	Command string  `json:"command"`
	Error   *string `json:"error"`
	// Gossip is false when this member runs no gossip; Members then holds
	// nothing.
	Gossip bool `json:"gossip"`
	// Local is this member's gossip name.
	Local string `json:"local"`
	// LeaderID is the leader this member follows or is (0: standalone, or no
	// leader established).
	LeaderID uint64 `json:"leader_id"`
	// ReferenceZxid is what lags are measured from: the highest last-applied
	// zxid advertised by a live member (the leader's is among them).
	ReferenceZxid int64 `json:"reference_zxid"`
	// Members lists every member known, sorted by name.
	Members []MemberReport `json:"members"`
}

// MemberReport is one member of MembersReport.
type MemberReport struct {
	Name       string `json:"name"`
	GossipAddr string `json:"gossip_addr"`
	ServerID   uint64 `json:"server_id"`
	// Role is the advertised role: voter, observer or candidate.
	Role string `json:"role"`
	// Leader is set on the member whose server id is LeaderID.
	Leader bool `json:"leader"`
	// State is alive, suspect, dead or left, as this member sees it.
	State string `json:"state"`
	// SinceMs is how long ago it entered State, in milliseconds.
	SinceMs      int64  `json:"since_ms"`
	Zone         string `json:"zone"`
	Region       string `json:"region"`
	ClientAddr   string `json:"client_addr"`
	PeerAddr     string `json:"peer_addr"`
	ElectionAddr string `json:"election_addr"`
	XDSAddr      string `json:"xds_addr"`
	Version      string `json:"version"`
	// Zxid is the member's last applied zxid as it last advertised it
	// (advertisements are rate limited, so it may be a second old).
	Zxid int64 `json:"zxid"`
	// Lag is how many txns the member is behind ReferenceZxid when both are
	// in the same epoch; LagEpochs is how many epochs it is behind (Lag is
	// then the zxid difference, not a count of txns).
	Lag       int64 `json:"lag"`
	LagEpochs int64 `json:"lag_epochs"`
	Local     bool  `json:"local"`
	Leaving   bool  `json:"leaving"`
}

// MembersReport returns the gossip fleet as this member sees it. Safe from
// any goroutine once Run has started serving.
func (s *Server) MembersReport() MembersReport {
	r := MembersReport{Command: "members", Members: []MemberReport{}}
	if s.ens != nil && s.ens.serving.Load() {
		r.LeaderID = s.ens.leader.Load()
	}
	if s.gossip == nil {
		return r
	}
	r.Gossip = true
	r.Local = s.gossip.members.Name()
	ms := s.gossip.members.Members()
	for _, m := range ms {
		if m.State.Live() && m.Meta.LastZxid > r.ReferenceZxid {
			r.ReferenceZxid = m.Meta.LastZxid
		}
	}
	now := time.Now()
	for _, m := range ms {
		mr := MemberReport{
			Name:         m.Name,
			GossipAddr:   m.Addr,
			ServerID:     m.Meta.ServerID,
			Role:         m.Meta.Role.String(),
			Leader:       r.LeaderID != 0 && m.Meta.ServerID == r.LeaderID && m.State.Live(),
			State:        m.State.String(),
			Zone:         m.Meta.Zone,
			Region:       m.Meta.Region,
			ClientAddr:   m.Meta.ClientAddr,
			PeerAddr:     m.Meta.PeerAddr,
			ElectionAddr: m.Meta.ElectionAddr,
			XDSAddr:      m.Meta.XDSAddr,
			Version:      m.Meta.Version,
			Zxid:         m.Meta.LastZxid,
			Local:        m.Local,
			Leaving:      m.Meta.Leaving,
		}
		if !m.Since.IsZero() {
			mr.SinceMs = now.Sub(m.Since).Milliseconds()
		}
		mr.Lag, mr.LagEpochs = zxidLag(r.ReferenceZxid, m.Meta.LastZxid)
		r.Members = append(r.Members, mr)
	}
	return r
}

// zxidLag is how far zxid is behind ref: txns within one epoch, or epochs
// (and the raw zxid difference) across epochs. Never negative.
func zxidLag(ref, zxid int64) (lag, epochs int64) {
	if zxid >= ref {
		return 0, 0
	}
	re, ze := int64(zab.Zxid(ref).Epoch()), int64(zab.Zxid(zxid).Epoch())
	return ref - zxid, re - ze
}

// startAdmin starts the admin HTTP server when AdminEnabled. An address
// that cannot be bound is a startup error when admin.serverAddress or
// admin.serverPort was configured, and only a warning for the default (so
// that several members can share a test host), as for xds.address.
func (s *Server) startAdmin() (stop func(), err error) {
	if !s.cfg.AdminEnabled() {
		return func() {}, nil
	}
	addr := s.cfg.AdminAddr()
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		for _, key := range []string{"admin.serverPort", "admin.serverAddress"} {
			if origin := s.cfg.origin[key]; origin != "" {
				return nil, &ConfigError{Key: key, Value: addr, Origin: origin, Reason: err.Error(), Err: ErrInvalidConfig}
			}
		}
		s.log.Warn().Err(err).Str("addr", addr).Msg("admin server not started: default address unavailable (set admin.serverPort)")
		return func() {}, nil
	}
	s.adminLis = lis
	mux := http.NewServeMux()
	mux.HandleFunc("/commands/members", func(w http.ResponseWriter, r *http.Request) {
		writeAdminJSON(w, http.StatusOK, s.MembersReport())
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/commands/")
		msg := "unknown command " + name + "; zkmesh's admin server serves /commands/members"
		writeAdminJSON(w, http.StatusNotFound, map[string]any{"command": name, "error": msg})
	})
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := hs.Serve(lis); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error().Err(err).Msg("admin server failed")
		}
	}()
	s.log.Info().Str("addr", lis.Addr().String()).Msg("serving admin HTTP (/commands/members)")
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := hs.Shutdown(ctx); err != nil {
			hs.Close()
		}
		<-done
	}, nil
}

func writeAdminJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// AdminAddr returns the address the admin HTTP server listens on, or nil
// when it does not run.
func (s *Server) AdminAddr() net.Addr {
	if s.adminLis == nil {
		return nil
	}
	return s.adminLis.Addr()
}

// GossipAddr returns the gossip address this member advertises, or "" when
// gossip does not run.
func (s *Server) GossipAddr() string {
	if s.gossip == nil {
		return ""
	}
	return s.gossip.members.Addr()
}
