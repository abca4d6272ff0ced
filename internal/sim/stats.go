package sim

import (
	"fmt"
)

// Stats counts the events of a run.
type Stats struct {
	Established, Crashes, LostWrites, Diff, Trunc, Snap int
	// Forwarded and Syncs count uses of the app channel.
	Forwarded, Syncs int
	// Reconfigs counts configurations a leader accepted, ReconfigsRefused
	// those it refused, ConfigsCommitted those that entered the history, and
	// Added the members started by a configuration.
	Reconfigs, ReconfigsRefused, ConfigsCommitted, Added int
}

// Add sums two Stats.
func (s *Stats) Add(o Stats) {
	s.Established += o.Established
	s.Crashes += o.Crashes
	s.LostWrites += o.LostWrites
	s.Diff += o.Diff
	s.Trunc += o.Trunc
	s.Snap += o.Snap
	s.Forwarded += o.Forwarded
	s.Syncs += o.Syncs
	s.Reconfigs += o.Reconfigs
	s.ReconfigsRefused += o.ReconfigsRefused
	s.ConfigsCommitted += o.ConfigsCommitted
	s.Added += o.Added
}

func (s Stats) String() string {
	return fmt.Sprintf("%d epochs established, %d crashes (%d with unsynced writes lost or torn), syncs: %d DIFF %d TRUNC %d SNAP; app channel: %d forwarded writes, %d sync answers; reconfig: %d accepted, %d refused, %d committed, %d members added",
		s.Established, s.Crashes, s.LostWrites, s.Diff, s.Trunc, s.Snap, s.Forwarded, s.Syncs,
		s.Reconfigs, s.ReconfigsRefused, s.ConfigsCommitted, s.Added)
}
