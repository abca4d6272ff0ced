package sidecar

import (
	"reflect"
	"testing"

	"github.com/zkmesh/zkmesh/zab"
)

func TestMemPeerHub(t *testing.T) {
	h := newMemPeerHub()
	a, b := h.join(1, 4), h.join(2, 4)
	ms := peerSamples(1, 2)[:3]
	for _, m := range ms {
		a.Send(m)
	}
	for _, want := range ms {
		if got := <-b.Recv(); !reflect.DeepEqual(got, want) {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	ping := func(from *memPeerNetwork, to zab.ServerID) {
		from.Send(zab.Message{Type: zab.MsgPing, From: from.id, To: to})
	}

	h.setLink(1, 2, false)
	ping(a, 2)
	ping(b, 1)
	if a.dropped.Load() != 1 || len(b.Recv()) != 0 || len(a.Recv()) != 1 {
		t.Fatalf("cut 1->2: dropped %d, queued at 2: %d, at 1: %d", a.dropped.Load(), len(b.Recv()), len(a.Recv()))
	}
	<-a.Recv()
	h.setLink(1, 2, true)
	for range 6 {
		ping(a, 2)
	}
	ping(a, 3) // never joined
	if a.dropped.Load() != 1+2+1 || len(b.Recv()) != 4 {
		t.Fatalf("full queue: dropped %d, queued %d", a.dropped.Load(), len(b.Recv()))
	}

	// A restarted member: the old end neither sends nor receives.
	b2 := h.join(2, 4)
	ping(a, 2)
	ping(b, 1)
	if len(b2.Recv()) != 1 || len(b.Recv()) != 4 || b.dropped.Load() != 1 {
		t.Fatalf("after restart: new %d, old %d, old dropped %d", len(b2.Recv()), len(b.Recv()), b.dropped.Load())
	}
}
