package sidecar

import (
	"strings"

	"github.com/zkmesh/zkmesh/jute"
	"github.com/zkmesh/zkmesh/znode"
)

// prepareRead decodes a request that does not go through a txn and returns
// the function that answers it. The answer runs under applyMu's read lock,
// either at once or, when writes of the connection are in flight, after
// them. ok is false when the request is malformed and the connection must
// close.
func (s *Server) prepareRead(c *conn, hdr jute.RequestHeader, d *jute.Decoder) (answer func() []byte, ok bool) {
	reply := func(code jute.Code, body jute.Record) []byte {
		rh := jute.ReplyHeader{Xid: hdr.Xid, Zxid: s.tree.LastZxid(), Err: code}
		if code != jute.CodeOK || body == nil {
			return jute.AppendFrame(nil, &rh)
		}
		return jute.AppendFrame(nil, &rh, body)
	}
	switch hdr.Type {
	case jute.OpPing:
		return func() []byte { return reply(jute.CodeOK, nil) }, true
	case jute.OpWhoAmI:
		return func() []byte { return reply(jute.CodeOK, &jute.WhoAmIResponse{ClientInfo: clientInfos(c.AuthIDs())}) }, true
	case jute.OpSASL, jute.OpDeleteContainer:
		return func() []byte { return reply(jute.CodeUnimplemented, nil) }, true
	}
	rec, known := jute.NewRequestRecord(hdr.Type)
	if !known || rec == nil {
		// ZooKeeper answers an unknown opcode with UNIMPLEMENTED and zxid -1.
		return func() []byte {
			return jute.AppendFrame(nil, &jute.ReplyHeader{Xid: hdr.Xid, Zxid: -1, Err: jute.CodeUnimplemented})
		}, true
	}
	rec.Decode(d)
	if d.Err() != nil {
		s.log.Debug().Err(d.Err()).Str("op", hdr.Type.String()).Msg("malformed request; closing connection")
		return nil, false
	}
	watcher := func(watch bool) znode.Watcher {
		if watch {
			return c
		}
		return nil
	}
	t := s.tree
	switch r := rec.(type) {
	case *jute.ExistsRequest:
		return func() []byte {
			st, err := t.Exists(r.Path, c.AuthIDs(), watcher(r.Watch))
			return reply(znode.Code(err), &jute.ExistsResponse{Stat: st})
		}, true
	case *jute.GetDataRequest:
		return func() []byte {
			data, st, err := t.GetData(r.Path, c.AuthIDs(), watcher(r.Watch))
			return reply(znode.Code(err), &jute.GetDataResponse{Data: data, Stat: st})
		}, true
	case *jute.GetChildrenRequest:
		return func() []byte {
			ch, _, err := t.GetChildren(r.Path, c.AuthIDs(), watcher(r.Watch))
			return reply(znode.Code(err), &jute.GetChildrenResponse{Children: ch})
		}, true
	case *jute.GetChildren2Request:
		return func() []byte {
			ch, st, err := t.GetChildren(r.Path, c.AuthIDs(), watcher(r.Watch))
			return reply(znode.Code(err), &jute.GetChildren2Response{Children: ch, Stat: st})
		}, true
	case *jute.GetACLRequest:
		return func() []byte {
			acl, st, err := t.GetACL(r.Path, c.AuthIDs())
			return reply(znode.Code(err), &jute.GetACLResponse{ACL: acl, Stat: st})
		}, true
	case *jute.GetAllChildrenNumberRequest:
		return func() []byte {
			n, err := t.AllChildrenNumber(r.Path, c.AuthIDs())
			return reply(znode.Code(err), &jute.GetAllChildrenNumberResponse{TotalNumber: n})
		}, true
	case *jute.GetEphemeralsRequest:
		return func() []byte {
			return reply(jute.CodeOK, &jute.GetEphemeralsResponse{Ephemerals: t.Ephemerals(c.session(), r.PrefixPath)})
		}, true
	case *jute.SyncRequest:
		// Standalone: every committed write is already applied here, and the
		// reply waits behind this connection's own writes.
		return func() []byte { return reply(jute.CodeOK, &jute.SyncResponse{Path: r.Path}) }, true
	case *jute.SetWatches:
		return func() []byte {
			t.SetWatches(r.RelativeZxid, r.DataWatches, r.ExistWatches, r.ChildWatches, nil, nil, c)
			return reply(jute.CodeOK, nil)
		}, true
	case *jute.SetWatches2:
		return func() []byte {
			t.SetWatches(r.RelativeZxid, r.DataWatches, r.ExistWatches, r.ChildWatches, r.PersistentWatches, r.PersistentRecursiveWatches, c)
			return reply(jute.CodeOK, nil)
		}, true
	case *jute.AddWatchRequest:
		return func() []byte {
			if err := t.AddWatch(r.Path, r.Mode, c); err != nil {
				return reply(znode.Code(err), nil)
			}
			return reply(jute.CodeOK, &jute.ErrorResponse{Err: jute.CodeOK})
		}, true
	case *jute.CheckWatchesRequest:
		return func() []byte {
			if !t.CheckWatches(r.Path, r.Type, c) {
				return reply(jute.CodeNoWatcher, nil)
			}
			return reply(jute.CodeOK, nil)
		}, true
	case *jute.RemoveWatchesRequest:
		return func() []byte {
			if !t.RemoveWatches(r.Path, r.Type, c) {
				return reply(jute.CodeNoWatcher, nil)
			}
			return reply(jute.CodeOK, nil)
		}, true
	case *jute.MultiRequest:
		if hdr.Type != jute.OpMultiRead {
			return nil, false
		}
		return func() []byte { return reply(jute.CodeOK, s.multiRead(c, r)) }, true
	}
	return func() []byte { return reply(jute.CodeUnimplemented, nil) }, true
}

