package jute

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"hash/adler32"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"testing"
)

// txnLogPath holds txn log entries written by Apache ZooKeeper 3.8.0.
const txnLogPath = "testdata/zookeeper-3.8.0-txnlog.txt"

// loggedTxn is one entry of ZooKeeper's txn log.
type loggedTxn struct {
	line    int
	typName string
	adler   uint32
	raw     []byte
}

var txnLogLine = regexp.MustCompile(`^([A-Za-z0-9]+) ([0-9]+) ([0-9a-f]+)$`)

func readTxnLog() ([]loggedTxn, error) {
	f, err := os.Open(txnLogPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []loggedTxn
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		m := txnLogLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		sum, err := strconv.ParseUint(m[2], 10, 32)
		if err != nil {
			return nil, err
		}
		raw, err := hex.DecodeString(m[3])
		if err != nil {
			return nil, err
		}
		out = append(out, loggedTxn{line: n, typName: m[1], adler: uint32(sum), raw: raw})
	}
	return out, sc.Err()
}

// TestZooKeeperTxnLog decodes every txn ZooKeeper 3.8.0 logged and requires
// EncodeTxn to give back its bytes exactly.
func TestZooKeeperTxnLog(t *testing.T) {
	entries, err := readTxnLog()
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 16 {
		t.Fatalf("%d entries in %s, want 16", len(entries), txnLogPath)
	}
	type decoded struct {
		hdr  TxnHeader
		body Record
	}
	var txns []decoded
	for _, e := range entries {
		if got := adler32.Checksum(e.raw); got != e.adler {
			t.Fatalf("line %d: adler32 %d, logged %d", e.line, got, e.adler)
		}
		hdr, body, err := DecodeTxn(e.raw)
		if err != nil {
			t.Fatalf("line %d (%s): %v", e.line, e.typName, err)
		}
		if hdr.Type.String() != e.typName {
			t.Errorf("line %d: type %v, logged as %s", e.line, hdr.Type, e.typName)
		}
		if got := EncodeTxn(&hdr, body); !bytes.Equal(got, e.raw) {
			t.Errorf("line %d (%s): re-encoded\n got %x\nwant %x", e.line, e.typName, got, e.raw)
		}
		// The container manager's deletes are the server's own: client 0.
		wantClient := int64(0x10000150c070000)
		if hdr.Type == OpDeleteContainer {
			wantClient = 0
		}
		if hdr.Zxid != int64(len(txns)+1) || hdr.ClientID != wantClient {
			t.Errorf("line %d: header %+v", e.line, hdr)
		}
		txns = append(txns, decoded{hdr, body})
	}

	acl := OpenACLUnsafe
	want := []Record{
		&CreateSessionTxn{TimeOut: 30000},
		&CreateTxn{Path: "/t", Data: []byte("v0"), ACL: acl, Ephemeral: false, ParentCVersion: 1},
		&CreateTxn{Path: "/t/e-0000000000", Data: []byte(`{"port":8080}`), ACL: acl, Ephemeral: true, ParentCVersion: 1},
		&CreateContainerTxn{Path: "/c", Data: []byte{}, ACL: acl, ParentCVersion: 2},
		&CreateTxn{Path: "/c/x", Data: nil, ACL: acl, ParentCVersion: 1},
		&DeleteTxn{Path: "/c/x"},
		&CreateTTLTxn{Path: "/ttl", Data: []byte("x"), ACL: acl, ParentCVersion: 3, TTL: 1},
		&SetDataTxn{Path: "/t", Data: []byte("v1"), Version: 1},
		&SetACLTxn{Path: "/t", ACL: []ACL{
			{Perms: PermAll, ID: AnyoneID},
			{Perms: PermRead, ID: Id{Scheme: "digest", ID: "bob:uVfg9kFh0mlwTlgLnQl2Mn8bA0Y="}},
		}, Version: 1},
		&ErrorTxn{Err: CodeNodeExists},
		&ErrorTxn{Err: CodeNoNode},
		nil, // multi, checked below
		&MultiTxn{Txns: []TxnOp{
			{Type: OpError, Body: &ErrorTxn{Err: CodeBadVersion}},
			{Type: OpError, Body: &ErrorTxn{Err: CodeRuntimeInconsistency}},
		}},
		&DeleteTxn{Path: "/c"},
		&DeleteTxn{Path: "/ttl"},
		&CloseSessionTxn{Paths2Delete: []string{"/t/e-0000000000"}},
	}
	for i, w := range want {
		if w != nil && !reflect.DeepEqual(txns[i].body, w) {
			t.Errorf("txn %d (%v):\n got %#v\nwant %#v", i+1, txns[i].hdr.Type, txns[i].body, w)
		}
	}
	multi := txns[11].body.(*MultiTxn)
	var types []OpCode
	for _, op := range multi.Txns {
		types = append(types, op.Type)
	}
	// ZooKeeper rebuilds each multi op from its flags (Op.create), so the
	// create2 the client sent is prepared, logged and answered as a create.
	wantTypes := []OpCode{OpCreate, OpCheck, OpSetData, OpCreate, OpCreateTTL, OpCreateContainer, OpDelete}
	if !reflect.DeepEqual(types, wantTypes) {
		t.Errorf("multi op types %v, want %v", types, wantTypes)
	}
	if ttl := multi.Txns[4].Body.(*CreateTTLTxn); ttl.Path != "/t/m3" || ttl.TTL != 600000 {
		t.Errorf("multi createTTL %+v", ttl)
	}
	// Txns ZooKeeper 3.8 logs under each header type (PrepRequestProcessor).
	for i, op := range []OpCode{OpCreateSession, OpCreate, OpCreate2, OpCreateContainer, OpCreate, OpDelete,
		OpCreateTTL, OpSetData, OpSetACL, OpError, OpError, OpMulti, OpMulti, OpDeleteContainer,
		OpDeleteContainer, OpCloseSession} {
		if txns[i].hdr.Type != op {
			t.Errorf("txn %d logged under %v, want %v", i+1, txns[i].hdr.Type, op)
		}
	}
}
