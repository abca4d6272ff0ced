package storage

import "fmt"

// checkInvariants verifies the Store's documented invariants against its
// in-memory state and files. Tests call it after operations.
func (s *Store) checkInvariants() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	counts := map[*segment]int{}
	for k, ie := range s.index {
		if k > 0 && ie.zxid <= s.index[k-1].zxid {
			return fmt.Errorf("index %d: zxid %v after %v", k, ie.zxid, s.index[k-1].zxid)
		}
		counts[ie.seg]++
	}
	if s.durable > len(s.index) {
		return fmt.Errorf("durable %d > %d entries", s.durable, len(s.index))
	}
	for k, seg := range s.segs {
		if seg.gen != s.gen {
			return fmt.Errorf("%s: generation %d, store %d", seg.name, seg.gen, s.gen)
		}
		if k > 0 && seg.first <= s.segs[k-1].first {
			return fmt.Errorf("%s after %s", seg.name, s.segs[k-1].name)
		}
		if seg.count != counts[seg] {
			return fmt.Errorf("%s: count %d, index holds %d", seg.name, seg.count, counts[seg])
		}
		if seg.size < logHeaderSize || seg.size > seg.alloc {
			return fmt.Errorf("%s: size %d alloc %d", seg.name, seg.size, seg.alloc)
		}
		if n, err := seg.f.Size(); err == nil && n != seg.alloc {
			return fmt.Errorf("%s: file is %d bytes, alloc %d", seg.name, n, seg.alloc)
		}
		if seg.count == 0 && k != len(s.segs)-1 {
			return fmt.Errorf("%s: empty and not the tail", seg.name)
		}
	}
	for _, ie := range s.index {
		if ie.seg.count > 0 && ie.seg.first > ie.zxid {
			return fmt.Errorf("%v in %s", ie.zxid, ie.seg.name)
		}
	}
	return nil
}
