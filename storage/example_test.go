package storage_test

import (
	"context"
	"fmt"
	"os"

	"github.com/zkmesh/zkmesh/storage"
	"github.com/zkmesh/zkmesh/zab"
)

// A driver's life with a Store: recover, replay the log after the
// snapshot, commit entries from several goroutines through a
// GroupCommitter, take a snapshot, purge.
func Example() {
	dir, _ := os.MkdirTemp("", "zkmesh-storage-example")
	defer os.RemoveAll(dir)
	cfg := storage.DefaultConfig()
	cfg.Dir = dir
	cfg.PreallocBytes = 1 << 20

	s, err := storage.Open(storage.OSFS{}, cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	gc := storage.NewGroupCommitter(s)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); gc.Run(ctx) }()

	for c := uint32(1); c <= 3; c++ {
		if err := gc.Commit(ctx, zab.Entry{Zxid: zab.MakeZxid(1, c), Data: []byte{byte(c)}}); err != nil {
			fmt.Println(err)
		}
	}
	s.SaveSnapshot(zab.Snapshot{Zxid: zab.MakeZxid(1, 2), Data: []byte("tree at 1:2")})
	stop()
	<-done
	s.Close()

	// Restart: snapshot, then the log after it.
	s, _ = storage.Open(storage.OSFS{}, cfg)
	defer s.Close()
	snap, _ := s.Snapshot()
	fmt.Printf("snapshot %v: %s\n", snap.Zxid, snap.Data)
	s.Replay(snap.Zxid, func(e zab.Entry) error {
		fmt.Printf("replay %v: %v\n", e.Zxid, e.Data)
		return nil
	})
	// Output:
	// snapshot 0x100000002: tree at 1:2
	// replay 0x100000003: [3]
}
