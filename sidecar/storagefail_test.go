package sidecar

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/go-zookeeper/zk"
	"github.com/rs/zerolog"

	"github.com/zkmesh/zkmesh/zab"
)

// failingLog is a TxnLog whose Sync starts failing on demand, as a full
// disk or a failing fsync would.
type failingLog struct {
	TxnLog
	fail atomic.Bool
}

var errDiskFull = errors.New("no space left on device")

func (f *failingLog) Append(ents []zab.Entry) error {
	if f.fail.Load() {
		return errDiskFull
	}
	return f.TxnLog.Append(ents)
}

func (f *failingLog) Sync() error {
	if f.fail.Load() {
		return errDiskFull
	}
	return f.TxnLog.Sync()
}

// TestStorageFailureRefusesWritesKeepsReads: once the log cannot persist,
// no write is acknowledged, reads go on, and mntr says why.
func TestStorageFailureRefusesWritesKeepsReads(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.ClientPort = 0
	cfg.XDSAddress = "127.0.0.1:0"
	cfg.TickTimeMs = 200
	cfg.FourLetterWhitelist = []string{"*"}
	s, err := New(cfg, zerolog.New(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	fl := &failingLog{TxnLog: s.store}
	s.store = fl
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() { cancel(); <-done }()
	<-s.Ready()

	c, _ := connect(t, s.Addr().String())
	if _, err := c.Create("/before", []byte("kept"), 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	fl.fail.Store(true)
	if _, err := c.Create("/after", nil, 0, zk.WorldACL(zk.PermAll)); err == nil {
		t.Fatal("a write was acknowledged after the log failed")
	}
	fl.fail.Store(false) // the store stays refused: one failure is final
	if _, err := c.Create("/later", nil, 0, zk.WorldACL(zk.PermAll)); err == nil {
		t.Fatal("a write was acknowledged after the log had failed once")
	}
	data, _, err := c.Get("/before")
	if err != nil || string(data) != "kept" {
		t.Fatalf("read after the failure: %q %v", data, err)
	}
	for _, p := range []string{"/after", "/later"} {
		if ok, _, err := c.Exists(p); err != nil || ok {
			t.Fatalf("%s exists=%v err=%v after failed writes", p, ok, err)
		}
	}
	out, _ := FourLetter("mntr", s.cfg, s)
	if !strings.Contains(out, "zk_zkmesh_writes_refused\t1") || !strings.Contains(out, "no space left on device") {
		t.Fatalf("mntr does not report the failure:\n%s", out)
	}
}
