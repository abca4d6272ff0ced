package znode

import (
	"fmt"
	"testing"

	"github.com/zkmesh/zkmesh/jute"
)

// BenchmarkApplyCreate measures Tree.Apply of create txns (the commit path
// on every replica), spread over 100 parents. Preparing the txns is not
// timed.
func BenchmarkApplyCreate(b *testing.B) {
	tr := NewTree()
	for i := 0; i < 100; i++ {
		hdr := jute.TxnHeader{Zxid: int64(i + 1), Type: jute.OpCreate}
		tr.Apply(&hdr, &jute.CreateTxn{Path: fmt.Sprintf("/p%d", i), Data: []byte{}, ACL: jute.OpenACLUnsafe, ParentCVersion: -1})
	}
	data := make([]byte, 64)
	hdrs := make([]jute.TxnHeader, b.N)
	bodies := make([]jute.CreateTxn, b.N)
	for i := range bodies {
		hdrs[i] = jute.TxnHeader{ClientID: sessA, Zxid: int64(1000 + i), Time: int64(i), Type: jute.OpCreate}
		bodies[i] = jute.CreateTxn{Path: fmt.Sprintf("/p%d/n%d", i%100, i), Data: data, ACL: jute.OpenACLUnsafe, ParentCVersion: -1}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if r := tr.Apply(&hdrs[i], &bodies[i]); r.Err != jute.CodeOK {
			b.Fatal(r.Err)
		}
	}
}

// BenchmarkPrepareApplyCreate measures the leader's whole write path for a
// create: Prepare, Apply, Applied.
func BenchmarkPrepareApplyCreate(b *testing.B) {
	h := newHarness(b)
	h.must(createReq("/p", "", jute.ModePersistent))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if r := h.do(createReq("/p/n-", "payload", jute.ModePersistentSequential)); r.Err != jute.CodeOK {
			b.Fatal(r.Err)
		}
	}
}

// BenchmarkGetData measures concurrent reads of one node with an ACL check,
// without and with a watch registration.
func BenchmarkGetData(b *testing.B) {
	h := newHarness(b)
	h.must(createReq("/node", string(make([]byte, 128)), jute.ModePersistent))
	h.must(withAuth(createACLReq("/secure", []jute.ACL{{Perms: jute.PermRead, ID: jute.AnyoneID}, {Perms: jute.PermAll, ID: bobID}}), bobID))
	ids := []jute.Id{ipID, bobID}
	b.Run("plain", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, _, err := h.tree.GetData("/node", ids, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("acl", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, _, err := h.tree.GetData("/secure", ids, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("watch", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			w := newWatcher(sessB)
			for pb.Next() {
				if _, _, err := h.tree.GetData("/node", ids, w); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}
