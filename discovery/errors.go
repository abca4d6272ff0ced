package discovery

import (
	"errors"
	"fmt"
)

// Sentinel errors. Errors returned by this package wrap one of these, so
// callers test them with errors.Is.
var (
	// ErrInvalidConfig is wrapped by Config.Validate; the message names the field.
	ErrInvalidConfig = errors.New("discovery: invalid config")
	// ErrBadKey is returned when the key file does not hold a usable key.
	ErrBadKey = errors.New("discovery: bad gossip key")
	// ErrBadMeta is returned by DecodeMeta for bytes that are not a Meta.
	ErrBadMeta = errors.New("discovery: bad member meta")
	// ErrMetaTooLarge is returned when an encoded Meta exceeds MaxMetaSize.
	ErrMetaTooLarge = errors.New("discovery: member meta too large")
	// ErrServerIDConflict is returned when a server id is already held by
	// another live member (a different name).
	ErrServerIDConflict = errors.New("discovery: server id already held by another live member")
	// ErrShutdown is returned by methods called after Shutdown.
	ErrShutdown = errors.New("discovery: shut down")
	// ErrBadObserverID is returned when the persisted observer id file is unreadable.
	ErrBadObserverID = errors.New("discovery: bad observer id file")
)

// ConflictError says which member was refused because its server id is held
// by another live member. It matches ErrServerIDConflict with errors.Is.
type ConflictError struct {
	ServerID uint64 // the contested id
	Name     string // the member that was refused
	Holder   string // the live member that holds ServerID
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("discovery: member %q refused: server id %d already held by live member %q",
		e.Name, e.ServerID, e.Holder)
}

// Is reports whether target is ErrServerIDConflict.
func (e *ConflictError) Is(target error) bool { return target == ErrServerIDConflict }
