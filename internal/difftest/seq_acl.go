package difftest

import (
	"crypto/sha1"
	"encoding/base64"

	"github.com/zkmesh/zkmesh/jute"
)

// digestID is the digest scheme's id for user:password.
func digestID(userPass string) string {
	h := sha1.Sum([]byte(userPass))
	user := userPass
	for i := range userPass {
		if userPass[i] == ':' {
			user = userPass[:i]
			break
		}
	}
	return user + ":" + base64.StdEncoding.EncodeToString(h[:])
}

// superDigest is the superDigest the harness's servers are started with:
// user "super", password "test" (the one kazoo's harness uses).
var superDigest = digestID("super:test")

// seqACL: getACL/setACL with aversion conflicts, world read-only nodes,
// digest ACLs before and after auth (right and wrong password), the auth
// scheme, ip ACLs that match and that do not, a bad auth scheme (the server
// closes the connection), the super user, whoAmI.
func seqACL(e *Env) {
	alice := digestID("alice:secret")
	e.Create("c1", "/acl", "", jute.ModePersistent)
	e.CreateOp("c1", opCreate("/acl/ro", []jute.ACL{{Perms: jute.PermRead, ID: jute.AnyoneID}}))
	e.Set("c1", "/acl/ro", "w", -1)
	e.Get("c1", "/acl/ro", false)
	e.Create("c1", "/acl/ro/x", "", jute.ModePersistent)
	e.Del("c1", "/acl/ro", -1)
	e.GetACL("c1", "/acl/ro")
	e.SetACL("c1", "/acl/ro", jute.OpenACLUnsafe, -1)
	e.Create("c1", "/acl/open", "", jute.ModePersistent)
	e.CreateOp("c1", opCreate("/acl/open/nodel", []jute.ACL{{Perms: jute.PermAll &^ jute.PermDelete, ID: jute.AnyoneID}}))
	e.SetACL("c1", "/acl/open", []jute.ACL{{Perms: jute.PermAll &^ jute.PermDelete, ID: jute.AnyoneID}}, 0)
	e.SetACL("c1", "/acl/open", jute.OpenACLUnsafe, 0)
	e.SetACL("c1", "/acl/open", jute.OpenACLUnsafe, 1)
	e.Del("c1", "/acl/open/nodel", -1)
	e.SetACL("c1", "/acl/open", jute.OpenACLUnsafe, -1)
	e.GetACL("c1", "/acl/open")
	e.SetACL("c1", "/acl/open", []jute.ACL{}, -1)
	e.SetACL("c1", "/acl/open", []jute.ACL{{Perms: jute.PermAll, ID: jute.Id{Scheme: "digest", ID: "alice"}}}, -1)
	e.SetACL("c1", "/acl/open", []jute.ACL{{Perms: jute.PermAll, ID: jute.Id{Scheme: "ip", ID: "not-an-ip"}}}, -1)
	e.SetACL("c1", "/acl/none", jute.OpenACLUnsafe, -1)
	e.GetACL("c1", "/acl/none")

	// digest
	e.CreateOp("c1", opCreate("/acl/dg", []jute.ACL{{Perms: jute.PermAll, ID: jute.Id{Scheme: "digest", ID: alice}}}))
	e.GetACL("c1", "/acl/dg")
	e.Get("c2", "/acl/dg", false)
	e.Exists("c2", "/acl/dg", false)
	e.Children("c2", "/acl/dg", false)
	e.WhoAmI("c2")
	e.Auth("c2", "digest", "alice:wrong")
	e.WhoAmI("c2")
	e.Get("c2", "/acl/dg", false)
	e.Auth("c3", "digest", "alice:secret")
	e.WhoAmI("c3")
	e.Get("c3", "/acl/dg", false)
	e.Set("c3", "/acl/dg", "mine", -1)
	e.Create("c3", "/acl/dg/kid", "", jute.ModePersistent)
	e.Create("c1", "/acl/dg/kid2", "", jute.ModePersistent)
	// The auth scheme stands for every identity the creator has.
	e.CreateOp("c3", opCreate("/acl/au", jute.CreatorAllACL))
	e.GetACL("c3", "/acl/au")
	e.CreateOp("c1", opCreate("/acl/au2", jute.CreatorAllACL))
	e.SetACL("c3", "/acl/au", jute.CreatorAllACL, -1)
	e.GetACL("c3", "/acl/au")
	// ip
	e.CreateOp("c1", opCreate("/acl/ip", []jute.ACL{{Perms: jute.PermAll, ID: jute.Id{Scheme: "ip", ID: "127.0.0.1"}}}))
	e.CreateOp("c1", opCreate("/acl/ip8", []jute.ACL{{Perms: jute.PermAll, ID: jute.Id{Scheme: "ip", ID: "127.0.0.0/8"}}}))
	e.CreateOp("c1", opCreate("/acl/ip10", []jute.ACL{{Perms: jute.PermAll, ID: jute.Id{Scheme: "ip", ID: "10.0.0.0/8"}}}))
	e.Get("c2", "/acl/ip", false)
	e.Get("c2", "/acl/ip8", false)
	e.Get("c2", "/acl/ip10", false)
	e.Set("c2", "/acl/ip10", "x", -1)
	// super
	e.Auth("c4", "digest", "super:test")
	e.WhoAmI("c4")
	e.Get("c4", "/acl/dg", false)
	e.Get("c4", "/acl/ip10", false)
	e.SetACL("c4", "/acl/ip10", jute.OpenACLUnsafe, -1)
	e.Get("c2", "/acl/ip10", false)
	// A scheme the server does not know fails the session's connection.
	e.Auth("c5", "nosuch", "x")
	e.Get("c5", "/acl", false)
	e.Close("c1")
	e.Close("c2")
	e.Close("c3")
	e.Close("c4")
}
