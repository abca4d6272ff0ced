package main

import (
	"context"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/zkmesh/zkmesh/internal/zktest"
	"github.com/zkmesh/zkmesh/sidecar"
	"github.com/zkmesh/zkmesh/zab"
	"github.com/zkmesh/zkmesh/znode"
)

// freeTCPPort returns a free port on 127.0.0.1 (see zktest.FreePort).
func freeTCPPort(t *testing.T) int { return zktest.FreePort(t) }

// startVoters runs a 3-voter ensemble in this process with reconfig
// enabled and super:test as the super user; it returns the client address
// of each member.
func startVoters(t *testing.T) []string {
	t.Helper()
	var servers []sidecar.ServerSpec
	for i := 1; i <= 3; i++ {
		servers = append(servers, sidecar.ServerSpec{ID: zab.ServerID(i), Host: "127.0.0.1", PeerPort: freeTCPPort(t), ElectionPort: freeTCPPort(t)})
	}
	var addrs []string
	for i := 1; i <= 3; i++ {
		cfg := sidecar.DefaultConfig()
		cfg.DataDir = t.TempDir()
		cfg.ClientPortAddress, cfg.ClientPort = "127.0.0.1", freeTCPPort(t)
		cfg.XDSAddress = "127.0.0.1:0"
		cfg.TickTimeMs = 200
		cfg.Servers, cfg.ServerID = servers, zab.ServerID(i)
		cfg.ReconfigEnabled = true
		cfg.System["zookeeper.DigestAuthenticationProvider.superDigest"] = znode.DigestID("super:test")
		s, err := sidecar.New(cfg, zerolog.New(io.Discard))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- s.Run(ctx) }()
		t.Cleanup(func() { cancel(); <-done })
		<-s.Ready()
		addrs = append(addrs, s.Addr().String())
	}
	return addrs
}

func TestReconfigCommand(t *testing.T) {
	addrs := startVoters(t)
	obs := "server.9=127.0.0.1:" + strconv.Itoa(freeTCPPort(t)) + ":" + strconv.Itoa(freeTCPPort(t)) + ":observer;127.0.0.1:" + strconv.Itoa(freeTCPPort(t))

	// Until a leader is elected the command may meet a member that is not
	// serving; retry for a while like an operator would.
	var code int
	var stdout, stderr string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		code, stdout, stderr = call(t, "reconfig", "--server", addrs[0], "--auth", "super:test", "--add", obs, "--timeout", "3s")
		if code == exitOK {
			break
		}
	}
	if code != exitOK || !strings.Contains(stdout, obs+"\n") || !strings.Contains(stdout, "version=") {
		t.Fatalf("add: exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}

	code, _, stderr = call(t, "reconfig", "--server", addrs[1], "--remove", "9", "--timeout", "3s")
	if code != exitFailure || !strings.Contains(stderr, "not authorized") {
		t.Fatalf("remove without auth: exit %d, stderr %s", code, stderr)
	}
	code, stdout, stderr = call(t, "reconfig", "--server", addrs[1], "--auth", "super:test", "--remove", "9", "--timeout", "3s")
	if code != exitOK || strings.Contains(stdout, "server.9=") {
		t.Fatalf("remove: exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
	code, _, stderr = call(t, "reconfig", "--server", addrs[2], "--auth", "super:test", "--add", "server.5=127.0.0.1:1:2:participant;3",
		"--add", "server.6=127.0.0.1:4:5:participant;6", "--timeout", "3s")
	if code != exitFailure || !strings.Contains(stderr, "one voter at a time") {
		t.Fatalf("add two voters: exit %d, stderr %s", code, stderr)
	}
	code, _, stderr = call(t, "reconfig", "--server", addrs[2], "--auth", "super:test", "--add", "server.5=nonsense", "--timeout", "3s")
	if code != exitFailure || !strings.Contains(stderr, "bad arguments") {
		t.Fatalf("bad line: exit %d, stderr %s", code, stderr)
	}
}

func TestReconfigUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"reconfig"}, "nothing to do"},
		{[]string{"reconfig", "--members", "server.1=a:1:2;3", "--remove", "2"}, "cannot be combined"},
		{[]string{"reconfig", "--remove", "x"}, `--remove "x": want a server id`},
		{[]string{"reconfig", "--remove", "1", "--from-config", "zz"}, "want a hex version"},
		{[]string{"reconfig", "--remove", "1", "--auth", "nopassword"}, "want USER:PASSWORD"},
	} {
		code, _, stderr := call(t, tc.args...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%q: exit %d, stderr %q, want %q", tc.args, code, stderr, tc.want)
		}
	}
}
