package bench

import (
	"math/rand/v2"
	"sort"
	"testing"
	"time"
)

func TestBucketBoundsCoverEveryValue(t *testing.T) {
	vals := []uint64{0, 1, 127, 128, 129, 255, 256, 1000, 1 << 20, 1<<40 + 12345, 1<<63 - 1}
	for _, v := range vals {
		b := bucketOf(v)
		if b < 0 || b >= histBuckets {
			t.Fatalf("bucketOf(%d) = %d out of [0,%d)", v, b, histBuckets)
		}
		if up := bucketUpper(b); up < v {
			t.Fatalf("bucketUpper(bucketOf(%d)) = %d < value", v, up)
		}
		if b > 0 {
			if low := bucketUpper(b-1) + 1; low > v {
				t.Fatalf("value %d below its bucket %d's lower bound %d", v, b, low)
			}
		}
	}
	// Buckets are contiguous and increasing.
	for i := 1; i < histBuckets; i++ {
		if bucketUpper(i) <= bucketUpper(i-1) {
			t.Fatalf("bucket %d upper %d not above bucket %d upper %d", i, bucketUpper(i), i-1, bucketUpper(i-1))
		}
		if bucketOf(bucketUpper(i)) != i || bucketOf(bucketUpper(i-1)+1) != i {
			t.Fatalf("bucket %d bounds do not map back to it", i)
		}
	}
}

func TestQuantilesMatchSortedSamples(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	var h Histogram
	samples := make([]time.Duration, 100000)
	for i := range samples {
		// Log-normal-ish spread from 1 µs to ~1 s.
		d := time.Duration(float64(time.Microsecond) * (1 + r.ExpFloat64()*r.ExpFloat64()*500))
		samples[i] = d
		h.Record(d)
	}
	sort.Slice(samples, func(i, j int) bool { return samples[i] < samples[j] })
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999, 1} {
		idx := int(q*float64(len(samples))+0.999999) - 1
		exact := samples[idx]
		got := h.Quantile(q)
		if got < exact || float64(got) > float64(exact)*1.008+1 {
			t.Errorf("q%.3f: got %v, exact %v (want within +0.8%%)", q, got, exact)
		}
	}
	if h.Max() != samples[len(samples)-1] || h.Min() != samples[0] {
		t.Errorf("min/max %v/%v, want %v/%v", h.Min(), h.Max(), samples[0], samples[len(samples)-1])
	}
	if h.Count() != uint64(len(samples)) {
		t.Errorf("count %d", h.Count())
	}
}

func TestMergeEqualsRecordingTogether(t *testing.T) {
	var a, b, all Histogram
	for i := 0; i < 1000; i++ {
		d := time.Duration(i*i) * time.Nanosecond
		if i%3 == 0 {
			a.Record(d)
		} else {
			b.Record(d)
		}
		all.Record(d)
	}
	a.Merge(&b)
	if a != all {
		t.Fatalf("merged histogram differs from the one recorded together")
	}
	var empty Histogram
	if empty.Quantile(0.5) != 0 || empty.Mean() != 0 {
		t.Fatal("empty histogram should give zeros")
	}
}
