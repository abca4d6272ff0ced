package bench

import (
	"time"

	"github.com/zkmesh/zkmesh/jute"
)

// opStats is what one session saw of one opcode in the measurement window.
type opStats struct {
	hist Histogram
	ok   uint64
	errs map[jute.Code]uint64
}

func (o *opStats) merge(x *opStats) {
	o.hist.Merge(&x.hist)
	o.ok += x.ok
	for c, n := range x.errs {
		if o.errs == nil {
			o.errs = map[jute.Code]uint64{}
		}
		o.errs[c] += n
	}
}

// phaseStats is what one session saw in a timed phase. Only replies that
// arrive in [from, to) are counted by opcode; the others are counted as
// early (warmup) or late (after the window).
type phaseStats struct {
	from, to    time.Time
	byOp        map[jute.OpCode]*opStats
	early, late uint64
}

func (p *phaseStats) record(r reply) {
	switch {
	case r.done.Before(p.from):
		p.early++
		return
	case !r.done.Before(p.to):
		p.late++
		return
	}
	if p.byOp == nil {
		p.byOp = map[jute.OpCode]*opStats{}
	}
	o := p.byOp[r.op]
	if o == nil {
		o = &opStats{}
		p.byOp[r.op] = o
	}
	o.hist.Record(r.done.Sub(r.sent))
	if r.code == jute.CodeOK {
		o.ok++
		return
	}
	if o.errs == nil {
		o.errs = map[jute.Code]uint64{}
	}
	o.errs[r.code]++
}

// codeCounts counts the replies of a setup or cleanup phase by code.
type codeCounts map[jute.Code]uint64

func (c codeCounts) add(o codeCounts) {
	for k, v := range o {
		c[k] += v
	}
}
