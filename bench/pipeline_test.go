package bench

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/zkmesh/zkmesh/jute"
)

// fakeServer is the server end of a net.Pipe: it answers the handshake and
// then hands every request frame to the test.
type fakeServer struct {
	nc   net.Conn
	reqs chan jute.RequestHeader // every request header, in order
}

// pipeSession returns a client session over an in-memory pipe and the
// server end. The server end is closed when the test ends.
func pipeSession(t *testing.T) (*session, *fakeServer) {
	t.Helper()
	cli, srv := net.Pipe()
	fs := &fakeServer{nc: srv, reqs: make(chan jute.RequestHeader, 1024)}
	t.Cleanup(func() { srv.Close(); cli.Close() })
	hs := make(chan error, 1)
	go func() {
		frame, err := jute.ReadFrame(srv, 0, nil)
		if err != nil {
			hs <- err
			return
		}
		var req jute.ConnectRequest
		if err := jute.Unmarshal(frame, &req); err != nil {
			hs <- err
			return
		}
		resp := jute.ConnectResponse{TimeOut: req.TimeOut, SessionID: 42, Passwd: make([]byte, 16)}
		_, err = srv.Write(jute.AppendFrame(nil, &resp))
		hs <- err
		if err != nil {
			return
		}
		for {
			frame, err := jute.ReadFrame(srv, 0, nil)
			if err != nil {
				close(fs.reqs)
				return
			}
			var h jute.RequestHeader
			_ = jute.Unmarshal(frame[:jute.RequestHeaderSize], &h)
			fs.reqs <- h
		}
	}()
	s, err := handshake(cli, "pipe", 10000, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-hs; err != nil {
		t.Fatal(err)
	}
	if s.id != 42 || s.timeoutMs != 10000 {
		t.Fatalf("session %d timeout %d", s.id, s.timeoutMs)
	}
	return s, fs
}

// okBody returns a well-formed reply body for op.
func okBody(op jute.OpCode) jute.Record {
	switch op {
	case jute.OpGetData:
		return &jute.GetDataResponse{Data: []byte("x")}
	case jute.OpSetData:
		return &jute.SetDataResponse{}
	case jute.OpCreate:
		return &jute.CreateResponse{Path: "/p"}
	}
	return nil
}

// answer writes the reply to h with code.
func (fs *fakeServer) answer(h jute.RequestHeader, code jute.Code) error {
	var body jute.Record
	if code == jute.CodeOK {
		body = okBody(h.Type)
	}
	_, err := fs.nc.Write(jute.AppendFrame(nil, &jute.ReplyHeader{Xid: h.Xid, Zxid: 7, Err: code}, body))
	return err
}

func (fs *fakeServer) notify() error {
	ev := jute.WatcherEvent{Type: jute.EventNodeDataChanged, State: jute.StateSyncConnected, Path: "/w"}
	_, err := fs.nc.Write(jute.AppendFrame(nil, &jute.ReplyHeader{Xid: xidNotification, Zxid: -1}, &ev))
	return err
}

// gets returns a next function for n getData requests.
func gets(n int) func(*request) bool {
	sent := 0
	return func(r *request) bool {
		if sent == n {
			return false
		}
		sent++
		*r = request{op: jute.OpGetData, body: &jute.GetDataRequest{Path: "/k"}}
		return true
	}
}

// tally counts replies by code.
type tally struct {
	mu    sync.Mutex
	codes map[jute.Code]int
	n     int
}

func (t *tally) done(r reply) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.codes == nil {
		t.codes = map[jute.Code]int{}
	}
	t.codes[r.code]++
	t.n++
	if r.done.Before(r.sent) {
		panic("reply done before it was sent")
	}
}

func TestPipelineKeepsDepthInFlight(t *testing.T) {
	s, fs := pipeSession(t)
	const depth, total = 8, 200
	// The server answers only when depth requests are waiting, so the run
	// can finish only if the client really keeps depth in flight.
	go func() {
		var held []jute.RequestHeader
		for h := range fs.reqs {
			held = append(held, h)
			if len(held) == depth || h.Xid == total {
				_ = fs.notify() // interleaved events are skipped
				for _, x := range held {
					if fs.answer(x, jute.CodeOK) != nil {
						return
					}
				}
				held = held[:0]
			}
		}
	}()
	var tl tally
	err := s.run(context.Background(), pipeline{depth: depth, idle: 10 * time.Second, next: gets(total), done: tl.done})
	if err != nil {
		t.Fatal(err)
	}
	if tl.n != total || tl.codes[jute.CodeOK] != total {
		t.Fatalf("replies %d by code %v, want %d ok", tl.n, tl.codes, total)
	}
	if s.broken {
		t.Fatal("session broken after a clean run")
	}
}

func TestPipelineErrorCodesAndBadBodies(t *testing.T) {
	s, fs := pipeSession(t)
	go func() {
		i := 0
		for h := range fs.reqs {
			var err error
			switch i % 3 {
			case 0:
				err = fs.answer(h, jute.CodeOK)
			case 1:
				err = fs.answer(h, jute.CodeNoNode)
			case 2: // OK with a body cut short
				_, err = fs.nc.Write(jute.AppendFrame(nil, &jute.ReplyHeader{Xid: h.Xid}, &jute.ErrorResponse{}))
			}
			if err != nil {
				return
			}
			i++
		}
	}()
	var tl tally
	if err := s.run(context.Background(), pipeline{depth: 4, idle: 10 * time.Second, next: gets(30), done: tl.done}); err != nil {
		t.Fatal(err)
	}
	want := map[jute.Code]int{jute.CodeOK: 10, jute.CodeNoNode: 10, jute.CodeMarshallingError: 10}
	for c, n := range want {
		if tl.codes[c] != n {
			t.Errorf("code %v: %d replies, want %d (all: %v)", c, tl.codes[c], n, tl.codes)
		}
	}
}

