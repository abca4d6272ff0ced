package jute

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

// opRecord pairs an opcode with a body record (nil for bodiless ops).
type opRecord struct {
	op  OpCode
	rec Record
}

var sampleStat = Stat{Czxid: 3, Mzxid: 0x100000004, Ctime: 1700000000000, Mtime: 1700000000001,
	Version: 2, Cversion: 1, Aversion: 0, EphemeralOwner: 0x1000040fd0d0000,
	DataLength: 5, NumChildren: 1, Pzxid: 4}

var sampleACL = []ACL{{Perms: PermAll, ID: AnyoneID}, {Perms: PermRead | PermAdmin, ID: Id{Scheme: "digest", ID: "bob:hash"}}}

// sampleRequests has one request body for every opcode a client may send.
func sampleRequests() []opRecord {
	return []opRecord{
		{OpCreate, &CreateRequest{Path: "/a", Data: []byte("x"), ACL: sampleACL, Flags: ModeEphemeralSequential}},
		{OpCreate2, &CreateRequest{Path: "/b", Data: nil, ACL: []ACL{}, Flags: ModePersistent}},
		{OpCreateContainer, &CreateRequest{Path: "/c", Data: []byte{}, ACL: OpenACLUnsafe, Flags: ModeContainer}},
		{OpCreateTTL, &CreateTTLRequest{Path: "/t", Data: []byte("y"), ACL: OpenACLUnsafe, Flags: ModePersistentSequentialWithTTL, TTL: 5000}},
		{OpDelete, &DeleteRequest{Path: "/a", Version: -1}},
		{OpExists, &ExistsRequest{Path: "/a", Watch: true}},
		{OpGetData, &GetDataRequest{Path: "/a"}},
		{OpSetData, &SetDataRequest{Path: "/a", Data: []byte("z"), Version: 3}},
		{OpGetACL, &GetACLRequest{Path: "/a"}},
		{OpSetACL, &SetACLRequest{Path: "/a", ACL: sampleACL, Version: 1}},
		{OpGetChildren, &GetChildrenRequest{Path: "/", Watch: true}},
		{OpGetChildren2, &GetChildren2Request{Path: "/"}},
		{OpSync, &SyncRequest{Path: "/a"}},
		{OpCheck, &CheckVersionRequest{Path: "/a", Version: 7}},
		{OpMulti, &MultiRequest{Ops: []MultiOp{
			{Type: OpCreate, Req: &CreateRequest{Path: "/m", Data: []byte("1"), ACL: OpenACLUnsafe}},
			{Type: OpCreateTTL, Req: &CreateTTLRequest{Path: "/m2", ACL: OpenACLUnsafe, Flags: ModePersistentWithTTL, TTL: 1}},
			{Type: OpDelete, Req: &DeleteRequest{Path: "/m", Version: 0}},
			{Type: OpSetData, Req: &SetDataRequest{Path: "/m", Data: []byte("2"), Version: -1}},
			{Type: OpCheck, Req: &CheckVersionRequest{Path: "/m", Version: 1}},
		}}},
		{OpMultiRead, &MultiRequest{Ops: []MultiOp{
			{Type: OpGetData, Req: &GetDataRequest{Path: "/m"}},
			{Type: OpGetChildren, Req: &GetChildrenRequest{Path: "/"}},
		}}},
		{OpReconfig, &ReconfigRequest{JoiningServers: "server.4=127.0.0.4:2888:3888;2181", CurConfigID: -1}},
		{OpCheckWatches, &CheckWatchesRequest{Path: "/a", Type: WatcherData}},
		{OpRemoveWatches, &RemoveWatchesRequest{Path: "/a", Type: WatcherAny}},
		{OpAuth, &AuthPacket{Scheme: "digest", Auth: []byte("bob:secret")}},
		{OpSetWatches, &SetWatches{RelativeZxid: 9, DataWatches: []string{"/a"}, ExistWatches: []string{}, ChildWatches: nil}},
		{OpSetWatches2, &SetWatches2{RelativeZxid: 9, DataWatches: []string{"/a"}, ExistWatches: []string{"/b"},
			ChildWatches: []string{"/"}, PersistentWatches: []string{"/p"}, PersistentRecursiveWatches: []string{"/r", "/s"}}},
		{OpSASL, &GetSASLRequest{Token: []byte{1, 2, 3}}},
		{OpGetEphemerals, &GetEphemeralsRequest{PrefixPath: "/svc"}},
		{OpGetAllChildrenNumber, &GetAllChildrenNumberRequest{Path: "/"}},
		{OpAddWatch, &AddWatchRequest{Path: "/a", Mode: AddWatchModePersistent}},
		{OpPing, nil},
		{OpCloseSession, nil},
		{OpWhoAmI, nil},
	}
}

