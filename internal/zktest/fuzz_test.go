package zktest

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/zkmesh/zkmesh/jute"
)

// serverStream builds what a server sends: a ConnectResponse frame and
// then the given reply frames.
func serverStream(frames ...[]byte) []byte {
	e := jute.NewEncoder(nil)
	conn := jute.NewEncoder(nil)
	conn.Int(0)
	conn.Int(4000)
	conn.Long(0x1234)
	conn.Buffer(make([]byte, 16))
	conn.Bool(false)
	e.Int(int32(len(conn.Bytes())))
	e.Raw(conn.Bytes())
	for _, f := range frames {
		e.Int(int32(len(f)))
		e.Raw(f)
	}
	return e.Bytes()
}

func reply(xid int32, code jute.Code, body func(*jute.Encoder)) []byte {
	e := jute.NewEncoder(nil)
	e.Int(xid)
	e.Long(7)
	e.Int(int32(code))
	if body != nil {
		body(e)
	}
	return e.Bytes()
}

// FuzzRawClientStream plays arbitrary bytes as the server side of a
// RawClient session: the handshake, the reply to a whoAmI (xid 1), and
// notifications. The client must neither panic nor hang.
func FuzzRawClientStream(f *testing.F) {
	f.Add(serverStream(reply(1, jute.CodeOK, func(e *jute.Encoder) {
		e.Int(1)
		e.String("ip")
		e.String("127.0.0.1")
	})))
	f.Add(serverStream(reply(-1, 0, func(e *jute.Encoder) {
		e.Int(int32(jute.EventNodeCreated))
		e.Int(int32(jute.StateSyncConnected))
		e.String("/a")
	}), reply(1, jute.CodeNoAuth, nil)))
	f.Add(serverStream(reply(1, jute.CodeOK, func(e *jute.Encoder) { e.Int(1 << 30) })))
	f.Add([]byte{0, 0, 0, 4, 0, 0, 0, 0})
	f.Add([]byte{0x7f, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, stream []byte) {
		cli, srv := net.Pipe()
		go func() {
			go func() { _, _ = io.Copy(io.Discard, srv) }()
			_, _ = srv.Write(stream)
			srv.Close()
		}()
		c, err := newRawClient(cli, RawOptions{NoPing: true, ReplyTimeout: 2 * time.Second})
		if err != nil {
			cli.Close()
			return
		}
		r, err := c.WhoAmI()
		if err == nil && len(r.ClientInfo) > len(stream) {
			t.Fatalf("%d entries from %d bytes", len(r.ClientInfo), len(stream))
		}
		_ = c.Events()
		_ = c.Drop()
		<-c.Closed()
	})
}
