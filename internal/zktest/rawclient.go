package zktest

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/zkmesh/zkmesh/jute"
)

// Errors of RawClient.
var (
	ErrRawClosed  = errors.New("zktest: raw connection closed")
	ErrRawExpired = errors.New("zktest: session expired (server answered the connect with timeout 0)")
	ErrRawTimeout = errors.New("zktest: no answer in time")
)

// RawOptions configure DialRaw.
type RawOptions struct {
	// TimeoutMs is the requested session timeout.
	TimeoutMs int32
	// SessionID and Passwd resume an existing session when SessionID != 0.
	SessionID int64
	Passwd    []byte
	// LastZxidSeen is sent in the ConnectRequest.
	LastZxidSeen int64
	// NoPing turns off the background pings, so that the session expires
	// after its timeout unless the test sends requests.
	NoPing bool
	// ReplyTimeout bounds every Call (default 10 s).
	ReplyTimeout time.Duration
}

// RawReply is one reply: its header and the undecoded body.
type RawReply struct {
	Xid  int32
	Zxid int64
	Err  jute.Code
	Body []byte
}

// RawEvent is one watch notification, in the order the server sent it.
type RawEvent struct {
	Zxid  int64
	Type  jute.EventType
	State jute.KeeperState
	Path  string
}

// RawClient speaks the ZooKeeper client protocol frame by frame over one TCP
// connection. Calls may be made from several goroutines; replies are matched
// to calls by xid (FIFO for the reserved xids). One goroutine reads frames;
// another pings every third of the negotiated timeout unless NoPing.
type RawClient struct {
	// SessionID, Passwd and TimeoutMs are the ConnectResponse's.
	SessionID int64
	Passwd    []byte
	TimeoutMs int32
	// ReadOnly is the ConnectResponse's readOnly flag.
	ReadOnly bool

	conn         net.Conn
	replyTimeout time.Duration

	wmu sync.Mutex // serialises writes

	mu      sync.Mutex
	xid     int32
	pending map[int32][]chan RawReply // Invariant: FIFO per xid.
	events  []RawEvent
	evCh    chan struct{} // closed and replaced when an event arrives
	closed  chan struct{}
	readErr error

	stopPing     chan struct{}
	stopPingOnce sync.Once
}

// DialRaw connects to addr and performs the session handshake.
func DialRaw(addr string, o RawOptions) (*RawClient, error) {
	if o.TimeoutMs == 0 {
		o.TimeoutMs = 10000
	}
	if o.ReplyTimeout == 0 {
		o.ReplyTimeout = 10 * time.Second
	}
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	return newRawClient(conn, o)
}

// newRawClient performs the handshake on conn, which it then owns.
func newRawClient(conn net.Conn, o RawOptions) (*RawClient, error) {
	if o.TimeoutMs == 0 {
		o.TimeoutMs = 10000
	}
	if o.ReplyTimeout == 0 {
		o.ReplyTimeout = 10 * time.Second
	}
	passwd := o.Passwd
	if passwd == nil {
		passwd = make([]byte, 16)
	}
	e := jute.NewEncoder(nil)
	e.Int(0) // protocolVersion
	e.Long(o.LastZxidSeen)
	e.Int(o.TimeoutMs)
	e.Long(o.SessionID)
	e.Buffer(passwd)
	e.Bool(false) // readOnly
	if err := writeFrame(conn, e.Bytes()); err != nil {
		conn.Close()
		return nil, err
	}
	_ = conn.SetReadDeadline(time.Now().Add(o.ReplyTimeout))
	frame, err := jute.ReadFrame(conn, jute.DefaultMaxBuffer, nil)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("zktest: connect response: %w", err)
	}
	_ = conn.SetReadDeadline(time.Time{})
	d := jute.NewDecoder(frame)
	_ = d.Int() // protocolVersion
	c := &RawClient{
		TimeoutMs: d.Int(),
		SessionID: d.Long(),
		Passwd:    d.Buffer(),
	}
	if d.Remaining() > 0 {
		c.ReadOnly = d.Bool()
	}
	if d.Err() != nil {
		conn.Close()
		return nil, fmt.Errorf("zktest: connect response: %w", d.Err())
	}
	if c.TimeoutMs <= 0 {
		conn.Close()
		return c, ErrRawExpired
	}
	c.conn = conn
	c.replyTimeout = o.ReplyTimeout
	c.pending = make(map[int32][]chan RawReply)
	c.evCh = make(chan struct{})
	c.closed = make(chan struct{})
	c.stopPing = make(chan struct{})
	go c.readLoop()
	if !o.NoPing {
		go c.pingLoop()
	}
	return c, nil
}

func writeFrame(w io.Writer, body []byte) error {
	e := jute.NewEncoder(make([]byte, 0, 4+len(body)))
	e.Int(int32(len(body)))
	e.Raw(body)
	_, err := w.Write(e.Bytes())
	return err
}