func (s *Server) multiRead(c *conn, m *jute.MultiRequest) *jute.MultiResponse {
	out := &jute.MultiResponse{Results: make([]jute.MultiResult, 0, len(m.Ops))}
	fail := func(err error) jute.MultiResult {
		code := znode.Code(err)
		return jute.MultiResult{Type: jute.OpError, Err: code, Resp: &jute.ErrorResponse{Err: code}}
	}
	for _, op := range m.Ops {
		switch r := op.Req.(type) {
		case *jute.GetDataRequest:
			var w znode.Watcher
			if r.Watch {
				w = c
			}
			data, st, err := s.tree.GetData(r.Path, c.AuthIDs(), w)
			if err != nil {
				out.Results = append(out.Results, fail(err))
				continue
			}
			out.Results = append(out.Results, jute.MultiResult{Type: jute.OpGetData, Resp: &jute.GetDataResponse{Data: data, Stat: st}})
		case *jute.GetChildrenRequest:
			var w znode.Watcher
			if r.Watch {
				w = c
			}
			ch, _, err := s.tree.GetChildren(r.Path, c.AuthIDs(), w)
			if err != nil {
				out.Results = append(out.Results, fail(err))
				continue
			}
			out.Results = append(out.Results, jute.MultiResult{Type: jute.OpGetChildren, Resp: &jute.GetChildrenResponse{Children: ch}})
		default:
			out.Results = append(out.Results, fail(znode.ErrBadArguments))
		}
	}
	return out
}

// clientInfos turns auth ids into whoAmI's answer, as AuthUtil does: the
// user of a digest id is the part before the colon.
func clientInfos(ids []jute.Id) []jute.ClientInfo {
	out := make([]jute.ClientInfo, 0, len(ids))
	for _, id := range ids {
		user := id.ID
		if id.Scheme == znode.SchemeDigest {
			user, _, _ = strings.Cut(id.ID, ":")
		}
		out = append(out, jute.ClientInfo{AuthScheme: id.Scheme, User: user})
	}
	return out
}
