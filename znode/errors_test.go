package znode

import (
	"errors"
	"fmt"
	"testing"

	"github.com/zkmesh/zkmesh/jute"
)

// restricted builds an ACL granting perm to bob and everything else to
// nobody but bob's ADMIN.
func restricted(perm jute.Perm) []jute.ACL {
	return []jute.ACL{{Perms: perm, ID: jute.AnyoneID}, {Perms: jute.PermAll, ID: bobID}}
}

// errorSetup is the tree every error case starts from:
//
//	/p            persistent, data "v0" version 0
//	/p/c          persistent child
//	/e            ephemeral of sessA
//	/ro           world may only READ (bob: ALL)
//	/wo           world may do all but READ (bob: ALL)
//	/na           world may do all but ADMIN
//	/nc           world may do all but CREATE
//	/nd           world may do all but DELETE, with child /nd/x
//	/cont         container with child /cont/k
//	/t            TTL node
func errorSetup(h *harness) {
	h.must(createReq("/p", "v0", jute.ModePersistent))
	h.must(createReq("/p/c", "", jute.ModePersistent))
	h.must(createReq("/e", "", jute.ModeEphemeral))
	for path, perm := range map[string]jute.Perm{
		"/ro": jute.PermRead,
		"/wo": jute.PermAll &^ jute.PermRead,
		"/na": jute.PermAll &^ jute.PermAdmin,
		"/nc": jute.PermAll &^ jute.PermCreate,
		"/nd": jute.PermAll &^ jute.PermDelete,
	} {
		h.must(createACLReq(path, restricted(perm)))
	}
	h.must(withAuth(createACLReq("/nd/x", jute.OpenACLUnsafe), bobID))
	h.must(withAuth(createACLReq("/nc/y", jute.OpenACLUnsafe), bobID))
	h.must(containerReq("/cont"))
	h.must(createReq("/cont/k", "", jute.ModePersistent))
	h.must(ttlReq("/t", jute.ModePersistentWithTTL, 1000))
}