func (c *RawClient) readLoop() {
	var err error
	for {
		var frame []byte
		frame, err = jute.ReadFrame(c.conn, jute.DefaultMaxBuffer, nil)
		if err != nil {
			break
		}
		d := jute.NewDecoder(frame)
		r := RawReply{Xid: d.Int(), Zxid: d.Long(), Err: jute.Code(d.Int())}
		if d.Err() != nil {
			err = d.Err()
			break
		}
		r.Body = frame[d.Offset():]
		if r.Xid == jute.XidNotification {
			ev := RawEvent{Zxid: r.Zxid, Type: jute.EventType(d.Int()), State: jute.KeeperState(d.Int()), Path: d.String()}
			if d.Err() != nil {
				err = d.Err()
				break
			}
			c.mu.Lock()
			c.events = append(c.events, ev)
			close(c.evCh)
			c.evCh = make(chan struct{})
			c.mu.Unlock()
			continue
		}
		c.mu.Lock()
		q := c.pending[r.Xid]
		var ch chan RawReply
		if len(q) > 0 {
			ch = q[0]
			c.pending[r.Xid] = q[1:]
		}
		c.mu.Unlock()
		if ch != nil {
			ch <- r
		}
	}
	c.mu.Lock()
	c.readErr = err
	close(c.closed)
	c.mu.Unlock()
}

func (c *RawClient) pingLoop() {
	every := time.Duration(c.TimeoutMs) * time.Millisecond / 3
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-c.closed:
			return
		case <-c.stopPing:
			return
		case <-t.C:
			ch, err := c.send(jute.XidPing, jute.OpPing, nil)
			if err != nil {
				return
			}
			go func() {
				select {
				case <-ch:
				case <-c.closed:
				}
			}()
		}
	}
}

// send writes one request and returns the channel its reply will come on.
func (c *RawClient) send(xid int32, op jute.OpCode, body func(*jute.Encoder)) (chan RawReply, error) {
	e := jute.NewEncoder(nil)
	e.Int(xid)
	e.Int(int32(op))
	if body != nil {
		body(e)
	}
	ch := make(chan RawReply, 1)
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.mu.Lock()
	select {
	case <-c.closed:
		c.mu.Unlock()
		return nil, ErrRawClosed
	default:
	}
	c.pending[xid] = append(c.pending[xid], ch)
	c.mu.Unlock()
	if err := writeFrame(c.conn, e.Bytes()); err != nil {
		return nil, err
	}
	return ch, nil
}

// StopPing ends the background pings: unless the test sends requests, the
// session expires after its timeout, with the connection still open.
func (c *RawClient) StopPing() { c.stopPingOnce.Do(func() { close(c.stopPing) }) }

// SetReplyTimeout changes how long later calls wait for their reply. Call it
// from the goroutine that makes the calls.
func (c *RawClient) SetReplyTimeout(d time.Duration) {
	c.mu.Lock()
	c.replyTimeout = d
	c.mu.Unlock()
}

// NextXid returns the next ordinary xid.
func (c *RawClient) NextXid() int32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.xid++
	return c.xid
}

// CallXid sends op with the given xid and body and waits for its reply.
// Use it for the reserved xids (ping -2, auth -4, setWatches -8).
func (c *RawClient) CallXid(xid int32, op jute.OpCode, body func(*jute.Encoder)) (RawReply, error) {
	ch, err := c.send(xid, op, body)
	if err != nil {
		return RawReply{}, err
	}
	c.mu.Lock()
	wait := c.replyTimeout
	c.mu.Unlock()
	select {
	case r := <-ch:
		return r, nil
	case <-c.closed:
		// The reply may have raced with the close.
		select {
		case r := <-ch:
			return r, nil
		default:
		}
		return RawReply{}, ErrRawClosed
	case <-time.After(wait):
		return RawReply{}, fmt.Errorf("%w: %s xid %d", ErrRawTimeout, op, xid)
	}
}

// Call sends op with the next xid and waits for its reply.
func (c *RawClient) Call(op jute.OpCode, body func(*jute.Encoder)) (RawReply, error) {
	return c.CallXid(c.NextXid(), op, body)
}

// Events returns every notification received so far, in order.
func (c *RawClient) Events() []RawEvent {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]RawEvent(nil), c.events...)
}

// WaitEvents waits until at least n notifications have arrived (or the
// connection closes, or d passes) and returns all received so far.
func (c *RawClient) WaitEvents(n int, d time.Duration) ([]RawEvent, error) {
	deadline := time.After(d)
	for {
		c.mu.Lock()
		evs := append([]RawEvent(nil), c.events...)
		ch := c.evCh
		c.mu.Unlock()
		if len(evs) >= n {
			return evs, nil
		}
		select {
		case <-ch:
		case <-c.closed:
			return evs, ErrRawClosed
		case <-deadline:
			return evs, fmt.Errorf("%w: %d of %d events after %v", ErrRawTimeout, len(evs), n, d)
		}
	}
}

// Closed is closed when the server has closed the connection (or Close was
// called).
func (c *RawClient) Closed() <-chan struct{} { return c.closed }

// Drop closes the TCP connection without ending the session, as a network
// failure would.
func (c *RawClient) Drop() error { return c.conn.Close() }

// Close sends closeSession, waits for its reply, and closes the connection.
func (c *RawClient) Close() error {
	_, err := c.Call(jute.OpCloseSession, nil)
	c.conn.Close()
	<-c.closed
	return err
}
