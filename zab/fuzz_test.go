package zab

import (
	"encoding/binary"
	"testing"
)

// FuzzStep feeds arbitrary peer messages (as a transport would decode them
// from untrusted bytes) to a synced follower and to its leader: none may
// panic, and both must still hand out consistent Readys.
func FuzzStep(f *testing.F) {
	f.Add([]byte{byte(MsgCommit), 1, 3, 1, 0, 0, 0, 0, 0, 0, 0, 9})
	f.Add([]byte{byte(MsgSync), 1, 3, 1, byte(SyncTrunc), 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{byte(MsgSync), 1, 3, 1, byte(SyncSnap), 0, 0, 0, 0, 0, 0, 1})
	f.Add([]byte{byte(MsgProposal), 1, 3, 1, 0, 0, 0, 1, 0, 0, 0, 1})
	f.Add([]byte{byte(MsgFollowerInfo), 0, 1, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0})
	f.Add([]byte{byte(MsgAck), 0, 1, 1, 0, 0, 0, 2, 0, 0, 0, 0})
	f.Add([]byte{byte(MsgVote), 0, 1, 0, 0, 0, 0, 9, 0, 0, 0, 9})
	f.Fuzz(func(t *testing.T, b []byte) {
		w := newWorld(t, 3, 0)
		l := w.stable()
		if l != 3 {
			t.Fatalf("leader %d", l)
		}
		for len(b) >= 12 {
			chunk := b[:12]
			b = b[12:]
			m := Message{Type: MessageType(chunk[0] % 16), Mode: SyncMode(chunk[4] % 5)}
			toFollower := chunk[1]%2 == 1
			if toFollower {
				m.From, m.To = 3, 1
			} else {
				m.From, m.To = 1, 3
			}
			if chunk[3]%2 == 1 {
				// A well-formed frame on the live connection.
				if toFollower {
					ln := w.peers[1].n.learn
					if ln != nil {
						m.Conn, m.Seq = ln.conn, ln.recvSeq+1
					}
				} else if h := w.peers[3].n.lead; h != nil && h.handlers[1] != nil {
					m.Conn, m.Seq = h.handlers[1].conn, h.handlers[1].recvSeq+1
				}
			} else {
				m.Conn, m.Seq = uint64(chunk[2]), uint64(chunk[3])
			}
			z := Zxid(binary.BigEndian.Uint64(chunk[4:12]))
			m.Epoch = uint32(z >> 32)
			m.Zxid = z
			m.TruncZxid = z
			m.Vote = Vote{Leader: ServerID(chunk[2] % 4), Zxid: z, Epoch: m.Epoch, Round: uint64(chunk[3]), State: Role(chunk[1] % 5)}
			switch m.Type {
			case MsgProposal, MsgInform, MsgSync:
				m.Entries = []Entry{{Zxid: z + 1, Data: chunk}}
			}
			if m.Mode == SyncSnap {
				m.Snapshot = &Snapshot{Zxid: z}
			}
			p := w.peers[m.To]
			if err := p.n.Step(m); err != nil {
				t.Fatal(err)
			}
			w.drain(m.To)
			w.tick(1)
		}
	})
}
