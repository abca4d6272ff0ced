package jute

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// goldenPath is the transcript captured from Apache ZooKeeper 3.8.0,
// relative to the package directory (/work/main/jute → /work/shared).
const goldenPath = "../../shared/golden/zookeeper-3.8.0-wire.txt"

// goldenExtraPath is this package's own capture from ZooKeeper 3.8.0 of the
// ops the shared transcript lacks.
const goldenExtraPath = "testdata/zookeeper-3.8.0-wire-extra.txt"

// goldenFiles are all the wire transcripts the golden tests run over.
var goldenFiles = []string{goldenPath, goldenExtraPath}

// goldenFrame is one captured frame with the decoded fields printed under it.
type goldenFrame struct {
	line  int
	label string
	sent  bool   // client → server
	raw   []byte // length prefix included
	info  map[string]string
}

var goldenLine = regexp.MustCompile(`^(.*) (->|<-) ([0-9a-f]+)$`)

// loadGolden parses the shared transcript, skipping the test if it is absent.
func loadGolden(tb testing.TB) []goldenFrame { return loadGoldenFile(tb, goldenPath) }

// loadGoldenFile parses a transcript, skipping the test if it is absent.
func loadGoldenFile(tb testing.TB, path string) []goldenFrame {
	tb.Helper()
	frames, err := readGoldenFile(path)
	if os.IsNotExist(err) {
		tb.Skipf("golden transcript %s absent", path)
	}
	if err != nil {
		tb.Fatal(err)
	}
	return frames
}

// readGolden parses every transcript that is present; it fails only if
// none is or one is malformed.
func readGolden() ([]goldenFrame, error) {
	var all []goldenFrame
	var firstErr error
	for _, path := range goldenFiles {
		frames, err := readGoldenFile(path)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		all = append(all, frames...)
	}
	if len(all) == 0 {
		return nil, firstErr
	}
	return all, nil
}

// readGoldenFile parses a transcript's frames and the fields printed under
// each.
func readGoldenFile(path string) ([]goldenFrame, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []goldenFrame
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if strings.HasPrefix(line, "## 4lw") || strings.HasPrefix(line, "## Scripts") {
			break
		}
		if strings.HasPrefix(line, "   ") && len(out) > 0 {
			last := &out[len(out)-1]
			for _, kv := range strings.Fields(line) {
				if k, v, ok := strings.Cut(kv, "="); ok {
					last.info[k] = v
				}
			}
			continue
		}
		m := goldenLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		raw, err := hex.DecodeString(m[3])
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		out = append(out, goldenFrame{line: n, label: strings.TrimSpace(m[1]), sent: m[2] == "->", raw: raw, info: map[string]string{}})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) < 40 {
		return nil, fmt.Errorf("parsed only %d frames from %s", len(out), path)
	}
	return out, nil
}

// infoInt parses a printed decimal or 0x-hex (possibly "0x-1") field.
func infoInt(tb testing.TB, g goldenFrame, key string) int64 {
	tb.Helper()
	s, ok := g.info[key]
	if !ok {
		tb.Fatalf("line %d: no %s in decoded fields %v", g.line, key, g.info)
	}
	base := 10
	if strings.HasPrefix(s, "0x") {
		s, base = s[2:], 16
	}
	v, err := strconv.ParseInt(s, base, 64)
	if err != nil {
		tb.Fatalf("line %d: %s=%q: %v", g.line, key, g.info[key], err)
	}
	return v
}

// goldenPayload checks the frame with ReadFrame and returns its payload.
func goldenPayload(t *testing.T, g goldenFrame) []byte {
	t.Helper()
	p, err := ReadFrame(bytes.NewReader(g.raw), DefaultMaxBuffer, nil)
	if err != nil {
		t.Fatalf("line %d: ReadFrame: %v", g.line, err)
	}
	if len(p) != len(g.raw)-4 {
		t.Fatalf("line %d: frame of %d bytes, payload %d", g.line, len(g.raw), len(p))
	}
	return p
}

// decodedGolden is one frame decoded into its records.
type decodedGolden struct {
	frame goldenFrame
	recs  []Record // header (if any) then body (if any)
}

