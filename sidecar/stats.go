package sidecar

import (
	"math"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/zkmesh/zkmesh/zab"
)

// serverStats are the server-wide counters srvr, stat and mntr report.
type serverStats struct {
	received atomic.Int64
	sent     atomic.Int64

	mu       sync.Mutex
	minLat   time.Duration
	maxLat   time.Duration
	sumLat   time.Duration
	countLat int64
}

func (st *serverStats) latency(d time.Duration) {
	st.sent.Add(1)
	st.mu.Lock()
	if st.countLat == 0 || d < st.minLat {
		st.minLat = d
	}
	if d > st.maxLat {
		st.maxLat = d
	}
	st.sumLat += d
	st.countLat++
	st.mu.Unlock()
}

func (st *serverStats) reset() {
	st.received.Store(0)
	st.sent.Store(0)
	st.mu.Lock()
	st.minLat, st.maxLat, st.sumLat, st.countLat = 0, 0, 0, 0
	st.mu.Unlock()
}

// connStats are one connection's counters for cons.
type connStats struct {
	established time.Time
	received    int64 // only the reader goroutine writes it
	sent        int64 // guarded by conn.outMu
}

// ServerStats implements FourLetterSource.
func (s *Server) ServerStats() ServerStats {
	c := s.tree.Counts()
	w := s.tree.Watches()
	st := ServerStats{
		Serving:  true,
		Mode:     "standalone",
		LastZxid: zab.Zxid(s.tree.LastZxid()),
		// ZooKeeper's node map holds the root under both "" and "/", and
		// its figures count it twice.
		NodeCount:                c.Nodes + 1,
		PacketsReceived:          s.stats.received.Load(),
		PacketsSent:              s.stats.sent.Load(),
		WatchCount:               w.Watches,
		EphemeralsCount:          c.Ephemerals,
		ApproximateDataSizeBytes: c.DataBytes,
		GlobalSessions:           int64(s.sessions.count()),
		UptimeMs:                 time.Since(s.started).Milliseconds(),
		LastClientResponseBytes:  -1,
		MinClientResponseBytes:   -1,
		MaxClientResponseBytes:   -1,
		LastProposalBytes:        -1,
		MinProposalBytes:         -1,
		MaxProposalBytes:         -1,
		DataDirBytes:             dirSize(s.cfg.DataDir),
		LogDirBytes:              dirSize(s.cfg.DataLogDirOrDefault()),
		OutstandingRequests:      int64(len(s.outstanding)),
	}
	if err := s.StorageError(); err != nil {
		st.StorageError = err.Error()
	}
	if s.feed != nil {
		rs := s.feed.Stats()
		st.Registry = true
		st.RegistryServices, st.RegistryEndpoints, st.RegistryMalformed = rs.Services, rs.Endpoints, rs.MalformedTotal
	}
	st.Gossip = s.gossipStats()
	if e := s.ens; e != nil {
		st.Serving = e.serving.Load() || s.readOnly.Load()
		st.ReadOnly = s.readOnly.Load()
		zs := e.status()
		st.QuorumSize = zs.voters
		if m := e.membersView.Load(); m != nil {
			st.Members, st.ConfigVersion = m.servers, m.version
		}
		switch zs.Role {
		case zab.RoleLeading:
			st.Mode, st.PeerState = "leader", "leading - broadcast"
			st.SyncedFollowers, st.SyncedObservers, st.PendingSyncs = zs.SyncedFollowers, zs.SyncedObservers, zs.PendingSyncs
			st.Learners = zs.SyncedFollowers + zs.SyncedObservers + zs.PendingSyncs
		case zab.RoleFollowing:
			st.Mode, st.PeerState = "follower", "following - broadcast"
		case zab.RoleObserving:
			st.Mode, st.PeerState = "observer", "observing - broadcast"
			st.ObserverMasterID = zs.Leader
		default:
			st.Mode, st.PeerState = "looking", "looking - election"
			if st.ReadOnly {
				st.Mode = "read-only"
			}
		}
	}
	s.mu.Lock()
	st.AliveConnections = len(s.conns)
	s.mu.Unlock()
	s.stats.mu.Lock()
	st.MinLatencyMs = s.stats.minLat.Milliseconds()
	st.MaxLatencyMs = s.stats.maxLat.Milliseconds()
	if s.stats.countLat > 0 {
		st.AvgLatencyMs = float64(s.stats.sumLat.Microseconds()) / 1000 / float64(s.stats.countLat)
	}
	s.stats.mu.Unlock()
	var rl syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl) == nil {
		st.MaxFileDescriptors = int64(rl.Cur)
	}
	if ents, err := os.ReadDir("/proc/self/fd"); err == nil {
		st.OpenFileDescriptors = int64(len(ents))
	}
	return st
}

func dirSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

// Connections implements FourLetterSource.
func (s *Server) Connections() []ConnStats {
	s.mu.Lock()
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	sort.Slice(conns, func(i, j int) bool { return conns[i].stats.established.Before(conns[j].stats.established) })
	out := make([]ConnStats, 0, len(conns))
	for _, c := range conns {
		c.outMu.Lock()
		sent := c.stats.sent
		c.outMu.Unlock()
		c.mu.Lock()
		queued := int64(len(c.pending))
		c.mu.Unlock()
		out = append(out, ConnStats{
			RemoteAddr:       c.nc.RemoteAddr().String(),
			InterestOps:      1,
			QueuedRequests:   queued,
			PacketsReceived:  atomic.LoadInt64(&c.stats.received),
			PacketsSent:      sent,
			SessionID:        c.session(),
			LastOperation:    "NA",
			EstablishedAt:    c.stats.established,
			SessionTimeoutMs: int(c.readTimeout().Milliseconds()),
			LastCxid:         -1,
			LastZxid:         zab.Zxid(s.tree.LastZxid()),
		})
	}
	return out
}

// ResetServerStats implements FourLetterSource.
func (s *Server) ResetServerStats() { s.stats.reset() }

// ResetConnStats implements FourLetterSource.
func (s *Server) ResetConnStats() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.outMu.Lock()
		c.stats.sent = 0
		c.outMu.Unlock()
		atomic.StoreInt64(&c.stats.received, 0)
	}
}

// DataWatches implements FourLetterSource.
func (s *Server) DataWatches() map[int64][]string { return s.tree.DataWatches() }

// EphemeralsBySession implements FourLetterSource.
func (s *Server) EphemeralsBySession() map[int64][]string { return s.tree.EphemeralsBySession() }

// SessionExpiry implements FourLetterSource.
func (s *Server) SessionExpiry() []SessionBucket {
	tick := s.tickDuration()
	byTick := map[int64][]int64{}
	s.sessions.mu.Lock()
	for id, d := range s.sessions.deadlines {
		k := int64(math.Ceil(float64(d.UnixNano()) / float64(tick)))
		byTick[k] = append(byTick[k], id)
	}
	s.sessions.mu.Unlock()
	out := make([]SessionBucket, 0, len(byTick))
	for k, ids := range byTick {
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
		out = append(out, SessionBucket{ExpireAt: time.Unix(0, k*int64(tick)), SessionIDs: ids})
	}
	return out
}

// ConnectionExpiry implements FourLetterSource.
func (s *Server) ConnectionExpiry() []ConnBucket { return nil }

// Environment implements FourLetterSource.
func (s *Server) Environment() []EnvEntry { return ProcessEnvironment() }

var _ FourLetterSource = (*Server)(nil)

// fourLetter answers a four-letter word on c.
func (s *Server) fourLetter(word string, c *conn) {
	out, known := FourLetter(word, s.cfg, s)
	if !known {
		return
	}
	c.send([]byte(out))
}
