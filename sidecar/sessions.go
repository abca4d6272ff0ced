package sidecar

import (
	"crypto/sha256"
	"encoding/binary"
	"sync"
	"time"
)

// sessionSecret salts session passwords. Like ZooKeeper's superSecret it is
// the same on every member, so a client can reconnect anywhere; it proves
// only that the client was handed the session, not who it is.
const sessionSecret uint64 = 0x7a6b6d6573680001

// sessionPassword derives the 16-byte password of a session.
func sessionPassword(id int64) []byte {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(id))
	binary.BigEndian.PutUint64(b[8:], sessionSecret)
	sum := sha256.Sum256(b[:])
	return sum[:16]
}

// sessionIDBase returns the first session id for server sid, started at now,
// as ZooKeeper's SessionTrackerImpl.initializeNextSessionId derives it: the
// server id in the top byte, then milliseconds.
func sessionIDBase(sid uint64, now time.Time) int64 {
	next := int64(uint64(now.UnixMilli()<<24) >> 8)
	next |= int64(sid << 56)
	if next == -1<<63 { // the container owner mark
		next++
	}
	return next
}

// sessionTracker knows every live session's deadline and finds the expired
// ones. It is safe for concurrent use.
type sessionTracker struct {
	mu   sync.Mutex
	next int64
	// Invariant: a session is in deadlines from the commit of its
	// createSession until the commit of its closeSession.
	deadlines map[int64]time.Time
	timeouts  map[int64]time.Duration
	closing   map[int64]bool
}

func newSessionTracker(sid uint64, now time.Time) *sessionTracker {
	return &sessionTracker{
		next:      sessionIDBase(sid, now),
		deadlines: make(map[int64]time.Time),
		timeouts:  make(map[int64]time.Duration),
		closing:   make(map[int64]bool),
	}
}

// newID returns a fresh session id.
func (t *sessionTracker) newID() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	id := t.next
	t.next++
	return id
}

// add starts tracking a session (after its createSession committed, or on
// recovery).
func (t *sessionTracker) add(id int64, timeout time.Duration, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.timeouts[id] = timeout
	t.deadlines[id] = now.Add(timeout)
}

// remove forgets a session (its closeSession committed).
func (t *sessionTracker) remove(id int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.timeouts, id)
	delete(t.deadlines, id)
	delete(t.closing, id)
}

// touch extends a live session's deadline. It reports false if the session
// is unknown or closing.
func (t *sessionTracker) touch(id int64, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	to, ok := t.timeouts[id]
	if !ok || t.closing[id] {
		return false
	}
	t.deadlines[id] = now.Add(to)
	return true
}

// alive reports whether id is tracked and not closing.
func (t *sessionTracker) alive(id int64) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	_, ok := t.timeouts[id]
	return ok && !t.closing[id]
}

// markClosing marks a session as closing and reports whether it was live;
// only the first caller gets true, so a session is closed once.
func (t *sessionTracker) markClosing(id int64) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.timeouts[id]; !ok || t.closing[id] {
		return false
	}
	t.closing[id] = true
	return true
}

// expired marks and returns the sessions whose deadline is before now.
func (t *sessionTracker) expired(now time.Time) []int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []int64
	for id, d := range t.deadlines {
		if now.After(d) && !t.closing[id] {
			t.closing[id] = true
			out = append(out, id)
		}
	}
	return out
}

// count returns the number of tracked sessions.
func (t *sessionTracker) count() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.timeouts)
}
