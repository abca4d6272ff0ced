package sidecar

import (
	"net"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zkmesh/zkmesh/jute"
)

// rawSession opens a session with one ConnectRequest; it returns the
// connection (nil if the server closed it) and the response.
func rawSession(t *testing.T, addr string, readOnly bool) (net.Conn, jute.ConnectResponse) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(5 * time.Second))
	req := jute.ConnectRequest{TimeOut: 10000, Passwd: make([]byte, 16), ReadOnly: readOnly, HasReadOnly: true}
	if _, err := c.Write(jute.AppendFrame(nil, &req)); err != nil {
		t.Fatal(err)
	}
	frame, err := jute.ReadFrame(c, 0, nil)
	if err != nil {
		return nil, jute.ConnectResponse{}
	}
	var resp jute.ConnectResponse
	if err := jute.Unmarshal(frame, &resp); err != nil {
		t.Fatal(err)
	}
	return c, resp
}

// rawCall sends one request and returns the reply header and body bytes.
func rawCall(t *testing.T, c net.Conn, xid int32, op jute.OpCode, body jute.Record) (jute.ReplyHeader, *jute.Decoder) {
	t.Helper()
	if _, err := c.Write(jute.AppendFrame(nil, &jute.RequestHeader{Xid: xid, Type: op}, body)); err != nil {
		t.Fatal(err)
	}
	frame, err := jute.ReadFrame(c, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := jute.NewDecoder(frame)
	var rh jute.ReplyHeader
	rh.Decode(d)
	return rh, d
}

// A member cut off from its quorum serves read-only clients after the
// delay: reads of its replica work, writes and sync get NOTREADONLY,
// clients that do not accept read-only mode are refused, isro says "ro".
// With its quorum back it drops them and serves read-write again.
func TestReadOnlyModeWithoutQuorum(t *testing.T) {
	ms := startEnsemble(t, 3, 0, func(c *Config) { c.System["zookeeper.readonlymode.enabled"] = "true" })
	c, _ := connect(t, ms[0].addr)
	if _, err := c.Create("/ro", []byte("seen"), 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Sync("/ro"); err != nil {
		t.Fatal(err)
	}
	survivor := ms[2]
	if cc, _ := connect(t, survivor.addr); cc != nil {
		if _, err := cc.Sync("/ro"); err != nil {
			t.Fatal(err)
		}
	}
	ms[0].stop()
	ms[1].stop()
	lost := time.Now()
	for survivor.srv.ServerStats().ReadOnly != true {
		if time.Since(lost) > 10*time.Second {
			t.Fatal("no read-only mode 10s after losing the quorum")
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("read-only mode %v after losing the quorum", time.Since(lost).Round(10*time.Millisecond))
	if got, _ := FourLetter("isro", &Config{FourLetterWhitelist: []string{"*"}}, survivor.srv); got != "ro" {
		t.Fatalf("isro = %q", got)
	}
	if conn, _ := rawSession(t, survivor.addr, false); conn != nil {
		if _, err := jute.ReadFrame(conn, 0, nil); err == nil {
			t.Fatal("a client that does not accept read-only mode got an answer")
		}
	}
	conn, resp := rawSession(t, survivor.addr, true)
	if conn == nil || !resp.ReadOnly || resp.SessionID == 0 {
		t.Fatalf("read-only session: %+v", resp)
	}
	rh, d := rawCall(t, conn, 1, jute.OpGetData, &jute.GetDataRequest{Path: "/ro"})
	var gd jute.GetDataResponse
	gd.Decode(d)
	if rh.Err != jute.CodeOK || string(gd.Data) != "seen" {
		t.Fatalf("read in read-only mode: %v %q", rh.Err, gd.Data)
	}
	if rh, _ := rawCall(t, conn, 2, jute.OpSetData, &jute.SetDataRequest{Path: "/ro", Data: []byte("x"), Version: -1}); rh.Err != jute.CodeNotReadOnly {
		t.Fatalf("write in read-only mode: %v, want NOTREADONLY", rh.Err)
	}
	if rh, _ := rawCall(t, conn, 3, jute.OpSync, &jute.SyncRequest{Path: "/ro"}); rh.Err != jute.CodeNotReadOnly {
		t.Fatalf("sync in read-only mode: %v, want NOTREADONLY", rh.Err)
	}

	// The quorum comes back: read-only sessions are dropped, read-write
	// service resumes.
	servers := survivor.srv.cfg.Servers
	ms[0].start(t, servers)
	waitServing(t, survivor, ms[0])
	if survivor.srv.ServerStats().ReadOnly {
		t.Fatal("still read-only with a quorum")
	}
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := jute.ReadFrame(conn, 0, nil); err == nil {
		t.Fatal("read-only session kept after the quorum came back")
	}
	rw, _ := connect(t, survivor.addr)
	if _, err := rw.Set("/ro", []byte("rw"), -1); err != nil {
		t.Fatal(err)
	}
}
