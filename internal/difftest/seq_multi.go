package difftest

import (
	"github.com/zkmesh/zkmesh/internal/zktest"
	"github.com/zkmesh/zkmesh/jute"
)

// seqMulti: multi that succeeds with every write op, multi with one failing
// op (results per op, nothing applied), version conflicts inside multi,
// the empty multi, multiRead with missing nodes.
func seqMulti(e *Env) {
	e.Create("c1", "/multi", "", jute.ModePersistent)
	e.Multi("c1",
		zktest.MultiOp{Op: jute.OpCreate, Path: "/multi/a", Data: []byte("a"), ACL: open},
		zktest.MultiOp{Op: jute.OpCreate2, Path: "/multi/b", Data: []byte("b"), ACL: open},
		zktest.MultiOp{Op: jute.OpCreate, Path: "/multi/s-", ACL: open, Mode: jute.ModePersistentSequential},
		zktest.MultiOp{Op: jute.OpCreateContainer, Path: "/multi/c", ACL: open, Mode: jute.ModeContainer},
		zktest.MultiOp{Op: jute.OpCreateTTL, Path: "/multi/t", ACL: open, Mode: jute.ModePersistentWithTTL, TTLMs: 600000},
		zktest.MultiOp{Op: jute.OpSetData, Path: "/multi/a", Data: []byte("a2"), Version: 0},
		zktest.MultiOp{Op: jute.OpCheck, Path: "/multi/a", Version: 1},
		zktest.MultiOp{Op: jute.OpDelete, Path: "/multi/b", Version: -1},
	)
	e.Children2("c1", "/multi", false)
	e.Multi("c1",
		zktest.MultiOp{Op: jute.OpCreate, Path: "/multi/d", ACL: open},
		zktest.MultiOp{Op: jute.OpSetData, Path: "/multi/a", Data: []byte("x"), Version: 7},
		zktest.MultiOp{Op: jute.OpCreate, Path: "/multi/e", ACL: open},
	)
	e.Exists("c1", "/multi/d", false)
	e.Multi("c1",
		zktest.MultiOp{Op: jute.OpCheck, Path: "/multi/a", Version: 0},
	)
	e.Multi("c1",
		zktest.MultiOp{Op: jute.OpCreate, Path: "/multi/f", ACL: open},
		zktest.MultiOp{Op: jute.OpCreate, Path: "/multi/f", ACL: open},
	)
	e.Multi("c1",
		zktest.MultiOp{Op: jute.OpDelete, Path: "/multi/a", Version: -1},
		zktest.MultiOp{Op: jute.OpSetData, Path: "/multi/a", Data: []byte("gone"), Version: -1},
	)
	e.Multi("c1",
		zktest.MultiOp{Op: jute.OpCreate, Path: "/multi/g", ACL: open},
		zktest.MultiOp{Op: jute.OpCreate, Path: "/multi/g/h", ACL: open, Mode: jute.ModeEphemeral},
		zktest.MultiOp{Op: jute.OpDelete, Path: "/multi/g", Version: -1},
	)
	e.Multi("c1")
	e.Get("c1", "/multi/a", false)
	e.MultiRead("c1",
		zktest.MultiOp{Op: jute.OpGetData, Path: "/multi/a"},
		zktest.MultiOp{Op: jute.OpGetChildren, Path: "/multi"},
		zktest.MultiOp{Op: jute.OpGetData, Path: "/multi/none"},
		zktest.MultiOp{Op: jute.OpGetChildren, Path: "/multi/none"},
		zktest.MultiOp{Op: jute.OpGetData, Path: "/multi/a"},
	)
	e.MultiRead("c1")
	e.Close("c1")
}
