package difftest

import (
	"github.com/zkmesh/zkmesh/internal/zktest"
	"github.com/zkmesh/zkmesh/jute"
)

// seqModes: every CreateMode through the opcode that accepts it and through
// those that refuse it, sequential numbering (padding, gaps after deletes,
// shared counter between modes), children of ephemerals, getEphemerals.
func seqModes(e *Env) {
	e.Create("c1", "/modes", "", jute.ModePersistent)
	e.Create("c1", "/modes/p", "p", jute.ModePersistent)
	e.Create("c1", "/modes/e", "e", jute.ModeEphemeral)
	e.Create("c1", "/modes/ps-", "ps", jute.ModePersistentSequential)
	e.Create("c1", "/modes/es-", "es", jute.ModeEphemeralSequential)
	e.CreateOp("c1", zktest.MultiOp{Op: jute.OpCreateContainer, Path: "/modes/c", ACL: open, Mode: jute.ModeContainer})
	e.CreateOp("c1", zktest.MultiOp{Op: jute.OpCreateTTL, Path: "/modes/t", ACL: open, Mode: jute.ModePersistentWithTTL, TTLMs: 600000})
	e.CreateOp("c1", zktest.MultiOp{Op: jute.OpCreateTTL, Path: "/modes/ts-", ACL: open, Mode: jute.ModePersistentSequentialWithTTL, TTLMs: 600000})
	// Modes sent through the wrong opcode, and bad TTLs.
	e.Create("c1", "/modes/c2", "", jute.ModeContainer)
	e.Create("c1", "/modes/t2", "", jute.ModePersistentWithTTL)
	e.CreateOp("c1", zktest.MultiOp{Op: jute.OpCreateContainer, Path: "/modes/c3", ACL: open, Mode: jute.ModePersistent})
	e.CreateOp("c1", zktest.MultiOp{Op: jute.OpCreateTTL, Path: "/modes/t3", ACL: open, Mode: jute.ModePersistent, TTLMs: 1000})
	e.CreateOp("c1", zktest.MultiOp{Op: jute.OpCreateTTL, Path: "/modes/t4", ACL: open, Mode: jute.ModePersistentWithTTL, TTLMs: 0})
	e.CreateOp("c1", zktest.MultiOp{Op: jute.OpCreateTTL, Path: "/modes/t5", ACL: open, Mode: jute.ModePersistentWithTTL, TTLMs: -5})
	e.CreateOp("c1", zktest.MultiOp{Op: jute.OpCreateTTL, Path: "/modes/t6", ACL: open, Mode: jute.ModePersistentWithTTL, TTLMs: 1 << 40})
	e.CreateOp("c1", zktest.MultiOp{Op: jute.OpCreate, Path: "/modes/plain-", ACL: open, Mode: jute.ModePersistentSequential})
	for _, m := range []jute.CreateMode{jute.ModePersistent, jute.ModeEphemeral, jute.ModePersistentSequential, jute.ModeEphemeralSequential} {
		e.Create("c1", "/modes/e/child", "", m)
	}
	e.Create("c1", "/modes/seq", "", jute.ModePersistent)
	e.Create("c1", "/modes/seq/n-", "", jute.ModePersistentSequential)
	e.Create("c1", "/modes/seq/n-", "", jute.ModeEphemeralSequential)
	e.Create("c1", "/modes/seq/plain", "", jute.ModePersistent)
	e.Create("c1", "/modes/seq/n-", "", jute.ModePersistentSequential)
	e.Del("c1", "/modes/seq/n-0000000001", -1)
	e.Create("c1", "/modes/seq/n-", "", jute.ModePersistentSequential)
	e.Create("c1", "/modes/seq/", "", jute.ModePersistentSequential)
	e.Create("c1", "/modes/seq/m-", "", jute.ModePersistentSequential)
	e.Create("c1", "/modes/seq/n-0000000002", "", jute.ModePersistentSequential)
	e.Children2("c1", "/modes/seq", false)
	e.Get("c1", "/modes/seq", false)
	e.Get("c1", "/modes/e", false)
	e.Get("c1", "/modes/c", false)
	e.Get("c1", "/modes/t", false)
	e.Ephemerals("c1", "/modes")
	e.Ephemerals("c1", "/modes/seq")
	e.Ephemerals("c1", "/")
	e.Ephemerals("c1", "/modes/nothing")
	e.Ephemerals("c2", "/modes")
	e.Close("c1")
	e.Children("c2", "/modes", false)
	e.Children("c2", "/modes/seq", false)
	e.Close("c2")
}
