package xds

import "errors"

// Sentinel errors.
var (
	// ErrConfig is wrapped by every Config.Validate failure.
	ErrConfig = errors.New("xds: invalid config")
	// ErrStopped is returned by Serve after Stop.
	ErrStopped = errors.New("xds: server stopped")
	// ErrNoNodeID rejects a stream whose first request names no node id
	// when Config.RequireNodeID is set.
	ErrNoNodeID = errors.New("xds: request without node id")
)
