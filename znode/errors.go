package znode

import (
	"errors"

	"github.com/zkmesh/zkmesh/jute"
)

// Errors returned by the tree and by Prep. Each maps to one ZooKeeper code
// through Code.
var (
	ErrNoNode                  = errors.New("znode: no node")
	ErrNodeExists              = errors.New("znode: node exists")
	ErrBadVersion              = errors.New("znode: bad version")
	ErrNotEmpty                = errors.New("znode: node has children")
	ErrNoChildrenForEphemerals = errors.New("znode: ephemeral nodes may not have children")
	ErrInvalidACL              = errors.New("znode: invalid ACL")
	ErrNoAuth                  = errors.New("znode: not authorized")
	ErrBadArguments            = errors.New("znode: bad arguments")
	ErrUnimplemented           = errors.New("znode: unimplemented")
	ErrNoWatcher               = errors.New("znode: no such watcher")
	ErrRuntimeInconsistency    = errors.New("znode: runtime inconsistency")
	ErrMarshalling             = errors.New("znode: malformed request")
	ErrReconfigDisabled        = errors.New("znode: reconfig is disabled")
)

var codes = []struct {
	err  error
	code jute.Code
}{
	{ErrNoNode, jute.CodeNoNode},
	{ErrNodeExists, jute.CodeNodeExists},
	{ErrBadVersion, jute.CodeBadVersion},
	{ErrNotEmpty, jute.CodeNotEmpty},
	{ErrNoChildrenForEphemerals, jute.CodeNoChildrenForEphemerals},
	{ErrInvalidACL, jute.CodeInvalidACL},
	{ErrNoAuth, jute.CodeNoAuth},
	{ErrBadArguments, jute.CodeBadArguments},
	{ErrUnimplemented, jute.CodeUnimplemented},
	{ErrNoWatcher, jute.CodeNoWatcher},
	{ErrRuntimeInconsistency, jute.CodeRuntimeInconsistency},
	{ErrMarshalling, jute.CodeMarshallingError},
	{ErrReconfigDisabled, jute.CodeReconfigDisabled},
}

// Code maps an error from this package to the ZooKeeper error code a client
// receives. A jute.Code passes through. nil maps to CodeOK; anything else to
// CodeSystemError.
func Code(err error) jute.Code {
	if err == nil {
		return jute.CodeOK
	}
	for _, c := range codes {
		if errors.Is(err, c.err) {
			return c.code
		}
	}
	return jute.CodeOf(err)
}

// errorFor is the inverse of Code for codes carried in ErrorTxns.
func errorFor(c jute.Code) error {
	for _, e := range codes {
		if e.code == c {
			return e.err
		}
	}
	return c
}