// decodeGolden decodes every frame with the record a server (for requests)
// or client (for replies) would use, and returns them in order. Requests
// are matched to replies by label.
func decodeGolden(t *testing.T, path string) []decodedGolden {
	t.Helper()
	var out []decodedGolden
	pending := map[string]OpCode{}
	for _, g := range loadGoldenFile(t, path) {
		p := goldenPayload(t, g)
		d := NewDecoder(p)
		var recs []Record
		switch {
		case g.label == "ConnectRequest":
			recs = append(recs, &ConnectRequest{})
		case g.label == "ConnectResponse":
			recs = append(recs, &ConnectResponse{})
		case g.sent:
			var h RequestHeader
			h.Decode(d)
			recs = append(recs, &h)
			body, ok := NewRequestRecord(h.Type)
			if !ok {
				if h.Type != 999 {
					t.Fatalf("line %d: no request record for %v", g.line, h.Type)
				}
			} else if body != nil {
				recs = append(recs, body)
			}
			pending[g.label] = h.Type
		default:
			var h ReplyHeader
			h.Decode(d)
			recs = append(recs, &h)
			if h.Xid == XidNotification {
				recs = append(recs, &WatcherEvent{})
				break
			}
			op, ok := pending[g.label]
			if !ok {
				t.Fatalf("line %d: reply %q without a request", g.line, g.label)
			}
			delete(pending, g.label)
			if h.Err == CodeOK {
				if body, _ := NewResponseRecord(op); body != nil {
					recs = append(recs, body)
				}
			}
		}
		// Headers were read above; the last record is the one still to read.
		if last := recs[len(recs)-1]; !isHeader(last) {
			last.Decode(d)
		}
		if d.Err() != nil {
			t.Fatalf("line %d %q: decode %T: %v", g.line, g.label, recs[len(recs)-1], d.Err())
		}
		if d.Remaining() != 0 {
			t.Fatalf("line %d %q: %d bytes left after %T", g.line, g.label, d.Remaining(), recs[len(recs)-1])
		}
		out = append(out, decodedGolden{frame: g, recs: recs})
	}
	return out
}

// isHeader reports whether r is a request or reply header.
func isHeader(r Record) bool {
	switch r.(type) {
	case *RequestHeader, *ReplyHeader:
		return true
	}
	return false
}

// TestGoldenRoundTrip decodes every captured frame and requires that
// re-encoding gives the captured bytes exactly.
func TestGoldenRoundTrip(t *testing.T) {
	for _, path := range goldenFiles {
		t.Run(path, func(t *testing.T) { testGoldenRoundTrip(t, path) })
	}
}

func testGoldenRoundTrip(t *testing.T, path string) {
	decoded := decodeGolden(t, path)
	for _, dg := range decoded {
		got := AppendFrame(nil, dg.recs...)
		if !bytes.Equal(got, dg.frame.raw) {
			t.Errorf("line %d %q: re-encoded\n got %x\nwant %x", dg.frame.line, dg.frame.label, got, dg.frame.raw)
		}
		// A second decode of the re-encoding gives equal values.
		again := decodeGolden1(t, dg)
		if !reflect.DeepEqual(again, dg.recs) {
			t.Errorf("line %d %q: decode(encode(v)) != v:\n%#v\n%#v", dg.frame.line, dg.frame.label, again, dg.recs)
		}
	}
	t.Logf("%d frames round-tripped byte for byte", len(decoded))
}

// decodeGolden1 decodes dg's bytes again into fresh records of the same types.
func decodeGolden1(t *testing.T, dg decodedGolden) []Record {
	t.Helper()
	d := NewDecoder(dg.frame.raw[4:])
	out := make([]Record, len(dg.recs))
	for i, r := range dg.recs {
		fresh := reflect.New(reflect.TypeOf(r).Elem()).Interface().(Record)
		fresh.Decode(d)
		out[i] = fresh
	}
	if d.Err() != nil || d.Remaining() != 0 {
		t.Fatalf("line %d: re-decode: err=%v remaining=%d", dg.frame.line, d.Err(), d.Remaining())
	}
	return out
}

// TestGoldenFields checks decoded values against the fields printed in the
// transcript, and spot-checks bodies whose content the capture script fixed.
func TestGoldenFields(t *testing.T) {
	for _, path := range goldenFiles {
		t.Run(path, func(t *testing.T) { testGoldenFields(t, path) })
	}
}

