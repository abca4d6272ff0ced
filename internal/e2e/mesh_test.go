package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/resolver"
	grpcxds "google.golang.org/grpc/xds"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/zkmesh/zkmesh/internal/zktest"
)

// waitLimit is the liveness bound of every wait: far above anything a
// healthy run takes, so that only a real hang fails.
const waitLimit = 15 * time.Second

// mesh is one real zkmesh process and a gRPC xDS resolver bootstrapped
// against its ADS address.
type mesh struct {
	t   testing.TB
	srv *zktest.Server
	// resolver resolves xds:/// targets through this zkmesh only.
	resolver resolver.Builder
}

func startMesh(t testing.TB) *mesh {
	t.Helper()
	srv := zktest.StartZkmesh(t, zktest.DefaultOptions())
	ads := srv.XDSAddr()
	if ads == "" {
		t.Fatal("zktest gave the zkmesh process no xds.address")
	}
	bootstrap := fmt.Sprintf(`{
		"xds_servers": [{"server_uri": %q, "channel_creds": [{"type": "insecure"}], "server_features": ["xds_v3"]}],
		"node": {"id": "e2e-%s", "locality": {"zone": "z1"}}
	}`, ads, strings.ReplaceAll(t.Name(), "/", "-"))
	rb, err := grpcxds.NewXDSResolverWithConfigForTesting([]byte(bootstrap))
	if err != nil {
		t.Fatal(err)
	}
	return &mesh{t: t, srv: srv, resolver: rb}
}

// client is a gRPC channel to xds:///<service>.
type client struct {
	t  testing.TB
	cc *grpc.ClientConn
}

func (m *mesh) dial(service string) *client {
	m.t.Helper()
	cc, err := grpc.NewClient("xds:///"+service, grpc.WithResolvers(m.resolver),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		m.t.Fatal(err)
	}
	m.t.Cleanup(func() { cc.Close() })
	return &client{t: m.t, cc: cc}
}

// echo makes one RPC, waiting for the channel to be ready, and returns the
// id of the backend that served it.
func (c *client) echo(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, waitLimit)
	defer cancel()
	out := new(wrapperspb.StringValue)
	if err := c.cc.Invoke(ctx, echoMethod, wrapperspb.String("ping"), out, grpc.WaitForReady(true)); err != nil {
		return "", err
	}
	id, rest, ok := strings.Cut(out.GetValue(), "|")
	if !ok || rest != "ping" {
		return "", fmt.Errorf("bad echo reply %q", out.GetValue())
	}
	return id, nil
}

func (c *client) call() string {
	c.t.Helper()
	id, err := c.echo(context.Background())
	if err != nil {
		c.t.Fatalf("rpc: %v", err)
	}
	return id
}

// waitServed makes RPCs until every backend in want has served one and the
// last 100 in a row went only to backends in want.
func (c *client) waitServed(want ...string) {
	c.t.Helper()
	in := map[string]bool{}
	for _, id := range want {
		in[id] = true
	}
	seen := map[string]bool{}
	deadline := time.Now().Add(waitLimit)
	for run := 0; len(seen) < len(want) || run < 100; {
		if time.Now().After(deadline) {
			c.t.Fatalf("after %v: served by %v, want only and all of %v", waitLimit, keys(seen), want)
		}
		id := c.call()
		if in[id] {
			seen[id] = true
			run++
		} else {
			run = 0
		}
	}
}

// spread makes n RPCs and returns how many each backend served.
func (c *client) spread(n int) map[string]int {
	c.t.Helper()
	counts := map[string]int{}
	for i := 0; i < n; i++ {
		counts[c.call()]++
	}
	return counts
}

// checkShares fails the test unless counts match the expected weights:
// every share within tolPP percentage points of weight/sum, and no backend
// outside weights served anything.
//
// Under ring hash (the policy under which proxyless gRPC honours weights)
// a share is random twice over: gRPC hashes each RPC at random onto a ring
// of about 1024 points placed by hashing the addresses, so a backend's true
// share is off its weight by a standard deviation of at most 1.6 points (a
// simulation of the ring for the weight sets used here), and n RPCs add the
// binomial 50/sqrt(n) points at most. With n = 2000 the two give 2 points,
// so 10 points is 5 standard deviations: about 3e-7 per share checked.
// Weights that are ignored (equal shares) miss by 16 points or more for
// every weighted set the tests use.
func checkShares(t testing.TB, what string, counts map[string]int, weights map[string]int, tolPP float64) {
	t.Helper()
	n, sum := 0, 0
	for _, k := range counts {
		n += k
	}
	for _, w := range weights {
		sum += w
	}
	var got []string
	for _, id := range keys(counts) {
		got = append(got, fmt.Sprintf("%s=%.1f%%", id, 100*float64(counts[id])/float64(n)))
	}
	t.Logf("%s: %d RPCs: %s", what, n, strings.Join(got, " "))
	for id, w := range weights {
		want := 100 * float64(w) / float64(sum)
		share := 100 * float64(counts[id]) / float64(n)
		if math.Abs(share-want) > tolPP {
			t.Errorf("%s: backend %s served %.1f%% of RPCs, want %.1f%% ± %.0f points", what, id, share, want, tolPP)
		}
	}
	for id, k := range counts {
		if _, ok := weights[id]; !ok {
			t.Errorf("%s: backend %s outside the registered set served %d RPCs", what, id, k)
		}
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// malformedLogged returns the paths the zkmesh process has logged as
// skipped malformed registrations (its JSON log lines).
func (m *mesh) malformedLogged() map[string]bool {
	m.t.Helper()
	raw, err := os.ReadFile(m.srv.LogPath)
	if err != nil {
		m.t.Fatal(err)
	}
	out := map[string]bool{}
	for _, line := range bytes.Split(raw, []byte("\n")) {
		var rec struct {
			Path    string `json:"path"`
			Message string `json:"message"`
		}
		if json.Unmarshal(line, &rec) == nil && rec.Message == "skipped malformed registration" {
			out[rec.Path] = true
		}
	}
	return out
}
