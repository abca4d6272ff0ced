package zktest

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
)

// Network is the peer network of a zkmesh ensemble started with
// Options.PartitionableLinks. Each member has a zoo.cfg of its own in which
// every other member's server line (peer port and election port) names a
// Proxy of the ordered pair (from, to), which forwards to the real port of
// member to. The connections member from dials to member to pass through
// that pair's proxies and nothing else does; client ports are not proxied,
// so clients keep reaching the member they are connected to.
//
// A cut pauses the pair's proxies: the established connections are closed
// and new ones are closed as soon as they are accepted, so the dialer sees
// its handshake fail and backs off. A hold is a silent partition instead:
// the connections stay open but carry nothing, so that each side notices
// only by its timeouts, and what was sent meanwhile is delivered late, in
// order, when the link heals (as TCP retransmits across a network that
// dropped packets for a while). A heal undoes both: new connections pass
// again (the member redials on its own) and held bytes flow.
//
// zkmesh opens one connection per direction: a member sends to a peer only
// over the connection it dialed, and the acceptor never writes on it after
// the handshake (sidecar/peer_handshake.go). So CutOneWay(from, to) loses
// exactly the messages from sends to to, and Cut(a, b) every message
// between them. The handshake checks the dialer's server id and the hash of
// the member ids, never the source address, so proxied connections are
// accepted. zkmesh does not use the election port (it is reserved); it is
// proxied all the same, so that a partition still holds if it ever does.
//
// Each member's view of the addresses is its own, so a reconfiguration,
// which commits the proposing leader's view to every member, would route
// some links through another pair's proxies: do not reconfigure an
// ensemble whose links are partitionable.
//
// A member cut off from a quorum does not serve, so Server.Restart, which
// waits until the member serves, fails for it unless the links heal first.
//
// Member ids are 1-based myids; an id out of range panics. The methods may
// be called from any goroutine.
type Network struct {
	members int
	// links holds the proxies of every ordered pair (from, to), from != to.
	// Invariant: the map is never written after newNetwork returns.
	links map[link]linkProxies
}

// link is an ordered pair of member ids: connections dialed by from to to.
type link struct{ from, to int }

// linkProxies are the proxies one member dials another's ports through.
type linkProxies struct{ peer, election *Proxy }

// newNetwork starts the proxies of every ordered pair of the members whose
// real ports are all. They live until the test ends.
func newNetwork(t testing.TB, all []memberPorts) *Network {
	t.Helper()
	n := &Network{members: len(all), links: map[link]linkProxies{}}
	for from := 1; from <= len(all); from++ {
		for to := 1; to <= len(all); to++ {
			if from == to {
				continue
			}
			n.links[link{from, to}] = linkProxies{
				peer:     NewProxy(t, loopback(all[to-1].quorum)),
				election: NewProxy(t, loopback(all[to-1].election)),
			}
		}
	}
	return n
}

func loopback(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

// view returns the ports member from's zoo.cfg names: its own, and for every
// other member the ports of the proxies from dials it through.
func (n *Network) view(from int, all []memberPorts) []memberPorts {
	out := make([]memberPorts, len(all))
	copy(out, all)
	for i := range out {
		if to := i + 1; to != from {
			lp := n.links[link{from, to}]
			out[i].quorum = proxyPort(lp.peer)
			out[i].election = proxyPort(lp.election)
		}
	}
	return out
}

func proxyPort(p *Proxy) int { return p.ln.Addr().(*net.TCPAddr).Port }

func (n *Network) pair(from, to int) linkProxies {
	if from < 1 || from > n.members || to < 1 || to > n.members || from == to {
		panic(fmt.Sprintf("zktest: no link from member %d to member %d in an ensemble of %d", from, to, n.members))
	}
	return n.links[link{from, to}]
}

// CutOneWay stops member from from reaching member to: from's connections
// to to are closed and new ones fail, while to still reaches from.
func (n *Network) CutOneWay(from, to int) {
	lp := n.pair(from, to)
	lp.peer.Pause()
	lp.election.Pause()
}

// HoldOneWay silences member from's connections to member to: they stay
// open, but nothing passes either way on them until a heal. The
// connections member to dials to member from are not affected.
func (n *Network) HoldOneWay(from, to int) {
	lp := n.pair(from, to)
	lp.peer.Hold()
	lp.election.Hold()
}

// Hold silences the connections between members a and b, both ways.
func (n *Network) Hold(a, b int) {
	n.HoldOneWay(a, b)
	n.HoldOneWay(b, a)
}

// IsolateSilently holds every connection between member id and the others.
func (n *Network) IsolateSilently(id int) {
	for other := 1; other <= n.members; other++ {
		if other != id {
			n.Hold(id, other)
		}
	}
}

// HealOneWay undoes a cut or hold of the connections member from dials to
// member to: new ones pass again and held bytes are delivered.
func (n *Network) HealOneWay(from, to int) {
	heal(n.pair(from, to))
}

func heal(lp linkProxies) {
	lp.peer.Resume()
	lp.election.Resume()
	lp.peer.Release()
	lp.election.Release()
}

// Cut cuts members a and b off from each other, both ways.
func (n *Network) Cut(a, b int) {
	n.CutOneWay(a, b)
	n.CutOneWay(b, a)
}

// Heal undoes every cut and hold between a and b.
func (n *Network) Heal(a, b int) {
	n.HealOneWay(a, b)
	n.HealOneWay(b, a)
}

// Isolate cuts member id off from every other member, both ways.
func (n *Network) Isolate(id int) {
	for other := 1; other <= n.members; other++ {
		if other != id {
			n.Cut(id, other)
		}
	}
}

// Partition cuts every member of side off from every member not in it,
// both ways; links within each side are left as they are.
func (n *Network) Partition(side ...int) {
	in := map[int]bool{}
	for _, id := range side {
		if id < 1 || id > n.members {
			panic(fmt.Sprintf("zktest: no member %d in an ensemble of %d", id, n.members))
		}
		in[id] = true
	}
	for _, a := range side {
		for b := 1; b <= n.members; b++ {
			if !in[b] {
				n.Cut(a, b)
			}
		}
	}
}

// HealAll heals every link.
func (n *Network) HealAll() {
	for _, lp := range n.links {
		heal(lp)
	}
}

// Reachable reports whether what member from sends on the connections it
// dials to member to arrives: the link is neither cut nor held.
func (n *Network) Reachable(from, to int) bool {
	lp := n.pair(from, to)
	return !lp.peer.Paused() && !lp.peer.Held()
}

// Cuts describes the links that are cut ("1->2") or held ("1~>2"), in
// order of from then to, or "none".
func (n *Network) Cuts() string {
	var cut []string
	for from := 1; from <= n.members; from++ {
		for to := 1; to <= n.members; to++ {
			if from == to {
				continue
			}
			switch lp := n.links[link{from, to}]; {
			case lp.peer.Paused():
				cut = append(cut, fmt.Sprintf("%d->%d", from, to))
			case lp.peer.Held():
				cut = append(cut, fmt.Sprintf("%d~>%d", from, to))
			}
		}
	}
	if len(cut) == 0 {
		return "none"
	}
	return strings.Join(cut, " ")
}
