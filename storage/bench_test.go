package storage

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/zkmesh/zkmesh/zab"
)

// BenchmarkGroupCommit commits b.N 256-byte entries from 1, 8 and 32
// goroutines on the real disk (t.TempDir) and reports entries/s and
// fsyncs per entry.
func BenchmarkGroupCommit(b *testing.B) {
	for _, writers := range []int{1, 8, 32} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			cfg := DefaultConfig()
			cfg.Dir = b.TempDir()
			s, err := Open(OSFS{}, cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			g := NewGroupCommitter(s)
			done := make(chan struct{})
			go func() {
				defer close(done)
				g.Run(context.Background())
			}()
			data := make([]byte, 256)
			var mu sync.Mutex
			var next uint32
			per := (b.N + writers - 1) / writers
			syncs0 := s.Syncs()
			b.SetBytes(int64(len(data)))
			b.ResetTimer()
			var wg sync.WaitGroup
			for w := 0; w < writers; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < per; i++ {
						mu.Lock()
						next++
						ch := g.Submit(zab.Entry{Zxid: zab.MakeZxid(1, next), Data: data})
						mu.Unlock()
						if err := <-ch; err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.StopTimer()
			n := float64(per * writers)
			b.ReportMetric(n/b.Elapsed().Seconds(), "entries/s")
			b.ReportMetric(float64(s.Syncs()-syncs0)/n, "fsyncs/entry")
			g.Close()
			<-done
		})
	}
}

// BenchmarkRecover measures Open (scan and verify every record) of a log
// of 100,000 256-byte entries on the real disk, and Replay of it.
func BenchmarkRecover(b *testing.B) {
	cfg := DefaultConfig()
	cfg.Dir = b.TempDir()
	s, err := Open(OSFS{}, cfg)
	if err != nil {
		b.Fatal(err)
	}
	const n = 100000
	data := make([]byte, 256)
	batch := make([]zab.Entry, 0, 1000)
	for c := uint32(1); c <= n; c++ {
		batch = append(batch, zab.Entry{Zxid: zab.MakeZxid(1, c), Data: data})
		if len(batch) == cap(batch) {
			if err := s.Append(batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(n * recordSize(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s, err := Open(OSFS{}, cfg)
		if err != nil {
			b.Fatal(err)
		}
		count := 0
		if err := s.Replay(0, func(zab.Entry) error { count++; return nil }); err != nil || count != n {
			b.Fatalf("replayed %d, %v", count, err)
		}
		s.Close()
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "entries/s")
}