func TestPipelineRejectsRepliesOutOfOrder(t *testing.T) {
	s, fs := pipeSession(t)
	go func() {
		a, ok1 := <-fs.reqs
		b, ok2 := <-fs.reqs
		if ok1 && ok2 {
			_ = fs.answer(b, jute.CodeOK)
			_ = fs.answer(a, jute.CodeOK)
		}
		for range fs.reqs {
		}
	}()
	var tl tally
	err := s.run(context.Background(), pipeline{depth: 2, idle: 10 * time.Second, next: gets(2), done: tl.done})
	if !errors.Is(err, ErrReplyOutOfOrder) {
		t.Fatalf("got %v, want ErrReplyOutOfOrder", err)
	}
	if tl.n != 2 || tl.codes[jute.CodeConnectionLoss] != 2 {
		t.Fatalf("replies %v, want both requests reported as connection loss", tl.codes)
	}
	if !s.broken {
		t.Fatal("session not marked broken")
	}
}

func TestPipelineGivesUpOnASilentServer(t *testing.T) {
	s, fs := pipeSession(t)
	go func() {
		i := 0
		for h := range fs.reqs {
			if i < 3 {
				if fs.answer(h, jute.CodeOK) != nil {
					return
				}
			}
			i++
		}
	}()
	var tl tally
	start := time.Now()
	err := s.run(context.Background(), pipeline{depth: 5, idle: 300 * time.Millisecond, next: gets(100), done: tl.done})
	if !errors.Is(err, ErrDrainTimeout) {
		t.Fatalf("got %v, want ErrDrainTimeout", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %v to give up", d)
	}
	// 3 answered, then 5 in flight never answered.
	if tl.codes[jute.CodeOK] != 3 || tl.codes[jute.CodeOperationTimeout] != 5 || tl.n != 8 {
		t.Fatalf("replies %v", tl.codes)
	}
}

func TestPipelineStopsOnCancel(t *testing.T) {
	s, fs := pipeSession(t)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		n := 0
		for range fs.reqs {
			if n++; n == 4 {
				cancel() // the server never answers; the client is cancelled
			}
		}
	}()
	var tl tally
	err := s.run(ctx, pipeline{depth: 4, idle: time.Minute, next: gets(1000), done: tl.done})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if tl.n != 4 {
		t.Fatalf("%d requests reported, want the 4 in flight", tl.n)
	}
}

func TestPipelineStopsAtUntil(t *testing.T) {
	s, fs := pipeSession(t)
	go func() {
		for h := range fs.reqs {
			if fs.answer(h, jute.CodeOK) != nil {
				return
			}
		}
	}()
	var tl tally
	until := time.Now().Add(200 * time.Millisecond)
	endless := func(r *request) bool {
		*r = request{op: jute.OpGetData, body: &jute.GetDataRequest{Path: "/k"}}
		return true
	}
	if err := s.run(context.Background(), pipeline{depth: 4, until: until, idle: 10 * time.Second, next: endless, done: tl.done}); err != nil {
		t.Fatal(err)
	}
	if time.Now().Before(until) || tl.n == 0 || tl.codes[jute.CodeOK] != tl.n {
		t.Fatalf("stopped early or lost replies: %v", tl.codes)
	}
}

// FuzzReplyStream feeds arbitrary server bytes to a pipeline: it must not
// panic, must end, and must report every request it sent exactly once.
func FuzzReplyStream(f *testing.F) {
	var ok []byte
	for xid := int32(1); xid <= 4; xid++ {
		ok = jute.AppendFrame(ok, &jute.ReplyHeader{Xid: xid, Zxid: 3}, &jute.GetDataResponse{Data: []byte("v")})
	}
	f.Add(ok)
	f.Add(jute.AppendFrame(nil, &jute.ReplyHeader{Xid: 1, Err: jute.CodeNoNode}))
	f.Add(jute.AppendFrame(nil, &jute.ReplyHeader{Xid: xidNotification}, &jute.WatcherEvent{Path: "/a"}))
	f.Add([]byte{0, 0, 0, 4, 0, 0, 0, 1})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	for _, fr := range goldenReplies(f) {
		f.Add(fr.frame)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cli, srv := net.Pipe()
		defer cli.Close()
		go func() { _, _ = io.Copy(io.Discard, srv) }()
		go func() {
			_, _ = srv.Write(data)
			srv.Close()
		}()
		s := &session{addr: "pipe", nc: cli, br: newReader(cli), bw: newWriter(cli), xid: 1}
		var tl tally
		sent := 0
		next := func(r *request) bool {
			if sent == 6 {
				return false
			}
			sent++
			*r = request{op: jute.OpGetData, body: &jute.GetDataRequest{Path: "/k"}}
			return true
		}
		_ = s.run(context.Background(), pipeline{depth: 3, idle: 2 * time.Second, next: next, done: tl.done})
		if tl.n != sent {
			t.Fatalf("%d requests sent, %d reported", sent, tl.n)
		}
	})
}

func TestPipelineReportsEverythingWhenTheServerHangsUp(t *testing.T) {
	s, fs := pipeSession(t)
	fs.nc.Close()
	var tl tally
	done := make(chan error, 1)
	go func() {
		done <- s.run(context.Background(), pipeline{depth: 4, idle: time.Minute, next: gets(100), done: tl.done})
	}()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("run succeeded against a closed connection")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("run did not notice the closed connection")
	}
	if tl.n > 4 || tl.codes[jute.CodeConnectionLoss] != tl.n || !s.broken {
		t.Fatalf("reported %d (%v), broken %v", tl.n, tl.codes, s.broken)
	}
}
