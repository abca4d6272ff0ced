package sidecar

import (
	"net"
	"testing"

	"github.com/zkmesh/zkmesh/zab"
)

// An observer added by setPeers can connect to a voter and be reached by
// it; removed again, it is refused and its link is gone. The voters'
// handshake compares voters only, so members that list different
// observers still talk.
func TestPeerTransportSetPeersAddsAndRemovesObserver(t *testing.T) {
	voters := func(c *peerConfig) { c.Voters = []zab.ServerID{1, 2} }
	lns := map[zab.ServerID]net.Listener{1: peerListen(t, ""), 2: peerListen(t, ""), 9: peerListen(t, "")}
	addrs := map[zab.ServerID]string{}
	for id, ln := range lns {
		addrs[id] = ln.Addr().String()
	}
	votersOnly := map[zab.ServerID]string{1: addrs[1], 2: addrs[2]}
	one := startPeer(t, 1, lns[1], votersOnly, voters)
	two := startPeer(t, 2, lns[2], votersOnly, voters)
	obs := startPeer(t, 9, lns[9], addrs, voters)
	pingUntilHeard(t, one, two, 1, 2)

	obs.tr.Send(zab.Message{Type: zab.MsgPing, From: 9, To: 1})
	one.log.waitLines(t, 1, "refused peer connection from", "server id 9 is not in this member's server list")

	if err := one.tr.setPeers(addrs); err != nil {
		t.Fatal(err)
	}
	pingUntilHeard(t, obs, one, 9, 1)
	pingUntilHeard(t, one, obs, 1, 9)
	if _, ok := one.tr.Stats().Peers[9]; !ok {
		t.Fatal("no stats for the added peer")
	}

	if err := one.tr.setPeers(votersOnly); err != nil {
		t.Fatal(err)
	}
	one.log.waitLines(t, 1, "peer removed", `"peer_id":9`)
	if _, ok := one.tr.Stats().Peers[9]; ok {
		t.Fatal("stats still list the removed peer")
	}
	before := one.tr.Stats().Misrouted
	one.tr.Send(zab.Message{Type: zab.MsgPing, From: 1, To: 9})
	if got := one.tr.Stats().Misrouted; got != before+1 {
		t.Fatalf("a message to a removed peer was not counted misrouted (%d, was %d)", got, before)
	}
	// The removed observer's next connection is refused; the voters are
	// undisturbed.
	obs.log.waitLinesPoking(t, 1, func() { obs.tr.Send(zab.Message{Type: zab.MsgPing, From: 9, To: 1, Seq: 99}) },
		"refused our connection", "server id 9 is not in this member's server list")
	pingUntilHeard(t, one, two, 1, 2)

	if err := one.tr.setPeers(map[zab.ServerID]string{0: "127.0.0.1:1"}); err == nil {
		t.Fatal("setPeers accepted id 0")
	}
}
