package difftest

import (
	"strings"

	"github.com/zkmesh/zkmesh/internal/zktest"
	"github.com/zkmesh/zkmesh/jute"
)

// seqCRUD: create/create2, exists, getData, setData, delete, getChildren,
// getChildren2, getAllChildrenNumber, sync, ping, check, with the error
// paths: node exists, no node, bad path, invalid ACL, version conflicts,
// not empty, the reserved /zookeeper subtree.
func seqCRUD(e *Env) {
	e.CreateOp("c1", zktest.MultiOp{Op: jute.OpCreate, Path: "/crud", Data: []byte("root"), ACL: open})
	e.Create("c1", "/crud/a", "hello", jute.ModePersistent)
	e.Create("c1", "/crud/a", "again", jute.ModePersistent)
	e.Create("c1", "/crud/x/y", "", jute.ModePersistent)
	e.Create("c1", "/crud/bad/", "", jute.ModePersistent)
	e.Create("c1", "/crud//bad", "", jute.ModePersistent)
	e.Create("c1", "/crud/./bad", "", jute.ModePersistent)
	e.Create("c1", "crud", "", jute.ModePersistent)
	e.CreateOp("c1", zktest.MultiOp{Op: jute.OpCreate2, Path: "/crud/noacl", ACL: []jute.ACL{}})
	e.CreateOp("c1", zktest.MultiOp{Op: jute.OpCreate2, Path: "/crud/nilacl"})
	e.CreateOp("c1", zktest.MultiOp{Op: jute.OpCreate2, Path: "/crud/badperm", ACL: []jute.ACL{{Perms: 0, ID: jute.AnyoneID}}})
	e.CreateOp("c1", zktest.MultiOp{Op: jute.OpCreate2, Path: "/crud/badscheme", ACL: []jute.ACL{{Perms: jute.PermAll, ID: jute.Id{Scheme: "nosuch", ID: "x"}}}})
	e.CreateOp("c1", zktest.MultiOp{Op: jute.OpCreate2, Path: "/crud/badmode", ACL: open, Mode: 9})
	e.Exists("c1", "/crud/a", false)
	e.Exists("c1", "/crud/none", false)
	e.Get("c1", "/crud/a", false)
	e.Get("c1", "/crud/none", false)
	e.Set("c1", "/crud/a", "v1", -1)
	e.Set("c1", "/crud/a", "v2", 1)
	e.Set("c1", "/crud/a", "v3", 5)
	e.Set("c1", "/crud/none", "v", -1)
	e.Set("c1", "/crud/a", "", -1)
	e.Get("c1", "/crud/a", false)
	e.Create("c1", "/crud/empty", "", jute.ModePersistent)
	e.CreateOp("c1", zktest.MultiOp{Op: jute.OpCreate2, Path: "/crud/nildata", ACL: open})
	e.Get("c1", "/crud/nildata", false)
	e.Create("c1", "/crud/big", strings.Repeat("z", 100000), jute.ModePersistent)
	e.Children("c1", "/crud", false)
	e.Children2("c1", "/crud", false)
	e.Children("c1", "/crud/none", false)
	for _, k := range []string{"k1", "k2", "k3"} {
		e.Create("c1", "/crud/a/"+k, k, jute.ModePersistent)
	}
	e.Create("c1", "/crud/a/k1/g", "", jute.ModePersistent)
	e.AllChildren("c1", "/crud")
	e.AllChildren("c1", "/crud/a")
	e.AllChildren("c1", "/crud/empty")
	e.AllChildren("c1", "/crud/none")
	e.Del("c1", "/crud/a", -1)
	e.Del("c1", "/crud/a/k2", 3)
	e.Del("c1", "/crud/a/k2", 0)
	e.Del("c1", "/crud/a/k2", -1)
	e.Del("c1", "/crud/none", -1)
	e.Children2("c1", "/crud/a", false)
	e.Get("c1", "/crud/a", false)
	e.Sync("c1", "/crud")
	e.Sync("c1", "/crud/none")
	e.Ping("c1")
	e.Check("c1", "/crud/a", 3)
	e.Check("c1", "/crud/a", 7)
	e.Check("c1", "/crud/none", -1)
	e.Exists("c1", "/", false)
	e.Children("c1", "/zookeeper", false)
	e.Del("c1", "/zookeeper", -1)
	e.Del("c1", "/zookeeper/quota", -1)
	e.Create("c1", "/zookeeper/x", "", jute.ModePersistent)
	e.Del("c1", "/", -1)
	e.Close("c1")
}
