package jute

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var updateCorpus = flag.Bool("update-corpus", false, "rewrite the seed corpus under testdata/fuzz from the golden frames and sample records")

// corpusEntry is one seed file: the fuzz target, a file name, and the
// values in the target's argument order.
type corpusEntry struct {
	target string
	name   string
	args   []any
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9]+`)

// seedCorpus lists the committed seeds: every golden frame for the target
// that decodes it, every txn ZooKeeper logged, every sample record and txn,
// and the hostile inputs of the bounds tests.
func seedCorpus(t *testing.T) []corpusEntry {
	var out []corpusEntry
	add := func(target, name string, args ...any) {
		name = strings.Trim(unsafeName.ReplaceAllString(name, "-"), "-")
		out = append(out, corpusEntry{target: target, name: name, args: args})
	}
	for _, file := range []struct{ prefix, path string }{{"golden", goldenPath}, {"extra", goldenExtraPath}} {
		ops := map[string]OpCode{}
		for _, g := range loadGoldenFile(t, file.path) {
			p := g.raw[4:]
			name := fmt.Sprintf("%s-%03d-%s", file.prefix, g.line, g.label)
			add("FuzzReadFrame", name, g.raw, 0)
			switch {
			case isConnectReq(g):
				add("FuzzConnectRequest", name, p)
			case isConnectResp(g):
				add("FuzzConnectResponse", name, p)
			case isRequest(g):
				op := OpCode(be32int(p[4:8]))
				ops[g.label] = op
				add("FuzzRequest", name, p)
				if op == OpMulti || op == OpMultiRead {
					add("FuzzMultiRequest", name, p[RequestHeaderSize:])
				}
			case isReply(g):
				op := ops[g.label]
				add("FuzzReply", name, int32(op), p)
				if (op == OpMulti || op == OpMultiRead) && be32int(p[12:16]) == 0 {
					add("FuzzMultiResponse", name, p[ReplyHeaderSize:])
				}
			}
		}
	}
	for _, s := range sampleRequests() {
		add("FuzzRequest", "sample-"+s.op.String(), Marshal(&RequestHeader{Xid: 1, Type: s.op}, s.rec))
		if mr, ok := s.rec.(*MultiRequest); ok {
			add("FuzzMultiRequest", "sample-"+s.op.String(), Marshal(mr))
		}
	}
	for _, s := range sampleResponses() {
		add("FuzzReply", "sample-"+s.op.String(), int32(s.op), Marshal(&ReplyHeader{Xid: 1, Zxid: 2}, s.rec))
		if mr, ok := s.rec.(*MultiResponse); ok {
			add("FuzzMultiResponse", "sample-"+s.op.String(), Marshal(mr))
		}
	}
	for i, s := range sampleTxns() {
		add("FuzzDecodeTxn", fmt.Sprintf("sample-%02d-%s", i, s.hdr.Type), EncodeTxn(&s.hdr, s.body))
	}
	logged, err := readTxnLog()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range logged {
		add("FuzzDecodeTxn", fmt.Sprintf("zookeeper-%03d-%s", e.line, e.typName), e.raw)
	}
	add("FuzzReadFrame", "hostile-100MB", cat(be32(claim100MB), []byte("x")), 0)
	add("FuzzReadFrame", "hostile-negative", be32(-1), 0)
	add("FuzzMultiRequest", "hostile-no-end", Marshal(&MultiHeader{Type: OpDelete, Err: -1}, &DeleteRequest{Path: "/a"}))
	add("FuzzMultiResponse", "hostile-claim", cat(Marshal(&MultiHeader{Type: OpGetData}), be32(claim100MB)))
	add("FuzzDecodeTxn", "hostile-vector", cat(Marshal(&TxnHeader{Type: OpMulti}), be32(1<<31-1)))
	return out
}

func be32int(b []byte) int32 {
	return int32(uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]))
}

// encodeCorpusFile renders values in the "go test fuzz v1" format.
func encodeCorpusFile(args []any) string {
	var sb strings.Builder
	sb.WriteString("go test fuzz v1\n")
	for _, a := range args {
		switch v := a.(type) {
		case []byte:
			fmt.Fprintf(&sb, "[]byte(%q)\n", v)
		case int32:
			fmt.Fprintf(&sb, "int32(%d)\n", v)
		case int:
			fmt.Fprintf(&sb, "int(%d)\n", v)
		default:
			panic(fmt.Sprintf("corpus value of type %T", a))
		}
	}
	return sb.String()
}

// TestSeedCorpus keeps testdata/fuzz in step with the golden frames and
// sample records: with -update-corpus it rewrites the files, otherwise it
// requires that every expected seed file exists with the expected content.
func TestSeedCorpus(t *testing.T) {
	entries := seedCorpus(t)
	for _, e := range entries {
		path := filepath.Join("testdata", "fuzz", e.target, e.name)
		want := encodeCorpusFile(e.args)
		if *updateCorpus {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("seed %s missing (run go test -run TestSeedCorpus -update-corpus): %v", path, err)
			continue
		}
		if string(got) != want {
			t.Errorf("seed %s is stale (run go test -run TestSeedCorpus -update-corpus)", path)
		}
	}
	t.Logf("%d seed files", len(entries))
}