func TestPrepareErrors(t *testing.T) {
	longTTL := MaxTTLMs + 1
	tests := []struct {
		name string
		cfg  *PrepConfig
		req  *Request
		want jute.Code
	}{
		// create
		{"create under missing parent", nil, createReq("/missing/a", "", jute.ModePersistent), jute.CodeNoNode},
		{"create existing", nil, createReq("/p", "", jute.ModePersistent), jute.CodeNodeExists},
		{"create existing ephemeral", nil, createReq("/e", "", jute.ModeEphemeral), jute.CodeNodeExists},
		{"create root", nil, createReq("/", "", jute.ModePersistent), jute.CodeNodeExists},
		{"create system node", nil, createReq(ZookeeperPath, "", jute.ModePersistent), jute.CodeNodeExists},
		{"create relative path", nil, createReq("p", "", jute.ModePersistent), jute.CodeBadArguments},
		{"create empty path", nil, createReq("", "", jute.ModePersistent), jute.CodeBadArguments},
		{"create relative with slash", nil, createReq("a/b", "", jute.ModePersistent), jute.CodeNoNode},
		{"create trailing slash", nil, createReq("/p/", "", jute.ModePersistent), jute.CodeBadArguments},
		{"create double slash", nil, createReq("/p//a", "", jute.ModePersistent), jute.CodeNoNode},
		{"create dot", nil, createReq("/p/.", "", jute.ModePersistent), jute.CodeBadArguments},
		{"create dotdot", nil, createReq("/p/..", "", jute.ModePersistent), jute.CodeBadArguments},
		{"create NUL", nil, createReq("/p/a\x00b", "", jute.ModePersistent), jute.CodeBadArguments},
		{"create control char", nil, createReq("/p/a\x01", "", jute.ModePersistent), jute.CodeBadArguments},
		{"create C1 char", nil, createReq("/p/a\u0085", "", jute.ModePersistent), jute.CodeBadArguments},
		{"create private-use char", nil, createReq("/p/a\ue000", "", jute.ModePersistent), jute.CodeBadArguments},
		{"create astral char", nil, createReq("/p/a\U0001F600", "", jute.ModePersistent), jute.CodeBadArguments},
		{"create invalid utf8", nil, createReq("/p/a\xff", "", jute.ModePersistent), jute.CodeBadArguments},
		{"create bad mode", nil, createReq("/p/a", "", 7), jute.CodeBadArguments},
		{"create negative mode", nil, createReq("/p/a", "", -1), jute.CodeBadArguments},
		{"create under ephemeral", nil, createReq("/e/a", "", jute.ModePersistent), jute.CodeNoChildrenForEphemerals},
		{"create sequential under ephemeral", nil, createReq("/e/a", "", jute.ModeEphemeralSequential), jute.CodeNoChildrenForEphemerals},
		{"container under ephemeral", nil, containerReq("/e/a"), jute.CodeNoChildrenForEphemerals},
		// TTL
		{"ttl zero", nil, ttlReq("/p/t", jute.ModePersistentWithTTL, 0), jute.CodeBadArguments},
		{"ttl negative", nil, ttlReq("/p/t", jute.ModePersistentWithTTL, -5), jute.CodeBadArguments},
		{"ttl too long", nil, ttlReq("/p/t", jute.ModePersistentWithTTL, longTTL), jute.CodeBadArguments},
		{"ttl without the mode", nil, ttlReq("/p/t", jute.ModePersistent, 1000), jute.CodeBadArguments},
		{"ttl with container mode", nil, ttlReq("/p/t", jute.ModeContainer, 1000), jute.CodeBadArguments},
		{"ttl mode without a ttl", nil, &Request{SessionID: sessA, Type: jute.OpCreate, Body: &jute.CreateRequest{Path: "/p/t", ACL: jute.OpenACLUnsafe, Flags: jute.ModePersistentWithTTL}}, jute.CodeBadArguments},
		{"ttl when extended types are off", &PrepConfig{}, ttlReq("/p/t", jute.ModePersistentWithTTL, 1000), jute.CodeUnimplemented},
		{"ttl mode in create when extended types are off", &PrepConfig{}, &Request{SessionID: sessA, Type: jute.OpCreate, Body: &jute.CreateRequest{Path: "/p/t", ACL: jute.OpenACLUnsafe, Flags: jute.ModePersistentSequentialWithTTL}}, jute.CodeUnimplemented},
		{"bad ttl when extended types are off", &PrepConfig{}, ttlReq("/p/t", jute.ModePersistentWithTTL, 0), jute.CodeUnimplemented},
		// ACL validation
		{"empty ACL", nil, createACLReq("/p/a", []jute.ACL{}), jute.CodeInvalidACL},
		{"nil ACL", nil, createACLReq("/p/a", nil), jute.CodeInvalidACL},
		{"unknown scheme", nil, createACLReq("/p/a", []jute.ACL{{Perms: jute.PermAll, ID: jute.Id{Scheme: "foo", ID: "bar"}}}), jute.CodeInvalidACL},
		{"world but not anyone", nil, createACLReq("/p/a", []jute.ACL{{Perms: jute.PermAll, ID: jute.Id{Scheme: "world", ID: "someone"}}}), jute.CodeInvalidACL},
		{"super scheme", nil, createACLReq("/p/a", []jute.ACL{{Perms: jute.PermAll, ID: superID}}), jute.CodeInvalidACL},
		{"digest without colon", nil, createACLReq("/p/a", []jute.ACL{{Perms: jute.PermAll, ID: jute.Id{Scheme: "digest", ID: "bob"}}}), jute.CodeInvalidACL},
		{"digest with two colons", nil, createACLReq("/p/a", []jute.ACL{{Perms: jute.PermAll, ID: jute.Id{Scheme: "digest", ID: "bob:x:y"}}}), jute.CodeInvalidACL},
		{"digest with empty hash", nil, createACLReq("/p/a", []jute.ACL{{Perms: jute.PermAll, ID: jute.Id{Scheme: "digest", ID: "bob:"}}}), jute.CodeInvalidACL},
		{"bad ip", nil, createACLReq("/p/a", []jute.ACL{{Perms: jute.PermAll, ID: jute.Id{Scheme: "ip", ID: "not-an-ip"}}}), jute.CodeInvalidACL},
		{"bad ip mask", nil, createACLReq("/p/a", []jute.ACL{{Perms: jute.PermAll, ID: jute.Id{Scheme: "ip", ID: "10.0.0.0/33"}}}), jute.CodeInvalidACL},
		{"one bad entry among good", nil, createACLReq("/p/a", []jute.ACL{{Perms: jute.PermAll, ID: jute.AnyoneID}, {Perms: jute.PermRead, ID: jute.Id{Scheme: "x", ID: "y"}}}), jute.CodeInvalidACL},
		{"auth without ids", nil, createACLReq("/p/a", jute.CreatorAllACL), jute.CodeInvalidACL},
		{"auth with only an ip id", nil, createACLReq("/p/a", jute.CreatorAllACL, ipID), jute.CodeInvalidACL},
		{"auth with only super", nil, createACLReq("/p/a", jute.CreatorAllACL, superID), jute.CodeInvalidACL},
		{"setACL empty", nil, setACLReq("/p", []jute.ACL{}, -1), jute.CodeInvalidACL},
		{"setACL auth without ids", nil, setACLReq("/p", jute.CreatorAllACL, -1), jute.CodeInvalidACL},
		{"invalid ACL before missing parent", nil, createACLReq("/missing/a", nil), jute.CodeInvalidACL},
		{"invalid ACL before missing node", nil, setACLReq("/missing", nil, -1), jute.CodeInvalidACL},
		// NoAuth
		{"create without CREATE", nil, createReq("/nc/a", "", jute.ModePersistent), jute.CodeNoAuth},
		{"create under config", nil, createReq(ConfigPath+"/a", "", jute.ModePersistent), jute.CodeNoAuth},
		{"create without CREATE before exists", nil, createReq("/nc/y", "", jute.ModePersistent), jute.CodeNoAuth},
		{"delete without DELETE on parent", nil, deleteReq("/nd/x", -1), jute.CodeNoAuth},
		{"delete without DELETE, missing child", nil, deleteReq("/nd/nothing", -1), jute.CodeNoAuth},
		{"setData without WRITE", nil, setDataReq("/ro", "x", -1), jute.CodeNoAuth},
		{"setACL without ADMIN", nil, setACLReq("/na", jute.OpenACLUnsafe, -1), jute.CodeNoAuth},
		{"check without READ", nil, checkReq("/wo", -1), jute.CodeNoAuth},
		{"NoAuth before BadVersion", nil, setDataReq("/ro", "x", 9), jute.CodeNoAuth},
		{"ip id does not match digest ACL", nil, withAuth(setDataReq("/ro", "x", -1), ipID), jute.CodeNoAuth},
		{"other digest does not match", nil, withAuth(setDataReq("/ro", "x", -1), aliceID), jute.CodeNoAuth},
		{"digest matches", nil, withAuth(setDataReq("/ro", "x", -1), aliceID, bobID), jute.CodeOK},
		{"super passes", nil, withAuth(setDataReq("/ro", "x", -1), superID), jute.CodeOK},
		{"skipACL passes", &PrepConfig{SkipACL: true}, setACLReq("/na", jute.OpenACLUnsafe, -1), jute.CodeOK},
		{"skipACL still validates ACLs", &PrepConfig{SkipACL: true}, createACLReq("/p/a", nil), jute.CodeInvalidACL},
		// versions
		{"setData bad version", nil, setDataReq("/p", "x", 3), jute.CodeBadVersion},
		{"setData right version", nil, setDataReq("/p", "x", 0), jute.CodeOK},
		{"delete bad version", nil, deleteReq("/p/c", 1), jute.CodeBadVersion},
		{"setACL bad version", nil, setACLReq("/p", jute.OpenACLUnsafe, 1), jute.CodeBadVersion},
		{"check bad version", nil, checkReq("/p", 2), jute.CodeBadVersion},
		{"check missing", nil, checkReq("/missing", -1), jute.CodeNoNode},
		{"check bad path", nil, checkReq("/p/", -1), jute.CodeBadArguments},
		// delete
		{"delete missing", nil, deleteReq("/missing", -1), jute.CodeNoNode},
		{"delete under missing parent", nil, deleteReq("/missing/x", -1), jute.CodeNoNode},
		{"delete not empty", nil, deleteReq("/p", -1), jute.CodeNotEmpty},
		{"delete BadVersion before NotEmpty", nil, deleteReq("/p", 5), jute.CodeBadVersion},
		{"delete relative", nil, deleteReq("p", -1), jute.CodeBadArguments},
		{"delete NUL", nil, deleteReq("/p\x00", -1), jute.CodeBadArguments},
		{"delete trailing slash", nil, deleteReq("/p/", -1), jute.CodeNoNode},
		{"delete root", nil, deleteReq("/", -1), jute.CodeBadArguments},
		{"delete /zookeeper", nil, deleteReq(ZookeeperPath, -1), jute.CodeBadArguments},
		{"delete quota node", nil, deleteReq(QuotaPath, -1), jute.CodeBadArguments},
		{"delete config node", nil, deleteReq(ConfigPath, -1), jute.CodeBadArguments},
		{"delete ephemeral of another session", nil, as(sessB, deleteReq("/e", -1)), jute.CodeOK},
		// deleteContainer, as the container manager sends it
		{"deleteContainer not empty", nil, &Request{Type: jute.OpDeleteContainer, Body: &jute.DeleteRequest{Path: "/cont", Version: -1}}, jute.CodeNotEmpty},
		{"deleteContainer of ephemeral", nil, &Request{Type: jute.OpDeleteContainer, Body: &jute.DeleteRequest{Path: "/e", Version: -1}}, jute.CodeBadVersion},
		{"deleteContainer missing", nil, &Request{Type: jute.OpDeleteContainer, Body: &jute.DeleteRequest{Path: "/gone", Version: -1}}, jute.CodeNoNode},
		{"deleteContainer of TTL ignores the version", nil, &Request{Type: jute.OpDeleteContainer, Body: &jute.DeleteRequest{Path: "/t", Version: 7}}, jute.CodeOK},
		{"deleteContainer of special path", nil, &Request{Type: jute.OpDeleteContainer, Body: &jute.DeleteRequest{Path: QuotaPath, Version: -1}}, jute.CodeBadArguments},
		// setData / setACL paths
		{"setData missing", nil, setDataReq("/missing", "", -1), jute.CodeNoNode},
		{"setData bad path", nil, setDataReq("/p/", "", -1), jute.CodeBadArguments},
		{"setData relative", nil, setDataReq("p", "", -1), jute.CodeBadArguments},
		{"setACL missing", nil, setACLReq("/missing", jute.OpenACLUnsafe, -1), jute.CodeNoNode},
		{"setACL bad path", nil, setACLReq("//", jute.OpenACLUnsafe, -1), jute.CodeBadArguments},
		// other requests
		{"reconfig disabled", nil, &Request{Type: jute.OpReconfig, Body: &jute.ReconfigRequest{}}, jute.CodeReconfigDisabled},
		{"read op", nil, &Request{Type: jute.OpGetData, Body: &jute.GetDataRequest{Path: "/p"}}, jute.CodeUnimplemented},
		{"wrong body for delete", nil, &Request{Type: jute.OpDelete, Body: &jute.SetDataRequest{Path: "/p"}}, jute.CodeMarshallingError},
		{"wrong body for create", nil, &Request{Type: jute.OpCreate, Body: &jute.DeleteRequest{Path: "/p"}}, jute.CodeMarshallingError},
		{"wrong body for setData", nil, &Request{Type: jute.OpSetData, Body: nil}, jute.CodeMarshallingError},
		{"wrong body for setACL", nil, &Request{Type: jute.OpSetACL, Body: nil}, jute.CodeMarshallingError},
		{"wrong body for check", nil, &Request{Type: jute.OpCheck, Body: nil}, jute.CodeMarshallingError},
		{"wrong body for createSession", nil, &Request{Type: jute.OpCreateSession, Body: nil}, jute.CodeMarshallingError},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := PrepConfig{ExtendedTypesEnabled: true}
			if tc.cfg != nil {
				cfg = *tc.cfg
			}
			h := newHarness(t)
			errorSetup(h)
			h.prep = NewPrep(h.tree, cfg)
			before := dump(h.tree)

			x := h.prepare(tc.req)
			if tc.want == jute.CodeOK {
				if x.hdr.Type == jute.OpError {
					t.Fatalf("prepared an error %v, want success", x.body)
				}
				if r := h.apply(x); r.Err != jute.CodeOK {
					t.Fatalf("applied with %v", r.Err)
				}
				return
			}
			e, ok := x.body.(*jute.ErrorTxn)
			if x.hdr.Type != jute.OpError || !ok {
				t.Fatalf("prepared %v %T, want an error txn", x.hdr.Type, x.body)
			}
			if e.Err != tc.want {
				t.Fatalf("error %v, want %v", e.Err, tc.want)
			}
			if n := h.prep.Outstanding(); n != 0 {
				t.Errorf("a failed request left %d outstanding changes", n)
			}
			r := h.apply(x)
			if r.Type != jute.OpError || r.Err != tc.want {
				t.Fatalf("applied result %+v", r)
			}
			// The failed txn spends its zxid and changes nothing else.
			h.tree.mu.Lock()
			h.tree.lastZxid = x.hdr.Zxid - 1
			h.tree.mu.Unlock()
			if after := dump(h.tree); after != before {
				t.Fatalf("a failed request changed the tree:\n%s\nwas\n%s", after, before)
			}
		})
	}
}

// TestErrorCodes checks the error table both ways.
func TestErrorCodes(t *testing.T) {
	for _, c := range codes {
		if got := Code(c.err); got != c.code {
			t.Errorf("Code(%v) = %v, want %v", c.err, got, c.code)
		}
		if got := Code(fmt.Errorf("wrapped: %w", c.err)); got != c.code {
			t.Errorf("Code(wrapped %v) = %v", c.err, got)
		}
		if got := errorFor(c.code); got != c.err {
			t.Errorf("errorFor(%v) = %v", c.code, got)
		}
	}
	if Code(nil) != jute.CodeOK {
		t.Error("Code(nil)")
	}
	if Code(errors.New("other")) != jute.CodeSystemError {
		t.Error("Code(other) is not SystemError")
	}
	if Code(jute.CodeSessionExpired) != jute.CodeSessionExpired {
		t.Error("a jute.Code does not pass through")
	}
	if errorFor(jute.CodeSessionExpired) != jute.CodeSessionExpired {
		t.Error("errorFor of an unknown code")
	}
}