// sampleResponses has one successful reply body for every client opcode.
func sampleResponses() []opRecord {
	return []opRecord{
		{OpCreate, &CreateResponse{Path: "/a0000000001"}},
		{OpCreate2, &Create2Response{Path: "/b", Stat: sampleStat}},
		{OpCreateContainer, &Create2Response{Path: "/c", Stat: sampleStat}},
		{OpCreateTTL, &Create2Response{Path: "/t", Stat: sampleStat}},
		{OpDelete, nil},
		{OpExists, &ExistsResponse{Stat: sampleStat}},
		{OpGetData, &GetDataResponse{Data: []byte("hello"), Stat: sampleStat}},
		{OpSetData, &SetDataResponse{Stat: sampleStat}},
		{OpGetACL, &GetACLResponse{ACL: sampleACL, Stat: sampleStat}},
		{OpSetACL, &SetACLResponse{Stat: sampleStat}},
		{OpGetChildren, &GetChildrenResponse{Children: []string{"a", "b"}}},
		{OpGetChildren2, &GetChildren2Response{Children: []string{}, Stat: sampleStat}},
		{OpSync, &SyncResponse{Path: "/a"}},
		{OpCheck, &SetDataResponse{Stat: sampleStat}},
		{OpMulti, &MultiResponse{Results: []MultiResult{
			{Type: OpCreate, Resp: &CreateResponse{Path: "/m"}},
			{Type: OpCreate2, Resp: &Create2Response{Path: "/m2", Stat: sampleStat}},
			{Type: OpDelete},
			{Type: OpSetData, Resp: &SetDataResponse{Stat: sampleStat}},
			{Type: OpCheck},
		}}},
		{OpMultiRead, &MultiResponse{Results: []MultiResult{
			{Type: OpGetData, Resp: &GetDataResponse{Data: nil, Stat: sampleStat}},
			{Type: OpGetChildren, Resp: &GetChildrenResponse{Children: []string{"m"}}},
			{Type: OpError, Err: CodeNoNode, Resp: &ErrorResponse{Err: CodeNoNode}},
		}}},
		{OpReconfig, &GetDataResponse{Data: []byte("server.1=127.0.0.1:2888:3888;2181\nversion=100000000"), Stat: sampleStat}},
		{OpCheckWatches, nil},
		{OpRemoveWatches, nil},
		{OpAuth, nil},
		{OpSetWatches, nil},
		{OpSetWatches2, nil},
		{OpSASL, &SetSASLResponse{Token: []byte{9}}},
		{OpGetEphemerals, &GetEphemeralsResponse{Ephemerals: []string{"/svc/a", "/svc/b"}}},
		{OpGetAllChildrenNumber, &GetAllChildrenNumberResponse{TotalNumber: 42}},
		{OpAddWatch, &ErrorResponse{}},
		{OpWhoAmI, &WhoAmIResponse{ClientInfo: []ClientInfo{{AuthScheme: "ip", User: "127.0.0.1"}, {AuthScheme: "digest", User: "bob"}}}},
		{OpPing, nil},
		{OpCloseSession, nil},
	}
}

// sampleTxn is one logged transaction.
type sampleTxn struct {
	hdr  TxnHeader
	body Record
}

