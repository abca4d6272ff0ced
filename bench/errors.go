package bench

import "errors"

// Errors returned by this package. They are wrapped with %w and detail.
var (
	// ErrBadConfig is wrapped by Config.Validate; the message names the field.
	ErrBadConfig = errors.New("bench: bad config")
	// ErrSessionRejected means the server answered the handshake with a
	// zero session timeout (it refused the session).
	ErrSessionRejected = errors.New("bench: session rejected by the server")
	// ErrReplyOutOfOrder means a reply's xid was not the oldest request in
	// flight: the server broke ZooKeeper's per-session FIFO order.
	ErrReplyOutOfOrder = errors.New("bench: reply xid out of order")
	// ErrPrefixExists means Config.Prefix is already in the tree; bench
	// refuses to run inside a subtree it did not create, because it deletes
	// its subtree afterwards.
	ErrPrefixExists = errors.New("bench: prefix node already exists")
	// ErrSetup means filling the key space (or creating the prefix) failed.
	ErrSetup = errors.New("bench: setup failed")
	// ErrDrainTimeout means requests were still in flight DrainTimeout
	// after the measurement ended; they are counted as errors.
	ErrDrainTimeout = errors.New("bench: requests still in flight after the drain timeout")
)
