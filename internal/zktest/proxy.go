package zktest

import (
	"net"
	"sync"
	"testing"
)

// Proxy forwards TCP connections from a loopback port to a server, and can
// cut them, to make a client lose its connection without losing its
// session, or hold them, to make the network between a member of an
// ensemble and another one silent (see Network). It is safe for concurrent
// use.
type Proxy struct {
	// Addr is the address clients dial.
	Addr string

	target string
	ln     net.Listener

	mu sync.Mutex
	// Invariant: while paused or closed, conns is empty, and a connection
	// is only added to it under mu after checking both.
	paused bool
	closed bool
	conns  map[*forwarded]struct{}
	// held is non-nil while the proxy holds bytes; Release closes it.
	held chan struct{}
}

// forwarded is one accepted connection and the one dialed for it.
type forwarded struct {
	client, server net.Conn
	once           sync.Once
	done           chan struct{} // closed by close
}

func (f *forwarded) close() {
	f.once.Do(func() {
		close(f.done)
		f.client.Close()
		f.server.Close()
	})
}

// NewProxy listens on a free loopback port and forwards to target until
// the test ends.
func NewProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("zktest: proxy listen: %v", err)
	}
	p := &Proxy{Addr: ln.Addr().String(), target: target, ln: ln, conns: map[*forwarded]struct{}{}}
	go p.accept()
	t.Cleanup(p.close)
	return p
}

func (p *Proxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.forward(c)
	}
}

// forward dials the target for the accepted connection c and copies both
// ways, unless the proxy is paused or closed by the time both ends exist.
func (p *Proxy) forward(c net.Conn) {
	if !p.open() {
		c.Close()
		return
	}
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	f := &forwarded{client: c, server: s, done: make(chan struct{})}
	p.mu.Lock()
	if p.paused || p.closed {
		p.mu.Unlock()
		f.close()
		return
	}
	p.conns[f] = struct{}{}
	p.mu.Unlock()
	go p.pipe(f, s, c)
	go p.pipe(f, c, s)
}

func (p *Proxy) open() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return !p.paused && !p.closed
}

// pipe copies src to dst until either fails, then closes f. Every chunk,
// and the end of the stream, waits while the proxy holds bytes.
func (p *Proxy) pipe(f *forwarded, dst, src net.Conn) {
	defer func() {
		f.close()
		p.mu.Lock()
		delete(p.conns, f)
		p.mu.Unlock()
	}()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if !p.waitReleased(f) {
			return
		}
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// waitReleased waits while the proxy holds bytes; false when f was closed
// meanwhile.
func (p *Proxy) waitReleased(f *forwarded) bool {
	for {
		p.mu.Lock()
		held := p.held
		p.mu.Unlock()
		if held == nil {
			return true
		}
		select {
		case <-held:
		case <-f.done:
			return false
		}
	}
}

// Cut closes every forwarded connection; new ones are still accepted unless
// paused.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cutLocked()
}

func (p *Proxy) cutLocked() {
	for f := range p.conns {
		f.close()
		delete(p.conns, f)
	}
}

// Pause makes the proxy close new connections at once (the server looks
// down) and cuts the current ones; Resume undoes it. Once Pause returns,
// the proxy forwards nothing until Resume (bytes it had already handed to
// the kernel may still arrive, like packets in flight).
func (p *Proxy) Pause() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.paused = true
	p.cutLocked()
}

// Resume lets new connections through again.
func (p *Proxy) Resume() {
	p.mu.Lock()
	p.paused = false
	p.mu.Unlock()
}

// Paused reports whether the proxy refuses connections.
func (p *Proxy) Paused() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.paused
}

// Hold stops forwarding in both directions without closing anything, as a
// network that drops every packet does while TCP keeps retrying: the
// connections stay open, what each side sends waits (up to one buffer in
// the proxy, then in the kernel, which then blocks the sender's writes),
// and so does a close. New connections are still accepted and dialed, but
// no byte passes either. Release delivers everything that waited, in
// order, and forwarding goes on.
func (p *Proxy) Hold() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.held == nil {
		p.held = make(chan struct{})
	}
}

// Release undoes Hold.
func (p *Proxy) Release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.held != nil {
		close(p.held)
		p.held = nil
	}
}

// Held reports whether the proxy holds bytes.
func (p *Proxy) Held() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.held != nil
}

// Conns returns how many connections are being forwarded.
func (p *Proxy) Conns() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.conns)
}

// close stops the listener and cuts every connection for good.
func (p *Proxy) close() {
	p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	p.held = nil // pipes waiting on a hold end with their connections
	p.cutLocked()
}
