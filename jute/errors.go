package jute

import (
	"errors"
	"fmt"
)

// Code is a ZooKeeper error code (KeeperException.Code) as sent in ReplyHeader.err.
type Code int32

// Error codes, numbered as ZooKeeper 3.8 numbers them.
const (
	CodeOK                       Code = 0
	CodeSystemError              Code = -1
	CodeRuntimeInconsistency     Code = -2
	CodeDataInconsistency        Code = -3
	CodeConnectionLoss           Code = -4
	CodeMarshallingError         Code = -5
	CodeUnimplemented            Code = -6
	CodeOperationTimeout         Code = -7
	CodeBadArguments             Code = -8
	CodeUnknownSession           Code = -12
	CodeNewConfigNoQuorum        Code = -13
	CodeReconfigInProgress       Code = -14
	CodeAPIError                 Code = -100
	CodeNoNode                   Code = -101
	CodeNoAuth                   Code = -102
	CodeBadVersion               Code = -103
	CodeNoChildrenForEphemerals  Code = -108
	CodeNodeExists               Code = -110
	CodeNotEmpty                 Code = -111
	CodeSessionExpired           Code = -112
	CodeInvalidCallback          Code = -113
	CodeInvalidACL               Code = -114
	CodeAuthFailed               Code = -115
	CodeSessionMoved             Code = -118
	CodeNotReadOnly              Code = -119
	CodeEphemeralOnLocalSession  Code = -120
	CodeNoWatcher                Code = -121
	CodeRequestTimeout           Code = -122
	CodeReconfigDisabled         Code = -123
	CodeSessionClosedRequireSASL Code = -124
	CodeQuotaExceeded            Code = -125
	CodeThrottledOp              Code = -127
)

var codeNames = map[Code]string{
	CodeOK: "ok", CodeSystemError: "system error",
	CodeRuntimeInconsistency: "runtime inconsistency", CodeDataInconsistency: "data inconsistency",
	CodeConnectionLoss: "connection loss", CodeMarshallingError: "marshalling error",
	CodeUnimplemented: "unimplemented", CodeOperationTimeout: "operation timeout",
	CodeBadArguments: "bad arguments", CodeUnknownSession: "unknown session",
	CodeNewConfigNoQuorum: "new config no quorum", CodeReconfigInProgress: "reconfig in progress",
	CodeAPIError: "api error", CodeNoNode: "no node", CodeNoAuth: "not authenticated",
	CodeBadVersion: "bad version", CodeNoChildrenForEphemerals: "no children for ephemerals",
	CodeNodeExists: "node exists", CodeNotEmpty: "directory not empty",
	CodeSessionExpired: "session expired", CodeInvalidCallback: "invalid callback",
	CodeInvalidACL: "invalid ACL", CodeAuthFailed: "authentication failed",
	CodeSessionMoved: "session moved", CodeNotReadOnly: "not a read-only call",
	CodeEphemeralOnLocalSession: "ephemeral on local session", CodeNoWatcher: "no watcher",
	CodeRequestTimeout: "request timeout", CodeReconfigDisabled: "reconfig disabled",
	CodeSessionClosedRequireSASL: "session closed, SASL required", CodeQuotaExceeded: "quota exceeded",
	CodeThrottledOp: "throttled op",
}

// String returns a short description of the code.
func (c Code) String() string {
	if s, ok := codeNames[c]; ok {
		return s
	}
	return fmt.Sprintf("code %d", int32(c))
}

// Error makes a non-OK Code usable as an error value. Packages that produce
// ZooKeeper-visible failures return (or wrap) a Code so that one place maps
// failures to reply codes.
func (c Code) Error() string { return "zk: " + c.String() }

// CodeOf returns the ZooKeeper code carried by err: CodeOK for nil, the Code
// if err is or wraps one, and CodeSystemError otherwise.
func CodeOf(err error) Code {
	if err == nil {
		return CodeOK
	}
	var c Code
	if errors.As(err, &c) {
		return c
	}
	return CodeSystemError
}