// sampleTxns has a txn for every type ZooKeeper logs, and a multi of each
// op that may appear in one.
func sampleTxns() []sampleTxn {
	hdr := func(op OpCode) TxnHeader {
		return TxnHeader{ClientID: 0x1000040fd0d0002, Cxid: 5, Zxid: 0x10000000b, Time: 1700000000000, Type: op}
	}
	return []sampleTxn{
		{hdr(OpCreate), &CreateTxn{Path: "/a", Data: []byte("x"), ACL: OpenACLUnsafe, Ephemeral: true, ParentCVersion: 3}},
		{hdr(OpCreate2), &CreateTxn{Path: "/b", Data: nil, ACL: sampleACL, ParentCVersion: 1}},
		{hdr(OpCreateContainer), &CreateContainerTxn{Path: "/c", Data: []byte{}, ACL: OpenACLUnsafe, ParentCVersion: 2}},
		{hdr(OpCreateTTL), &CreateTTLTxn{Path: "/t", Data: []byte("t"), ACL: OpenACLUnsafe, ParentCVersion: 4, TTL: 60000}},
		{hdr(OpDelete), &DeleteTxn{Path: "/a"}},
		{hdr(OpDeleteContainer), &DeleteTxn{Path: "/c"}},
		{hdr(OpSetData), &SetDataTxn{Path: "/a", Data: []byte("y"), Version: 2}},
		{hdr(OpReconfig), &SetDataTxn{Path: "/zookeeper/config", Data: []byte("server.1=127.0.0.1:2888:3888"), Version: -1}},
		{hdr(OpSetACL), &SetACLTxn{Path: "/a", ACL: sampleACL, Version: 1}},
		{hdr(OpCheck), &CheckVersionTxn{Path: "/a", Version: 2}},
		{hdr(OpCreateSession), &CreateSessionTxn{TimeOut: 30000}},
		{hdr(OpCloseSession), &CloseSessionTxn{Paths2Delete: []string{"/svc/a", "/svc/b"}}},
		{hdr(OpCloseSession), nil},
		{hdr(OpError), &ErrorTxn{Err: CodeNodeExists}},
		{hdr(OpMulti), &MultiTxn{Txns: []TxnOp{
			{Type: OpCreate, Body: &CreateTxn{Path: "/m", Data: []byte("1"), ACL: OpenACLUnsafe, ParentCVersion: 1}},
			{Type: OpCreate2, Body: &CreateTxn{Path: "/m2", ACL: OpenACLUnsafe, ParentCVersion: 2}},
			{Type: OpCreateContainer, Body: &CreateContainerTxn{Path: "/m3", ACL: OpenACLUnsafe, ParentCVersion: 3}},
			{Type: OpCreateTTL, Body: &CreateTTLTxn{Path: "/m4", ACL: OpenACLUnsafe, ParentCVersion: 4, TTL: 9}},
			{Type: OpSetData, Body: &SetDataTxn{Path: "/m", Data: []byte("2"), Version: 1}},
			{Type: OpCheck, Body: &CheckVersionTxn{Path: "/m", Version: 1}},
			{Type: OpDelete, Body: &DeleteTxn{Path: "/m"}},
		}}},
		{hdr(OpMulti), &MultiTxn{Txns: []TxnOp{
			{Type: OpError, Body: &ErrorTxn{Err: CodeBadVersion}},
			{Type: OpError, Body: &ErrorTxn{Err: CodeRuntimeInconsistency}},
		}}},
	}
}

// records returns hdr followed by body if body is not nil.
func records(hdr Record, body Record) []Record {
	if body == nil {
		return []Record{hdr}
	}
	return []Record{hdr, body}
}

func TestRequestRecordsRoundTrip(t *testing.T) {
	seen := map[OpCode]bool{}
	for _, s := range sampleRequests() {
		seen[s.op] = true
		fresh, ok := NewRequestRecord(s.op)
		if !ok {
			t.Fatalf("NewRequestRecord(%v) refused", s.op)
		}
		if (fresh == nil) != (s.rec == nil) || (fresh != nil && reflect.TypeOf(fresh) != reflect.TypeOf(s.rec)) {
			t.Fatalf("NewRequestRecord(%v) = %T, sample is %T", s.op, fresh, s.rec)
		}
		b := Marshal(records(&RequestHeader{Xid: 1, Type: s.op}, s.rec)...)
		got, err := decodeRequest(b)
		if err != nil {
			t.Fatalf("%v: %v", s.op, err)
		}
		if want := records(&RequestHeader{Xid: 1, Type: s.op}, s.rec); !reflect.DeepEqual(got, want) {
			t.Errorf("%v:\n got %#v\nwant %#v", s.op, got, want)
		}
		if !bytes.Equal(Marshal(got...), b) {
			t.Errorf("%v: re-encoding differs", s.op)
		}
	}
	// Every named opcode is either sampled or refused.
	for op := range opNames {
		if _, ok := NewRequestRecord(op); ok != seen[op] {
			t.Errorf("NewRequestRecord(%v) ok=%v but sampled=%v", op, ok, seen[op])
		}
	}
	if _, ok := NewRequestRecord(999); ok {
		t.Error("NewRequestRecord(999) accepted")
	}
}

