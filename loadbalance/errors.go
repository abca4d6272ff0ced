package loadbalance

import "errors"

// Sentinel errors. A Problem's Err wraps one of them with %w and the detail.
var (
	// ErrMalformed is wrapped by every parse failure of a registration.
	ErrMalformed = errors.New("loadbalance: malformed registration")
	// ErrNotEndpoint is returned for a node under a registration prefix that
	// is not an endpoint (a Dubbo consumer URL in a providers directory, for
	// example). Such nodes are reported like malformed ones.
	ErrNotEndpoint = errors.New("loadbalance: not an endpoint")
	// ErrConfig is wrapped by every Config.Validate failure.
	ErrConfig = errors.New("loadbalance: invalid config")
)
