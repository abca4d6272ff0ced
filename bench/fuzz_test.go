package bench

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/zkmesh/zkmesh/jute"
)

// goldenWire holds request and reply frames captured from Apache ZooKeeper
// 3.8.0 (see its README).
const goldenWire = "../../shared/golden/zookeeper-3.8.0-wire.txt"

// goldenReply is one captured reply frame (length prefix included) and the
// opcode of the request it answers (0 when unknown).
type goldenReply struct {
	op    jute.OpCode
	frame []byte
}

// goldenReplies reads the captured replies; it returns none when the file
// is absent.
func goldenReplies(tb testing.TB) []goldenReply {
	tb.Helper()
	f, err := os.Open(goldenWire)
	if err != nil {
		tb.Logf("no golden frames: %v", err)
		return nil
	}
	defer f.Close()
	var out []goldenReply
	lastOp := map[string]jute.OpCode{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if i := strings.LastIndex(line, " -> "); i > 0 {
			b, err := hex.DecodeString(strings.TrimSpace(line[i+4:]))
			if err == nil && len(b) >= 12 {
				lastOp[line[:i]] = jute.OpCode(int32(binary.BigEndian.Uint32(b[8:12])))
			}
			continue
		}
		if i := strings.LastIndex(line, " <- "); i > 0 {
			b, err := hex.DecodeString(strings.TrimSpace(line[i+4:]))
			if err == nil && len(b) >= 4 {
				out = append(out, goldenReply{op: lastOp[line[:i]], frame: b})
			}
		}
	}
	return out
}

// TestGoldenRepliesDecode checks decodeReply against the replies Apache
// ZooKeeper sent for the ops bench uses.
func TestGoldenRepliesDecode(t *testing.T) {
	seen := 0
	for _, g := range goldenReplies(t) {
		switch g.op {
		case jute.OpCreate, jute.OpGetData, jute.OpSetData, jute.OpExists, jute.OpGetChildren, jute.OpGetChildren2, jute.OpDelete:
		default:
			continue
		}
		var hdr jute.ReplyHeader
		d := jute.NewDecoder(g.frame[4:])
		hdr.Decode(d)
		if d.Err() != nil || hdr.Err != jute.CodeOK {
			continue
		}
		if err := decodeReply(g.op, g.frame[4+d.Offset():]); err != nil {
			t.Errorf("%s reply %x: %v", g.op, g.frame, err)
		}
		seen++
	}
	if _, err := os.Stat(goldenWire); err == nil && seen == 0 {
		t.Fatal("no golden reply of a bench opcode found")
	}
}

// FuzzDecodeReply: decoding a reply body must never panic, and a body that
// decodes must be consumed whole.
func FuzzDecodeReply(f *testing.F) {
	for _, g := range goldenReplies(f) {
		if len(g.frame) >= 4+jute.ReplyHeaderSize {
			f.Add(int32(g.op), g.frame[4+jute.ReplyHeaderSize:])
		}
	}
	f.Add(int32(jute.OpGetData), jute.Marshal(&jute.GetDataResponse{Data: []byte("abc")}))
	f.Add(int32(jute.OpCreate), jute.Marshal(&jute.CreateResponse{Path: "/a"}))
	f.Add(int32(jute.OpGetChildren), jute.Marshal(&jute.GetChildrenResponse{Children: []string{"a", "b"}}))
	f.Add(int32(jute.OpDelete), []byte{})
	f.Add(int32(jute.OpExists), []byte{0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, op int32, body []byte) {
		if err := decodeReply(jute.OpCode(op), body); err == nil {
			rec, ok := jute.NewResponseRecord(jute.OpCode(op))
			if ok && rec == nil && len(body) != 0 {
				t.Fatalf("%s: body of %d bytes accepted for a bodiless reply", jute.OpCode(op), len(body))
			}
		}
	})
}
