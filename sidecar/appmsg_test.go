package sidecar

import (
	"testing"

	"github.com/zkmesh/zkmesh/jute"
)

func FuzzAppMsg(f *testing.F) {
	body := jute.Marshal(&jute.CreateRequest{Path: "/a", Data: []byte("x"), ACL: jute.OpenACLUnsafe})
	f.Add(encodeAppMsg(&appMsg{Kind: appForward, Session: 7, Cxid: 3, Op: int32(jute.OpCreate), Body: body, Auth: []jute.Id{{Scheme: "ip", ID: "127.0.0.1"}}}))
	f.Add(encodeAppMsg(&appMsg{Kind: appTouch, Sessions: []int64{1, 2, 3}}))
	f.Add(encodeAppMsg(&appMsg{Kind: appSync, SyncID: 9}))
	f.Add([]byte{0x80})
	// A vector claiming 2^31-1 sessions in a few bytes must be refused
	// without allocating.
	f.Add([]byte{appMsgVersion, byte(appTouch), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decodeAppMsg(b)
		if err != nil {
			return
		}
		if m.Kind == appForward {
			m.forwardedRequest() // must not panic
		}
		again, err := decodeAppMsg(encodeAppMsg(m))
		if err != nil || again.Kind != m.Kind || again.Session != m.Session || again.SyncID != m.SyncID {
			t.Fatalf("round trip changed %+v into %+v (%v)", m, again, err)
		}
	})
}

func TestForwardedRequestRoundTrip(t *testing.T) {
	req := &jute.SetDataRequest{Path: "/p", Data: []byte("v"), Version: 4}
	m, err := decodeAppMsg(encodeAppMsg(&appMsg{Kind: appForward, Op: int32(jute.OpSetData), Body: jute.Marshal(req)}))
	if err != nil {
		t.Fatal(err)
	}
	op, rec, err := m.forwardedRequest()
	if err != nil || op != jute.OpSetData {
		t.Fatal(op, err)
	}
	got := rec.(*jute.SetDataRequest)
	if got.Path != "/p" || string(got.Data) != "v" || got.Version != 4 {
		t.Fatalf("got %+v", got)
	}
	m.Op = int32(jute.OpGetData)
	if _, _, err := m.forwardedRequest(); err == nil {
		t.Fatal("a read was accepted as a forwarded write")
	}
}

// TestAppMsgHostileCountsAllocateNothing: announced counts are checked
// against the bytes that remain before any allocation.
func TestAppMsgHostileCountsAllocateNothing(t *testing.T) {
	in := []byte{appMsgVersion, byte(appTouch), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff}
	allocs := testing.AllocsPerRun(10, func() {
		if _, err := decodeAppMsg(in); err == nil {
			t.Fatal("a message announcing 2^31-1 sessions in 30 bytes was accepted")
		}
	})
	if allocs > 4 {
		t.Fatalf("%v allocations decoding a hostile count", allocs)
	}
}
