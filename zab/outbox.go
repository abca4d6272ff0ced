package zab

// queue adds m to the outbox; it is released once every write up to
// needGen is durable.
func (n *Node) queue(m Message, needGen uint64) {
	m.From = n.id
	n.outbox = append(n.outbox, queued{msg: m, needGen: needGen})
}

// queueDurable adds m to the outbox behind every write made so far: m is
// sent only once all of them are durable.
func (n *Node) queueDurable(m Message) { n.queue(m, n.writeGen) }

func (n *Node) event(e Event) { n.events = append(n.events, e) }

// releasable reports how many outbox messages may go out now.
func (n *Node) releasable() int {
	i := 0
	for i < len(n.outbox) && n.outbox[i].needGen <= n.durableGen {
		i++
	}
	return i
}

// stamp assigns the connection sequence number to m, or reports false if
// its connection is gone.
func (n *Node) stamp(m *Message) bool {
	if m.Type == MsgVote {
		return true
	}
	if n.lead != nil {
		h := n.lead.handlers[m.To]
		if h == nil || h.conn != m.Conn {
			return false
		}
		h.sendSeq++
		m.Seq = h.sendSeq
		return true
	}
	if l := n.learn; l != nil && l.leader == m.To && l.conn == m.Conn {
		if m.Type == MsgFollowerInfo {
			// Always the connection's first message, even when repeated.
			l.sendSeq = max(l.sendSeq, 1)
			m.Seq = 1
			return true
		}
		l.sendSeq++
		m.Seq = l.sendSeq
		return true
	}
	return false
}
