package difftest

import (
	"github.com/zkmesh/zkmesh/internal/zktest"
	"github.com/zkmesh/zkmesh/jute"
)

// EnsembleSequences are run against 3-member ensembles, with clients on
// different members: writes forwarded by followers, watches fired on the
// member a client is connected to, sync before reading another member's
// write, ephemerals and session close seen from other members, sequence
// numbers assigned by the leader whatever member a create came through.
func EnsembleSequences() []Sequence {
	return []Sequence{{"ensemble", seqEnsemble}}
}

func seqEnsemble(e *Env) {
	e.Place("w1", 0)
	e.Place("w2", 1)
	e.Place("r3", 2)
	e.Place("x2", 1)
	e.Create("w1", "/ensemble", "", jute.ModePersistent)
	e.Sync("r3", "/ensemble")
	e.Children("r3", "/ensemble", true)
	e.Exists("r3", "/ensemble/a", true)
	e.Create("w2", "/ensemble/a", "from-2", jute.ModePersistent)
	e.Events("r3", 2)
	e.Get("r3", "/ensemble/a", true)
	e.Set("w1", "/ensemble/a", "from-1", 0)
	e.Set("w2", "/ensemble/a", "stale", 0)
	e.Events("r3", 3)
	e.Sync("r3", "/ensemble/a")
	e.Get("r3", "/ensemble/a", false)
	for _, w := range []string{"w1", "w2", "r3", "w2", "w1"} {
		e.Create(w, "/ensemble/s-", w, jute.ModePersistentSequential)
	}
	e.Sync("w1", "/ensemble")
	e.Children2("w1", "/ensemble", false)
	e.Multi("w2",
		zktest.MultiOp{Op: jute.OpCreate, Path: "/ensemble/m", ACL: open},
		zktest.MultiOp{Op: jute.OpSetData, Path: "/ensemble/a", Data: []byte("multi"), Version: 1},
		zktest.MultiOp{Op: jute.OpCheck, Path: "/ensemble/a", Version: 2},
	)
	e.Multi("w2",
		zktest.MultiOp{Op: jute.OpCreate, Path: "/ensemble/n", ACL: open},
		zktest.MultiOp{Op: jute.OpCheck, Path: "/ensemble/a", Version: 9},
	)
	e.Sync("r3", "/ensemble")
	e.MultiRead("r3",
		zktest.MultiOp{Op: jute.OpGetData, Path: "/ensemble/a"},
		zktest.MultiOp{Op: jute.OpGetChildren, Path: "/ensemble"},
		zktest.MultiOp{Op: jute.OpGetData, Path: "/ensemble/n"},
	)
	// An ephemeral created through member 2 vanishes everywhere when its
	// session closes, and member 3's watchers hear of it.
	e.Create("x2", "/ensemble/eph", "", jute.ModeEphemeral)
	e.Sync("r3", "/ensemble/eph")
	e.Exists("r3", "/ensemble/eph", true)
	e.Ephemerals("x2", "/ensemble")
	e.Close("x2")
	e.Events("r3", 4)
	e.AddWatch("r3", "/ensemble", jute.AddWatchModePersistentRecursive)
	e.Create("w1", "/ensemble/m/deep", "", jute.ModePersistent)
	e.Del("w2", "/ensemble/m/deep", -1)
	e.Events("r3", 6)
	e.Quiet("r3")
	e.Close("w1")
	e.Close("w2")
	e.Close("r3")
}
