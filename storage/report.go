package storage

// RecoveryReport says what Open did to the directory, so the server can
// log it: nothing here is an error, but an operator may want to know.
type RecoveryReport struct {
	// TornTailPath is the segment whose damaged tail was cut off, or "".
	TornTailPath string
	// TornTailOffset is where the cut was made; TornTailBytes how many
	// bytes (damaged record and zero padding) were cut.
	TornTailOffset, TornTailBytes int64
	// TornTailReason says why the first cut record did not verify.
	TornTailReason string
	// SkippedSnapshots lists newer snapshots that did not verify and were
	// passed over (the log covered the gap), with the reason.
	SkippedSnapshots []string
	// RemovedFiles lists files Open removed: leftover temporary files,
	// segments replaced by a SNAP, an empty newest segment.
	RemovedFiles []string
	// Entries is the number of log records recovered.
	Entries int
}

// Recovery returns what Open did. It does not change afterwards.
func (s *Store) Recovery() RecoveryReport {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.report
	r.SkippedSnapshots = append([]string(nil), r.SkippedSnapshots...)
	r.RemovedFiles = append([]string(nil), r.RemovedFiles...)
	return r
}
