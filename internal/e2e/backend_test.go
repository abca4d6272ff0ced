package e2e

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// The echo service is written by hand (no generated code): one unary method
// taking and returning a StringValue. The reply is "<backend id>|<request>".
const (
	echoService = "zkmesh.e2e.Echo"
	echoMethod  = "/" + echoService + "/Echo"
)

// backend is a real gRPC server of the echo service on a loopback port. It
// counts the RPCs it serves and remembers when it served the first and the
// last. Its methods may be called from any goroutine.
type backend struct {
	id   string
	port int

	rpcs   atomic.Int64
	lastNs atomic.Int64 // time.Now().UnixNano() of the last RPC served
	// first is closed when the first RPC is served; firstAt is set before.
	first     chan struct{}
	firstOnce sync.Once
	firstAt   time.Time
}

// echoDesc describes the echo service for grpc.Server.RegisterService.
var echoDesc = grpc.ServiceDesc{
	ServiceName: echoService,
	HandlerType: (*any)(nil),
	Methods: []grpc.MethodDesc{{
		MethodName: "Echo",
		Handler: func(srv any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
			in := new(wrapperspb.StringValue)
			if err := dec(in); err != nil {
				return nil, err
			}
			return srv.(*backend).echo(in), nil
		},
	}},
}

func (b *backend) echo(in *wrapperspb.StringValue) *wrapperspb.StringValue {
	now := time.Now()
	b.rpcs.Add(1)
	b.lastNs.Store(now.UnixNano())
	b.firstOnce.Do(func() {
		b.firstAt = now
		close(b.first)
	})
	return wrapperspb.String(b.id + "|" + in.GetValue())
}

// startBackend starts backend id on a free loopback port; it stops when the
// test ends.
func startBackend(t testing.TB, id string) *backend {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &backend{id: id, port: lis.Addr().(*net.TCPAddr).Port, first: make(chan struct{})}
	srv := grpc.NewServer()
	srv.RegisterService(&echoDesc, b)
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(lis) }()
	t.Cleanup(func() { srv.Stop(); <-done })
	return b
}

// last returns when the backend last served an RPC (zero if never).
func (b *backend) last() time.Time {
	ns := b.lastNs.Load()
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns)
}
