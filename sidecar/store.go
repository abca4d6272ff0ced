package sidecar

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/zkmesh/zkmesh/jute"
	"github.com/zkmesh/zkmesh/storage"
	"github.com/zkmesh/zkmesh/zab"
	"github.com/zkmesh/zkmesh/znode"
)

// recoverStore opens the txn log in dir and rebuilds the tree from it: the
// newest valid snapshot, then, if replay is set, every txn logged after it.
func recoverStore(dir string, log zerolog.Logger, replay bool) (*storage.Store, *znode.Tree, error) {
	cfg := storage.DefaultConfig()
	cfg.Dir = dir
	st, err := storage.Open(storage.OSFS{}, cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("sidecar: opening txn log in dataDir %s: %w", dir, err)
	}
	start := time.Now()
	tree := znode.NewTree()
	sr, err := st.OpenSnapshot()
	switch {
	case errors.Is(err, zab.ErrNoSnapshot):
	case err != nil:
		st.Close()
		return nil, nil, fmt.Errorf("sidecar: opening snapshot in %s: %w", dir, err)
	default:
		tree, err = znode.ReadSnapshot(sr)
		if err == nil {
			// Read to the end so the reader verifies the checksum.
			_, err = io.Copy(io.Discard, sr)
		}
		sr.Close()
		if err != nil {
			st.Close()
			return nil, nil, fmt.Errorf("sidecar: loading snapshot in %s: %w", dir, err)
		}
	}
	snapZxid := tree.LastZxid()
	replayed := 0
	if !replay {
		log.Info().Str("snapshotZxid", fmt.Sprintf("0x%x", snapZxid)).Msg("loaded snapshot; the log after it is applied as the ensemble commits it")
		return st, tree, nil
	}
	err = st.Replay(zab.Zxid(snapZxid), func(e zab.Entry) error {
		hdr, body, err := jute.DecodeTxn(e.Data)
		if err != nil {
			return fmt.Errorf("txn %s: %w", e.Zxid, err)
		}
		tree.Apply(&hdr, body)
		replayed++
		return nil
	})
	if err != nil {
		st.Close()
		return nil, nil, fmt.Errorf("sidecar: replaying txn log in %s: %w", dir, err)
	}
	c := tree.Counts()
	log.Info().Str("snapshotZxid", fmt.Sprintf("0x%x", snapZxid)).Int("replayedTxns", replayed).
		Str("lastZxid", fmt.Sprintf("0x%x", tree.LastZxid())).Int("znodes", c.Nodes).Int("sessions", c.Sessions).
		Dur("took", time.Since(start)).Msg("recovered data tree")
	return st, tree, nil
}

// snapshotter takes a snapshot in the background after every snapCount
// txns, at most one at a time.
type snapshotter struct {
	s       *Server
	st      *storage.Store
	every   int64
	since   atomic.Int64
	running atomic.Bool
	wg      sync.WaitGroup
}

// logged counts n more txns and starts a snapshot when due.
func (sn *snapshotter) logged(n int) {
	if sn.since.Add(int64(n)) < sn.every || !sn.running.CompareAndSwap(false, true) {
		return
	}
	sn.since.Store(0)
	sn.wg.Add(1)
	go func() {
		defer sn.wg.Done()
		defer sn.running.Store(false)
		if err := sn.take(); err != nil {
			sn.s.log.Error().Err(err).Msg("snapshot failed")
		}
	}()
}

func (sn *snapshotter) take() error {
	start := time.Now()
	var w *storage.SnapshotWriter
	var zxid int64
	err := sn.s.tree.WriteSnapshot(func(last int64) (io.Writer, error) {
		zxid = last
		var err error
		w, err = sn.st.CreateSnapshot(zab.Zxid(last))
		return w, err
	})
	if err != nil {
		if w != nil {
			w.Abort()
		}
		return err
	}
	if err := w.Commit(false); err != nil {
		return err
	}
	sn.s.log.Info().Str("zxid", fmt.Sprintf("0x%x", zxid)).Dur("took", time.Since(start)).Msg("snapshot written")
	return nil
}