func TestResponseRecordsRoundTrip(t *testing.T) {
	for _, s := range sampleResponses() {
		fresh, ok := NewResponseRecord(s.op)
		if !ok {
			t.Fatalf("NewResponseRecord(%v) refused", s.op)
		}
		if (fresh == nil) != (s.rec == nil) || (fresh != nil && reflect.TypeOf(fresh) != reflect.TypeOf(s.rec)) {
			t.Fatalf("NewResponseRecord(%v) = %T, sample is %T", s.op, fresh, s.rec)
		}
		hdr := &ReplyHeader{Xid: 3, Zxid: 0x100000005}
		b := Marshal(records(hdr, s.rec)...)
		got, err := decodeReply(s.op)(b)
		if err != nil {
			t.Fatalf("%v: %v", s.op, err)
		}
		if want := records(hdr, s.rec); !reflect.DeepEqual(got, want) {
			t.Errorf("%v:\n got %#v\nwant %#v", s.op, got, want)
		}
	}
	for _, op := range []OpCode{OpNotification, OpCreateSession, OpError, OpDeleteContainer, 999} {
		if _, ok := NewResponseRecord(op); ok {
			t.Errorf("NewResponseRecord(%v) accepted", op)
		}
	}
}

func TestTxnRoundTrip(t *testing.T) {
	for _, s := range sampleTxns() {
		b := EncodeTxn(&s.hdr, s.body)
		hdr, body, err := DecodeTxn(b)
		if err != nil {
			t.Fatalf("%v: %v", s.hdr.Type, err)
		}
		if hdr != s.hdr || !reflect.DeepEqual(body, s.body) {
			t.Errorf("%v:\n got %+v %#v\nwant %+v %#v", s.hdr.Type, hdr, body, s.hdr, s.body)
		}
		if len(b) < TxnHeaderSize {
			t.Errorf("%v: %d bytes", s.hdr.Type, len(b))
		}
	}
}

// TestTxnWireLayout pins the bytes of a multi txn: ZooKeeper's
// vector<Txn{int type; buffer data}> with data holding the body.
func TestTxnWireLayout(t *testing.T) {
	got := Marshal(&MultiTxn{Txns: []TxnOp{
		{Type: OpDelete, Body: &DeleteTxn{Path: "/m"}},
		{Type: OpError, Body: &ErrorTxn{Err: CodeRuntimeInconsistency}},
	}})
	want := []byte{
		0, 0, 0, 2, // two txns
		0, 0, 0, 2, 0, 0, 0, 6, 0, 0, 0, 2, '/', 'm', // delete, data = ustring "/m"
		0xff, 0xff, 0xff, 0xff, 0, 0, 0, 4, 0xff, 0xff, 0xff, 0xfe, // error, data = int -2
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("\n got %x\nwant %x", got, want)
	}
}

func TestDecodeTxnErrors(t *testing.T) {
	good := EncodeTxn(&TxnHeader{Type: OpSetData}, &SetDataTxn{Path: "/a", Data: []byte("x"), Version: 1})
	cases := []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, ErrShortBuffer},
		{"short header", good[:TxnHeaderSize-1], ErrShortBuffer},
		{"truncated body", good[:len(good)-1], ErrShortBuffer},
		{"trailing", append(append([]byte{}, good...), 0), ErrTrailingBytes},
		{"unknown type", EncodeTxn(&TxnHeader{Type: OpGetData}, nil), ErrUnknownTxnType},
		{"create without body", EncodeTxn(&TxnHeader{Type: OpCreate}, nil), ErrShortBuffer},
		{"nested multi", EncodeTxn(&TxnHeader{Type: OpMulti}, &MultiTxn{Txns: []TxnOp{
			{Type: OpMulti, Body: &MultiTxn{}}}}), ErrBadMultiOp},
		{"session op in multi", EncodeTxn(&TxnHeader{Type: OpMulti}, &MultiTxn{Txns: []TxnOp{
			{Type: OpCreateSession, Body: &CreateSessionTxn{TimeOut: 1}}}}), ErrBadMultiOp},
		{"multi op body too long", EncodeTxn(&TxnHeader{Type: OpMulti}, &MultiTxn{Txns: []TxnOp{
			{Type: OpDelete, Body: rawRecord{0, 0, 0, 1, 'a', 'b'}}}}), ErrTrailingBytes},
	}
	for _, c := range cases {
		_, _, err := DecodeTxn(c.b)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
	}
}
