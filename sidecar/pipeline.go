package sidecar

import (
	"errors"
	"time"

	"github.com/zkmesh/zkmesh/jute"
	"github.com/zkmesh/zkmesh/zab"
	"github.com/zkmesh/zkmesh/znode"
)

// TxnLog is what the standalone write pipeline needs of durable storage.
// storage.Store implements it.
type TxnLog interface {
	// Append writes entries after the last one; they need not be durable
	// until Sync returns.
	Append(ents []zab.Entry) error
	// Sync makes everything appended durable.
	Sync() error
}

// ErrStorageFailed is reported to writers when the txn log cannot persist.
var ErrStorageFailed = errors.New("sidecar: txn log failed; writes refused")

// write is one write request on its way through prep, log and apply.
type write struct {
	req znode.Request
	// done runs on the apply goroutine once the txn is applied (err nil) or
	// could not be persisted (err non-nil). It must not block.
	done func(res znode.Result, zxid int64, err error)

	hdr  jute.TxnHeader
	body jute.Record
}

// pipeline is the standalone path of a write: Prep assigns a zxid and builds
// the txn, the log goroutine appends a batch and fsyncs it once (group
// commit), then applies each txn to the tree in order and completes it.
// The batch being fsynced never holds back the preparation of the next.
type pipeline struct {
	s     *Server
	in    chan *write
	toLog chan *write
	zxid  int64
}

const pipelineDepth = 4096

func newPipeline(s *Server, lastZxid int64) *pipeline {
	return &pipeline{
		s:     s,
		in:    make(chan *write, pipelineDepth),
		toLog: make(chan *write, pipelineDepth),
		zxid:  lastZxid,
	}
}

// prepLoop runs on its own goroutine until in is closed.
func (p *pipeline) prepLoop() {
	defer close(p.toLog)
	for w := range p.in {
		p.zxid++
		w.hdr, w.body = p.s.prep.Prepare(p.zxid, time.Now().UnixMilli(), &w.req)
		p.toLog <- w
	}
}

// logLoop runs on its own goroutine until toLog is closed.
func (p *pipeline) logLoop() {
	batch := make([]*write, 0, 256)
	ents := make([]zab.Entry, 0, 256)
	for w := range p.toLog {
		batch = append(batch[:0], w)
	drain:
		for len(batch) < cap(batch) {
			select {
			case w, ok := <-p.toLog:
				if !ok {
					break drain
				}
				batch = append(batch, w)
			default:
				break drain
			}
		}
		ents = ents[:0]
		for _, w := range batch {
			ents = append(ents, zab.Entry{Zxid: zab.Zxid(w.hdr.Zxid), Data: jute.EncodeTxn(&w.hdr, w.body)})
		}
		err := p.s.store.Append(ents)
		if err == nil {
			err = p.s.store.Sync()
		}
		if err != nil {
			p.s.storageFailed(err)
			for _, w := range batch {
				w.done(znode.Result{}, 0, ErrStorageFailed)
			}
			continue
		}
		for _, w := range batch {
			res := p.s.applyTxn(&w.hdr, w.body)
			w.done(res, w.hdr.Zxid, nil)
		}
		p.s.snaps.logged(len(batch))
	}
}
