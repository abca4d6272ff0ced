package storage

import (
	"bufio"
	"fmt"
	"io"
	"sort"

	"github.com/zkmesh/zkmesh/zab"
)

// Replay calls fn, in zxid order, for every durable entry with zxid >
// after, reading each segment sequentially and verifying every checksum.
// It is meant for recovery: load the snapshot, then Replay(snapshot zxid,
// apply). It returns zab.ErrCompacted if the log does not hold every entry
// after `after`, and the first error fn returns.
//
// Replay holds the Store's lock: fn must not call the Store. fn may
// retain e.Data.
func (s *Store) Replay(after zab.Zxid, fn func(zab.Entry) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if !s.covered(after) {
		return zab.ErrCompacted
	}
	i := sort.Search(s.durable, func(i int) bool { return s.index[i].zxid > after })
	for i < s.durable {
		seg := s.index[i].seg
		j := i
		for j < s.durable && s.index[j].seg == seg {
			j++
		}
		start := s.index[i].off
		end := s.index[j-1].off + recordSize(s.index[j-1].size)
		br := bufio.NewReaderSize(io.NewSectionReader(seg.f, start, end-start), 256<<10)
		for k := i; k < j; k++ {
			ie := s.index[k]
			buf := make([]byte, recordSize(ie.size))
			if _, err := io.ReadFull(br, buf); err != nil {
				return fmt.Errorf("storage: reading %s at offset %d: %w", seg.path, ie.off, err)
			}
			e, _, err := decodeRecord(buf, s.cfg.MaxRecordBytes)
			if err != nil {
				return corruptAt(seg.path, ie.off, err, " (on replay)")
			}
			if e.Zxid != ie.zxid {
				return corruptAt(seg.path, ie.off, fmt.Errorf("zxid %v where %v was written", e.Zxid, ie.zxid), " (on replay)")
			}
			if err := fn(e); err != nil {
				return err
			}
		}
		i = j
	}
	return nil
}
