package zab

import (
	"errors"
	"testing"
)

// An observer added by SetObservers on the voters syncs and gets every
// txn; removed again, its leader drops it and it stops being synced.
func TestSetObserversAddsAndRemoves(t *testing.T) {
	w := newWorld(t, 3, 0)
	l := w.stable()
	z1 := w.propose(l, "before")
	w.deliver(0)

	// Member 4 knows itself as an observer; the voters do not know it yet.
	w.boot(4, []ServerID{1, 2, 3}, []ServerID{4}, NewMemoryStorage())
	w.tick(30)
	if w.peers[4].n.Status().Synced {
		t.Fatal("an observer the voters do not know synced")
	}

	for _, id := range []ServerID{1, 2, 3} {
		must(t, w.peers[id].n.SetObservers([]ServerID{4}))
	}
	for i := 0; i < 60 && !w.peers[4].n.Status().Synced; i++ {
		w.tick(1)
	}
	if !w.peers[4].n.Status().Synced {
		t.Fatal("added observer never synced")
	}
	z2 := w.propose(l, "after")
	w.deliver(0)
	w.tick(2)
	if got := w.peers[4].n.Status().Applied; got < z2 {
		t.Fatalf("observer applied %s, want >= %s (first txn %s)", got, z2, z1)
	}
	if s := w.peers[l].n.Status(); s.SyncedObservers != 1 {
		t.Fatalf("leader counts %d synced observers, want 1", s.SyncedObservers)
	}

	for _, id := range []ServerID{1, 2, 3} {
		must(t, w.peers[id].n.SetObservers(nil))
	}
	if s := w.peers[l].n.Status(); s.SyncedObservers != 0 {
		t.Fatalf("leader still counts %d synced observers after removal", s.SyncedObservers)
	}
	for i := 0; i < DefaultConfig().SyncLimitTicks+5; i++ {
		w.tick(1)
	}
	if w.peers[4].n.Status().Synced {
		t.Fatal("removed observer still synced")
	}
	if s := w.peers[l].n.Status(); s.Role != RoleLeading || !s.Established {
		t.Fatalf("leader lost leadership over an observer change: %+v", s)
	}
}

func TestSetObserversRefusesBadSets(t *testing.T) {
	w := newWorld(t, 3, 1)
	n := w.peers[1].n
	for _, obs := range [][]ServerID{{0}, {4, 4}, {2}} {
		if err := n.SetObservers(obs); !errors.Is(err, ErrConfig) {
			t.Errorf("SetObservers(%v) = %v, want ErrConfig", obs, err)
		}
	}
	if got := n.Observers(); len(got) != 1 || got[0] != 4 {
		t.Fatalf("observers changed by refused calls: %v", got)
	}
}