func testGoldenFields(t *testing.T, path string) {
	checked := 0
	for _, dg := range decodeGolden(t, path) {
		g := dg.frame
		switch h := dg.recs[0].(type) {
		case *ConnectRequest:
			// 45 bytes with the readOnly flag last; 44 from an old client.
			p := g.raw[4:]
			if h.HasReadOnly != (len(p) == 45) || h.ReadOnly != (len(p) == 45 && p[44] == 1) || len(h.Passwd) != 16 {
				t.Errorf("line %d: %+v", g.line, h)
			}
		case *ConnectResponse:
			if int64(h.ProtocolVersion) != infoInt(t, g, "protocolVersion") ||
				int64(h.TimeOut) != infoInt(t, g, "negotiatedTimeout") ||
				h.SessionID != infoInt(t, g, "sessionId") ||
				int64(len(h.Passwd)) != infoInt(t, g, "passwdLen") ||
				h.OmitReadOnly != (g.info["readOnlyByte"] == "") || h.ReadOnly != (g.info["readOnlyByte"] == "01") {
				t.Errorf("line %d: %+v vs %v", g.line, h, g.info)
			}
			checked++
		case *ReplyHeader:
			if int64(h.Xid) != infoInt(t, g, "xid") || h.Zxid != infoInt(t, g, "zxid") {
				t.Errorf("line %d: %+v vs %v", g.line, h, g.info)
			}
			if _, ok := g.info["err"]; ok && int64(h.Err) != infoInt(t, g, "err") {
				t.Errorf("line %d: err %d vs %v", g.line, h.Err, g.info)
			}
			if _, ok := g.info["bodyLen"]; ok && int64(len(g.raw)-4-ReplyHeaderSize) != infoInt(t, g, "bodyLen") {
				t.Errorf("line %d: bodyLen vs %v", g.line, g.info)
			}
			if h.Xid == XidNotification {
				ev := dg.recs[1].(*WatcherEvent)
				if int64(ev.Type) != infoInt(t, g, "type") || int64(ev.State) != infoInt(t, g, "state") ||
					"b'"+ev.Path+"'" != g.info["path"] {
					t.Errorf("line %d: %+v vs %v", g.line, ev, g.info)
				}
			}
			checked++
		}
	}
	if checked < 25 {
		t.Fatalf("checked only %d replies against printed fields", checked)
	}
}

// TestGoldenBodies pins the content of bodies the capture script chose.
func TestGoldenBodies(t *testing.T) {
	bodies := map[string]Record{} // label + direction → body
	for _, dg := range decodeGolden(t, goldenPath) {
		if len(dg.recs) < 2 {
			continue
		}
		dir := " <-"
		if dg.frame.sent {
			dir = " ->"
		}
		bodies[dg.frame.label+dir] = dg.recs[1]
	}
	acl := []ACL{{Perms: PermAll, ID: Id{Scheme: "world", ID: "anyone"}}}
	cases := []struct {
		key  string
		want Record
	}{
		{"create(PERSISTENT /svc) ->", &CreateRequest{Path: "/svc", Data: []byte{}, ACL: acl, Flags: ModePersistent}},
		{"create(PERSISTENT /svc) <-", &CreateResponse{Path: "/svc"}},
		{"create2(EPHEMERAL_SEQUENTIAL) ->", &CreateRequest{Path: "/svc/inst-", Data: []byte(`{"host":"127.0.0.1","port":8080}`), ACL: acl, Flags: ModeEphemeralSequential}},
		{"getChildren2(watch=true) ->", &GetChildren2Request{Path: "/svc", Watch: true}},
		{"createTTL(flags=5,ttl=60000) ->", &CreateTTLRequest{Path: "/ttl", Data: []byte("x"), ACL: acl, Flags: ModePersistentWithTTL, TTL: 60000}},
		{"addWatch(/ctr, PERSISTENT_RECURSIVE=1) ->", &AddWatchRequest{Path: "/ctr", Mode: AddWatchModePersistentRecursive}},
		{"addWatch(/ctr, PERSISTENT_RECURSIVE=1) <-", &ErrorResponse{Err: CodeOK}},
		{"getAllChildrenNumber(/) <-", &GetAllChildrenNumberResponse{TotalNumber: 7}},
		{"getEphemerals(/) ->", &GetEphemeralsRequest{PrefixPath: "/"}},
		{"getEphemerals(/) <-", &GetEphemeralsResponse{Ephemerals: []string{"/ctr/a"}}},
		{"sync(/ctr) <-", &SyncResponse{Path: "/ctr"}},
		{"auth(xid=-4) ->", &AuthPacket{Type: 0, Scheme: "digest", Auth: []byte("bob:secret")}},
		{"whoAmI <-", &WhoAmIResponse{ClientInfo: []ClientInfo{{AuthScheme: "ip", User: "127.0.0.1"}}}},
		{"multi(check bad version, delete) -> per-op errors ->", &MultiRequest{Ops: []MultiOp{
			{Type: OpCheck, Req: &CheckVersionRequest{Path: "/ctr", Version: 99}},
			{Type: OpDelete, Req: &DeleteRequest{Path: "/ctr/a", Version: -1}},
		}}},
		{"multi(check bad version, delete) -> per-op errors <-", &MultiResponse{Results: []MultiResult{
			{Type: OpError, Err: CodeBadVersion, Resp: &ErrorResponse{Err: CodeBadVersion}},
			{Type: OpError, Err: CodeRuntimeInconsistency, Resp: &ErrorResponse{Err: CodeRuntimeInconsistency}},
		}}},
	}
	for _, c := range cases {
		got, ok := bodies[c.key]
		if !ok {
			t.Errorf("no body for %q", c.key)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s:\n got %#v\nwant %#v", c.key, got, c.want)
		}
	}

	// Shapes of the multi and multiRead frames.
	m := bodies["multi(create,check,setData) ->"].(*MultiRequest)
	if len(m.Ops) != 3 || m.Ops[0].Type != OpCreate || m.Ops[1].Type != OpCheck || m.Ops[2].Type != OpSetData {
		t.Errorf("multi ops %+v", m.Ops)
	}
	mr := bodies["multi(create,check,setData) <-"].(*MultiResponse)
	if len(mr.Results) != 3 || mr.Results[0].Resp.(*CreateResponse).Path != "/ctr/a" ||
		mr.Results[1].Type != OpCheck || mr.Results[1].Resp != nil ||
		mr.Results[2].Resp.(*SetDataResponse).Stat.Version != 1 {
		t.Errorf("multi results %+v", mr.Results)
	}
	rr := bodies["multiRead(getData,getChildren nonexistent) <-"].(*MultiResponse)
	if len(rr.Results) != 2 || string(rr.Results[0].Resp.(*GetDataResponse).Data) != "2" ||
		rr.Results[1].Type != OpError || rr.Results[1].Err != CodeNoNode {
		t.Errorf("multiRead results %+v", rr.Results)
	}
	gc := bodies["getChildren2(watch=true) <-"].(*GetChildren2Response)
	if !reflect.DeepEqual(gc.Children, []string{"inst-0000000000"}) || gc.Stat.NumChildren != 1 || gc.Stat.Cversion != 1 {
		t.Errorf("getChildren2 %+v", gc)
	}
	gd := bodies["getData <-"].(*GetDataResponse)
	if gd.Stat.EphemeralOwner != 0x1000040fd0d0000 || gd.Stat.DataLength != int32(len(gd.Data)) {
		t.Errorf("getData %+v", gd)
	}
}

