package difftest

import (
	"github.com/zkmesh/zkmesh/internal/zktest"
	"github.com/zkmesh/zkmesh/jute"
)

// opCreate is a create2 of path with acl.
func opCreate(path string, acl []jute.ACL) zktest.MultiOp {
	return zktest.MultiOp{Op: jute.OpCreate2, Path: path, ACL: acl}
}

// seqWatch: one-shot data, exist and child watches: which event each write
// fires, on which client, in which order, and that a fired watch stays
// quiet afterwards.
func seqWatch(e *Env) {
	e.Create("w", "/watch", "", jute.ModePersistent)
	e.Create("w", "/watch/a", "x", jute.ModePersistent)
	e.C("c1")
	e.Get("c1", "/watch/a", true)
	e.Exists("c1", "/watch/a", true)
	e.Exists("c1", "/watch/b", true)
	e.Children("c1", "/watch", true)
	e.Get("c1", "/watch/none", true)
	e.Set("w", "/watch/a", "y", -1)
	e.Events("c1", 1)
	e.Set("w", "/watch/a", "z", -1)
	e.Create("w", "/watch/b", "", jute.ModePersistent)
	e.Events("c1", 3)
	e.Quiet("c1")

	// Delete fires the data and child watches of the node (once for the
	// session) and the parent's child watch.
	e.Exists("c1", "/watch/b", true)
	e.Children("c1", "/watch/b", true)
	e.Children2("c1", "/watch", true)
	e.Get("c2", "/watch/b", true)
	e.Del("w", "/watch/b", -1)
	e.Events("c1", 5)
	e.Events("c2", 1)
	e.Quiet("c1")
	e.Quiet("c2")

	// The writer's own watch fires too, before its reply.
	e.Get("w", "/watch/a", true)
	e.Set("w", "/watch/a", "self", -1)
	e.Events("w", 1)

	// A multi fires its watches in op order.
	e.Get("c1", "/watch/a", true)
	e.Children("c1", "/watch", true)
	e.Exists("c1", "/watch/m1", true)
	e.Multi("w",
		zktest.MultiOp{Op: jute.OpCreate, Path: "/watch/m1", ACL: open},
		zktest.MultiOp{Op: jute.OpSetData, Path: "/watch/a", Data: []byte("m"), Version: -1},
		zktest.MultiOp{Op: jute.OpCreate, Path: "/watch/m2", ACL: open},
	)
	e.Events("c1", 8)
	e.Quiet("c1")
	// A failed multi fires nothing.
	e.Exists("c1", "/watch/m3", true)
	e.Multi("w",
		zktest.MultiOp{Op: jute.OpCreate, Path: "/watch/m3", ACL: open},
		zktest.MultiOp{Op: jute.OpDelete, Path: "/watch/none", Version: -1},
	)
	e.Quiet("c1")
	e.Create("w", "/watch/m3", "", jute.ModePersistent)
	e.Events("c1", 9)
	e.Close("c1")
	e.Close("c2")
	e.Close("w")
}

// seqPersistent: addWatch persistent and persistent recursive, what each
// fires and for how long, checkWatches and removeWatches of every type.
func seqPersistent(e *Env) {
	e.Create("w", "/persist", "", jute.ModePersistent)
	e.Create("w", "/persist/r", "", jute.ModePersistent)
	e.AddWatch("c1", "/persist", jute.AddWatchModePersistent)
	e.AddWatch("c1", "/persist/r", jute.AddWatchModePersistentRecursive)
	e.AddWatch("c1", "/persist/none", jute.AddWatchModePersistent)
	e.AddWatch("c1", "/persist", 7)
	e.Create("w", "/persist/x", "", jute.ModePersistent)
	e.Events("c1", 1)
	e.Set("w", "/persist", "d", -1)
	e.Set("w", "/persist", "d2", -1)
	e.Events("c1", 3)
	e.Set("w", "/persist/x", "d", -1)
	e.Quiet("c1")
	e.Create("w", "/persist/r/y", "", jute.ModePersistent)
	e.Create("w", "/persist/r/y/z", "", jute.ModePersistent)
	e.Set("w", "/persist/r/y/z", "d", -1)
	e.Set("w", "/persist/r", "d", -1)
	e.Del("w", "/persist/r/y/z", -1)
	e.Events("c1", 8)
	e.Create("w", "/persist/none", "", jute.ModePersistent)
	e.Events("c1", 10)
	e.Quiet("c1")

	e.Get("c1", "/persist/x", true)
	e.CheckWatches("c1", "/persist/x", jute.WatcherData)
	e.CheckWatches("c1", "/persist/x", jute.WatcherChildren)
	e.CheckWatches("c1", "/persist/x", jute.WatcherAny)
	e.CheckWatches("c1", "/persist", jute.WatcherAny)
	e.CheckWatches("c1", "/persist", jute.WatcherData)
	e.CheckWatches("c1", "/persist/r", jute.WatcherChildren)
	e.CheckWatches("c1", "/persist/zz", jute.WatcherAny)
	e.RemoveWatches("c1", "/persist/x", jute.WatcherChildren)
	e.RemoveWatches("c1", "/persist/x", jute.WatcherData)
	e.CheckWatches("c1", "/persist/x", jute.WatcherData)
	e.Set("w", "/persist/x", "quiet", -1)
	e.Children("c1", "/persist/x", true)
	e.RemoveWatches("c1", "/persist/x", jute.WatcherAny)
	e.RemoveWatches("c1", "/persist/x", jute.WatcherAny)
	e.RemoveWatches("c1", "/persist", jute.WatcherData)
	e.Set("w", "/persist", "after-remove", -1)
	e.RemoveWatches("c1", "/persist", jute.WatcherAny)
	e.Set("w", "/persist", "after-remove-any", -1)
	e.Create("w", "/persist/x2", "", jute.ModePersistent)
	e.RemoveWatches("c1", "/persist/r", jute.WatcherAny)
	e.Create("w", "/persist/r/q", "", jute.ModePersistent)
	e.Quiet("c1")
	e.Close("c1")
	e.Close("w")
}
