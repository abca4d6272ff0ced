package sidecar

import (
	"sync"
	"sync/atomic"

	"github.com/zkmesh/zkmesh/zab"
)

// memPeerHub is an in-memory network of members, the double of
// peerTransport for tests of the zab driver. A message given to Send
// reaches the addressee's Recv channel at once, in order, or is dropped:
// when the addressee has not joined, when the link from sender to
// addressee is cut, or when the addressee's channel is full. Its methods
// may be called from any goroutine.
type memPeerHub struct {
	mu   sync.Mutex
	nets map[zab.ServerID]*memPeerNetwork
	// cut holds the directed links (from, to) that drop everything.
	cut map[[2]zab.ServerID]bool
}

// newMemPeerHub returns a hub with no members.
func newMemPeerHub() *memPeerHub {
	return &memPeerHub{nets: map[zab.ServerID]*memPeerNetwork{}, cut: map[[2]zab.ServerID]bool{}}
}

// join returns the network of member id, whose Recv channel holds recvLen
// messages. Joining again replaces the member (a restart): the old
// network's channel no longer receives anything.
func (h *memPeerHub) join(id zab.ServerID, recvLen int) *memPeerNetwork {
	n := &memPeerNetwork{hub: h, id: id, recv: make(chan zab.Message, recvLen)}
	h.mu.Lock()
	h.nets[id] = n
	h.mu.Unlock()
	return n
}

// setLink cuts (up false) or restores the link from one member to another;
// the other direction is not affected.
func (h *memPeerHub) setLink(from, to zab.ServerID, up bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if up {
		delete(h.cut, [2]zab.ServerID{from, to})
	} else {
		h.cut[[2]zab.ServerID{from, to}] = true
	}
}

// memPeerNetwork is one member's end of a memPeerHub.
type memPeerNetwork struct {
	hub  *memPeerHub
	id   zab.ServerID
	recv chan zab.Message
	// dropped counts messages this member sent that were dropped.
	dropped atomic.Uint64
}

var _ peerNetwork = (*memPeerNetwork)(nil)

// Send delivers m to m.To's Recv channel or drops it; it never blocks.
// The link checked is from this member (not m.From) to m.To.
func (n *memPeerNetwork) Send(m zab.Message) {
	h := n.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	to := h.nets[m.To]
	if to == nil || h.cut[[2]zab.ServerID{n.id, m.To}] || h.nets[n.id] != n {
		n.dropped.Add(1)
		return
	}
	select {
	case to.recv <- m:
	default:
		n.dropped.Add(1)
	}
}

// Recv returns the channel of messages delivered to this member.
func (n *memPeerNetwork) Recv() <-chan zab.Message { return n.recv }