// TestGoldenServerEncodings builds the replies a server would build from its
// own values and requires ZooKeeper's bytes.
func TestGoldenServerEncodings(t *testing.T) {
	replies := map[string][]byte{}
	var connectResps [][]byte
	for _, g := range loadGolden(t) {
		if g.label == "ConnectResponse" {
			connectResps = append(connectResps, g.raw)
		} else if !g.sent {
			replies[g.label] = g.raw
		}
	}
	// A rejected session (bad password): zero timeout and id, 16 zero bytes.
	rejected := AppendFrame(nil, &ConnectResponse{Passwd: make([]byte, 16)})
	if !bytes.Equal(rejected, connectResps[2]) {
		t.Errorf("rejected ConnectResponse\n got %x\nwant %x", rejected, connectResps[2])
	}
	perOp := AppendFrame(nil,
		&ReplyHeader{Xid: 4, Zxid: 0xc},
		&MultiResponse{Results: []MultiResult{
			{Type: OpError, Err: CodeBadVersion},
			{Type: OpError, Err: CodeRuntimeInconsistency},
		}})
	if want := replies["multi(check bad version, delete) -> per-op errors"]; !bytes.Equal(perOp, want) {
		t.Errorf("multi error response\n got %x\nwant %x", perOp, want)
	}
	unknown := AppendFrame(nil, &ReplyHeader{Xid: 10, Zxid: -1, Err: CodeUnimplemented})
	if want := replies["unknown opcode 999"]; !bytes.Equal(unknown, want) {
		t.Errorf("unimplemented reply\n got %x\nwant %x", unknown, want)
	}
	addWatch := AppendFrame(nil, &ReplyHeader{Xid: 1, Zxid: 0xa}, &ErrorResponse{})
	if want := replies["addWatch(/ctr, PERSISTENT_RECURSIVE=1)"]; !bytes.Equal(addWatch, want) {
		t.Errorf("addWatch reply\n got %x\nwant %x", addWatch, want)
	}
}
