package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

// sessionTimeout is the ZooKeeper session timeout of every test session.
// Tests end sessions by closing them, never by letting them expire.
const sessionTimeout = 4 * time.Second

// connect opens a ZooKeeper session to addr and returns once the session is
// established. The session is closed when the test ends (closing twice is
// harmless).
func connect(t testing.TB, addr string) *zk.Conn {
	t.Helper()
	conn, events, err := zk.Connect([]string{addr}, sessionTimeout, zk.WithLogInfo(false), zk.WithLogger(quietLogger{}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(conn.Close)
	deadline := time.After(waitLimit)
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatalf("ZooKeeper client to %s gave up before a session was established", addr)
			}
			if ev.State == zk.StateHasSession {
				return conn
			}
		case <-deadline:
			t.Fatalf("no ZooKeeper session with %s within %v", addr, waitLimit)
		}
	}
}

type quietLogger struct{}

func (quietLogger) Printf(string, ...any) {}

// ensureDir creates the persistent parents of dir (and dir itself).
func ensureDir(t testing.TB, conn *zk.Conn, dir string) {
	t.Helper()
	p := ""
	for _, part := range strings.Split(strings.TrimPrefix(dir, "/"), "/") {
		p += "/" + part
		if _, err := conn.Create(p, nil, 0, zk.WorldACL(zk.PermAll)); err != nil && !errors.Is(err, zk.ErrNodeExists) {
			t.Fatalf("create %s: %v", p, err)
		}
	}
}

// registerEphemeral creates path as an EPHEMERAL node of conn's session.
func registerEphemeral(t testing.TB, conn *zk.Conn, path string, data []byte) {
	t.Helper()
	if _, err := conn.Create(path, data, zk.FlagEphemeral, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatalf("create ephemeral %s: %v", path, err)
	}
}

// layout is one of the four registration layouts zkmesh publishes, with one
// service of it.
type layout struct {
	name string
	// dir is the persistent parent the registrations go under.
	dir string
	// service is the xDS resource name (cluster, listener and route):
	// the gRPC target is xds:///<service>.
	service string
	// weighted: the layout carries weights and the service uses a policy
	// under which proxyless gRPC honours them (ring hash).
	weighted bool
	// node returns the path and data of backend b's registration with the
	// given weight (ignored by layouts without weights); n numbers the
	// backends of the service from 1.
	node func(b *backend, n int, weight int) (path string, data []byte)
	// malformed are registrations beside the good ones that the registry
	// must skip: bad JSON, a bad URL, a bad port.
	malformed []malformedNode
}

type malformedNode struct {
	path string
	data []byte
}

const (
	dubboInterface = "com.example.Greeter"
	dubboDir       = "/dubbo/" + dubboInterface + "/providers"
)

// dubboURL is the provider URL a Dubbo 3 triple provider registers. Its
// timestamp (the provider's start) is an hour ago, past Dubbo's default ten
// minute warmup, so the full weight applies.
func dubboURL(port, weight int) string {
	return fmt.Sprintf("tri://127.0.0.1:%d/%s?anyhost=true&application=greeter&side=provider&group=g&version=1.0&interface=%s&methods=Echo&weight=%d&loadbalance=consistenthash&timestamp=%d",
		port, dubboInterface, dubboInterface, weight, time.Now().Add(-time.Hour).UnixMilli())
}

var layouts = []layout{{
	name:     "zkmesh",
	dir:      "/zkmesh/services/echo",
	service:  "echo",
	weighted: true,
	node: func(b *backend, _ int, weight int) (string, []byte) {
		rec, _ := json.Marshal(map[string]any{"address": "127.0.0.1", "port": b.port, "weight": weight, "policy": "ring_hash"})
		return "/zkmesh/services/echo/" + b.id, rec
	},
	malformed: []malformedNode{
		{"/zkmesh/services/echo/bad-json", []byte(`{"address":"127.0.0.1","port":`)},
		{"/zkmesh/services/echo/bad-port", []byte(`{"address":"127.0.0.1","port":0}`)},
		{"/zkmesh/services/echo/bad-address", []byte(`{"address":"127.0.0.1/x","port":80}`)},
	},
}, {
	name:     "dubbo",
	dir:      dubboDir,
	service:  "g/" + dubboInterface + ":1.0",
	weighted: true,
	node: func(b *backend, _ int, weight int) (string, []byte) {
		// Dubbo writes the provider's IP as the node's data.
		return dubboDir + "/" + url.QueryEscape(dubboURL(b.port, weight)), []byte("127.0.0.1")
	},
	malformed: []malformedNode{
		{dubboDir + "/%zz-not-url-encoded", nil},
		{dubboDir + "/" + url.QueryEscape("tri://127.0.0.1/"+dubboInterface+"?side=provider&group=g&version=1.0"), nil},
		{dubboDir + "/" + url.QueryEscape("tri://127.0.0.1:1/"+dubboInterface+"?side=provider&group=g&version=1.0&weight=heavy"), nil},
	},
}, {
	name:    "curator",
	dir:     "/services/orders",
	service: "orders",
	node: func(b *backend, _ int, _ int) (string, []byte) {
		inst := fmt.Sprintf(`{"name":"orders","id":%q,"address":"127.0.0.1","port":%d,"sslPort":null,"payload":null,"registrationTimeUTC":%d,"serviceType":"DYNAMIC","uriSpec":null,"enabled":true}`,
			b.id, b.port, time.Now().UnixMilli())
		return "/services/orders/" + b.id, []byte(inst)
	},
	malformed: []malformedNode{
		{"/services/orders/bad-json", []byte(`{"name":"orders",`)},
		{"/services/orders/no-port", []byte(`{"name":"orders","id":"no-port","address":"127.0.0.1","port":null,"sslPort":null}`)},
	},
}, {
	name:    "kafka",
	dir:     "/brokers/ids",
	service: "kafka-grpc",
	node: func(b *backend, n int, _ int) (string, []byte) {
		rec := fmt.Sprintf(`{"listener_security_protocol_map":{"GRPC":"PLAINTEXT"},"endpoints":["GRPC://127.0.0.1:%d"],"jmx_port":-1,"features":{},"host":"127.0.0.1","timestamp":"%d","port":%d,"version":5}`,
			b.port, time.Now().UnixMilli(), b.port)
		return fmt.Sprintf("/brokers/ids/%d", n), []byte(rec)
	},
	malformed: []malformedNode{
		{"/brokers/ids/not-a-number", []byte(`{"endpoints":["GRPC://127.0.0.1:1"]}`)},
		{"/brokers/ids/900", []byte(`{"endpoints":["GRPC://127.0.0.1:1"`)},
		{"/brokers/ids/901", []byte(`{"endpoints":["GRPC//127.0.0.1"]}`)},
	},
}}
