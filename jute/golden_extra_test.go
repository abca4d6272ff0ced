package jute

import (
	"bytes"
	"reflect"
	"testing"
)

// goldenBodies maps "label ->" and "label <-" to the decoded body.
func goldenBodies(t *testing.T, path string) map[string]Record {
	t.Helper()
	out := map[string]Record{}
	for _, dg := range decodeGolden(t, path) {
		if len(dg.recs) < 2 {
			continue
		}
		dir := " <-"
		if dg.frame.sent {
			dir = " ->"
		}
		out[dg.frame.label+dir] = dg.recs[1]
	}
	return out
}

// TestGoldenExtraBodies pins what ZooKeeper 3.8.0 sent in the extra capture:
// null and empty encodings, the two-entry ACL, and a create2 inside a multi
// answered as a create.
func TestGoldenExtraBodies(t *testing.T) {
	b := goldenBodies(t, goldenExtraPath)
	twoACL := []ACL{{Perms: PermAll, ID: AnyoneID}, {Perms: PermRead, ID: Id{Scheme: "ip", ID: "127.0.0.1"}}}
	cases := []struct {
		key  string
		want Record
	}{
		{"getChildren(/x, watch) empty <-", &GetChildrenResponse{Children: []string{}}},
		{"getEphemerals(/nothing) empty <-", &GetEphemeralsResponse{Ephemerals: []string{}}},
		{"create(/x/n, null data) ->", &CreateRequest{Path: "/x/n", Data: nil, ACL: OpenACLUnsafe}},
		{"setACL(/x, 2 entries) ->", &SetACLRequest{Path: "/x", ACL: twoACL, Version: -1}},
		{"checkWatches(/x, children) ->", &CheckWatchesRequest{Path: "/x", Type: WatcherChildren}},
		{"removeWatches(/x/n, data) ->", &RemoveWatchesRequest{Path: "/x/n", Type: WatcherData}},
		{"setWatches(xid -8) ->", &SetWatches{DataWatches: []string{"/x"}, ExistWatches: []string{"/nope"}, ChildWatches: []string{}}},
		{"setWatches2(xid -8) ->", &SetWatches2{DataWatches: []string{}, ExistWatches: []string{}, ChildWatches: []string{"/x"},
			PersistentWatches: []string{"/p"}, PersistentRecursiveWatches: []string{"/r"}}},
		{"reconfig(standalone) ->", &ReconfigRequest{NewMembers: "server.1=127.0.0.1:2888:3888;2181", CurConfigID: -1}},
		{"check(/x) standalone ->", &CheckVersionRequest{Path: "/x", Version: 0}},
		{"multiRead(getChildren /x) <-", &MultiResponse{Results: []MultiResult{
			{Type: OpGetChildren, Resp: &GetChildrenResponse{Children: []string{"c", "m", "m2", "n"}}},
		}}},
	}
	for _, c := range cases {
		got, ok := b[c.key]
		if !ok {
			t.Errorf("no body for %q", c.key)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s:\n got %#v\nwant %#v", c.key, got, c.want)
		}
	}
	if gd := b["getData(/x/n) null data <-"].(*GetDataResponse); gd.Data != nil || gd.Stat.DataLength != 0 {
		t.Errorf("null data read back as %#v", gd)
	}
	if acl := b["getACL(/x) after setACL <-"].(*GetACLResponse); !reflect.DeepEqual(acl.ACL, twoACL) || acl.Stat.Aversion != 1 {
		t.Errorf("getACL after setACL: %#v", acl)
	}
	// The client sent create2, create, createContainer; ZooKeeper answered
	// the create2 with a plain create result (no Stat) and the container
	// with create2.
	mr := b["multi(create2,create,createContainer) <-"].(*MultiResponse)
	var types []OpCode
	for _, r := range mr.Results {
		types = append(types, r.Type)
	}
	if want := []OpCode{OpCreate, OpCreate, OpCreate2}; !reflect.DeepEqual(types, want) {
		t.Errorf("multi result types %v, want %v", types, want)
	}
	req := b["multi(create2,create,createContainer) ->"].(*MultiRequest)
	if req.Ops[0].Type != OpCreate2 || req.Ops[2].Type != OpCreateContainer {
		t.Errorf("multi request ops %+v", req.Ops)
	}
}

// TestGoldenOldClient checks the handshake of a client that sends no
// readOnly byte: ZooKeeper answers without one too.
func TestGoldenOldClient(t *testing.T) {
	var reqs, resps []goldenFrame
	for _, g := range loadGoldenFile(t, goldenExtraPath) {
		switch g.label {
		case "ConnectRequest":
			reqs = append(reqs, g)
		case "ConnectResponse":
			resps = append(resps, g)
		}
	}
	if len(reqs) != 3 || len(resps) != 3 {
		t.Fatalf("%d connect requests, %d responses", len(reqs), len(resps))
	}
	var old ConnectRequest
	if err := Unmarshal(reqs[1].raw[4:], &old); err != nil || old.HasReadOnly {
		t.Fatalf("old-client request: %+v %v", old, err)
	}
	var ro ConnectRequest
	if err := Unmarshal(reqs[2].raw[4:], &ro); err != nil || !ro.HasReadOnly || !ro.ReadOnly {
		t.Fatalf("read-only request: %+v %v", ro, err)
	}
	// Built from the server's values, the answer to the old client matches.
	var got ConnectResponse
	if err := Unmarshal(resps[1].raw[4:], &got); err != nil {
		t.Fatal(err)
	}
	built := AppendFrame(nil, &ConnectResponse{TimeOut: 30000, SessionID: got.SessionID, Passwd: got.Passwd, OmitReadOnly: !old.HasReadOnly})
	if !bytes.Equal(built, resps[1].raw) {
		t.Fatalf("old-client ConnectResponse\n got %x\nwant %x", built, resps[1].raw)
	}
}
