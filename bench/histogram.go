package bench

import (
	"math"
	"math/bits"
	"time"
)

// Histogram records durations in log-linear buckets, in the manner of an HDR
// histogram: values below 2^histSubBits ns are exact, and above that every
// power of two is split into 2^histSubBits buckets, so a quantile is off by
// less than 1/2^histSubBits (0.8 %) of its value. Its size is fixed
// (histBuckets counters), whatever the number of values.
//
// A Histogram is not safe for concurrent use; each session keeps its own and
// they are merged at the end.
type Histogram struct {
	counts [histBuckets]uint64
	// Invariant: total == sum(counts); min and max are exact and meaningful
	// only when total > 0.
	total    uint64
	sumNanos float64
	min, max time.Duration
}

const (
	histSubBits = 7
	histSub     = 1 << histSubBits
	// histBuckets covers every non-negative int64: the largest shift is
	// 63-histSubBits.
	histBuckets = (64 - histSubBits + 1) * histSub
)

// bucketOf returns the bucket of v >= 0.
func bucketOf(v uint64) int {
	if v < histSub {
		return int(v)
	}
	shift := bits.Len64(v) - histSubBits - 1 // v>>shift is in [histSub, 2*histSub)
	return (shift+1)*histSub + int(v>>shift) - histSub
}

// bucketUpper returns the largest value that falls in bucket i.
func bucketUpper(i int) uint64 {
	if i < histSub {
		return uint64(i)
	}
	shift := i/histSub - 1
	mant := uint64(i%histSub + histSub)
	return (mant+1)<<shift - 1
}

// Record adds one duration; negative durations count as zero.
func (h *Histogram) Record(d time.Duration) {
	if d < 0 {
		d = 0
	}
	h.counts[bucketOf(uint64(d))]++
	if h.total == 0 || d < h.min {
		h.min = d
	}
	if d > h.max {
		h.max = d
	}
	h.total++
	h.sumNanos += float64(d)
}

// Merge adds every value recorded in o.
func (h *Histogram) Merge(o *Histogram) {
	if o.total == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.total == 0 || o.min < h.min {
		h.min = o.min
	}
	if o.max > h.max {
		h.max = o.max
	}
	h.total += o.total
	h.sumNanos += o.sumNanos
}

// Count returns the number of values recorded.
func (h *Histogram) Count() uint64 { return h.total }

// Max returns the largest value recorded (0 when empty).
func (h *Histogram) Max() time.Duration { return h.max }

// Min returns the smallest value recorded (0 when empty).
func (h *Histogram) Min() time.Duration { return h.min }

// Mean returns the mean of the values (0 when empty).
func (h *Histogram) Mean() time.Duration {
	if h.total == 0 {
		return 0
	}
	return time.Duration(h.sumNanos / float64(h.total))
}

// Quantile returns a value v such that at least q of the values are <= v,
// overestimating by less than 0.8 % (and never beyond Max). q is clamped to
// [0, 1]; an empty histogram gives 0.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.total == 0 {
		return 0
	}
	if q <= 0 {
		return h.min
	}
	if q > 1 {
		q = 1
	}
	rank := uint64(math.Ceil(q * float64(h.total)))
	if rank < 1 {
		rank = 1
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			v := time.Duration(bucketUpper(i))
			if v > h.max {
				v = h.max
			}
			if v < h.min {
				v = h.min
			}
			return v
		}
	}
	return h.max
}
