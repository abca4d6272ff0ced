package sidecar

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/zkmesh/zkmesh/jute"
	"github.com/zkmesh/zkmesh/storage"
	"github.com/zkmesh/zkmesh/zab"
	"github.com/zkmesh/zkmesh/znode"
)

// FormatTxn renders one logged txn as a line of text, in the spirit of
// ZooKeeper's LogFormatter: time, session, cxid, zxid, type and body.
func FormatTxn(data []byte) string {
	hdr, body, err := jute.DecodeTxn(data)
	if err != nil {
		return fmt.Sprintf("undecodable txn (%d bytes): %v", len(data), err)
	}
	return fmt.Sprintf("%s session 0x%x cxid 0x%x zxid 0x%x %s %s",
		time.UnixMilli(hdr.Time).UTC().Format(time.RFC3339Nano), hdr.ClientID, hdr.Cxid, hdr.Zxid, hdr.Type, formatTxnBody(body))
}

func formatTxnBody(body jute.Record) string {
	switch b := body.(type) {
	case nil:
		return ""
	case *jute.CreateTxn:
		return fmt.Sprintf("%s,%q,%s,ephemeral=%v,parentCVersion=%d", b.Path, b.Data, formatACL(b.ACL), b.Ephemeral, b.ParentCVersion)
	case *jute.CreateContainerTxn:
		return fmt.Sprintf("%s,%q,%s,parentCVersion=%d", b.Path, b.Data, formatACL(b.ACL), b.ParentCVersion)
	case *jute.CreateTTLTxn:
		return fmt.Sprintf("%s,%q,%s,parentCVersion=%d,ttl=%d", b.Path, b.Data, formatACL(b.ACL), b.ParentCVersion, b.TTL)
	case *jute.DeleteTxn:
		return b.Path
	case *jute.SetDataTxn:
		return fmt.Sprintf("%s,%q,version=%d", b.Path, b.Data, b.Version)
	case *jute.SetACLTxn:
		return fmt.Sprintf("%s,%s,version=%d", b.Path, formatACL(b.ACL), b.Version)
	case *jute.CheckVersionTxn:
		return fmt.Sprintf("%s,version=%d", b.Path, b.Version)
	case *jute.CreateSessionTxn:
		return fmt.Sprintf("timeout=%d", b.TimeOut)
	case *jute.CloseSessionTxn:
		return fmt.Sprintf("delete=%v", b.Paths2Delete)
	case *jute.ErrorTxn:
		return fmt.Sprintf("err=%d (%v)", int32(b.Err), b.Err)
	case *jute.MultiTxn:
		parts := make([]string, 0, len(b.Txns))
		for _, op := range b.Txns {
			parts = append(parts, fmt.Sprintf("%s %s", op.Type, formatTxnBody(op.Body)))
		}
		return "[" + strings.Join(parts, "; ") + "]"
	}
	return fmt.Sprintf("%T", body)
}

func formatACL(acl []jute.ACL) string {
	parts := make([]string, 0, len(acl))
	for _, a := range acl {
		parts = append(parts, fmt.Sprintf("%d:%s:%s", a.Perms, a.ID.Scheme, a.ID.ID))
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// Inspect prints what dir holds, read-only: the epoch files, every
// snapshot's header, every logged txn, and, if tree is set, every znode of
// the newest snapshot (like ZooKeeper's SnapshotFormatter).
func Inspect(dir string, w io.Writer, tree bool) error {
	if err := storage.Inspect(dir, w, FormatTxn); err != nil {
		return err
	}
	if !tree {
		return nil
	}
	r, err := storage.OpenNewestSnapshot(dir)
	if errors.Is(err, zab.ErrNoSnapshot) {
		fmt.Fprintln(w, "no snapshot to print")
		return nil
	}
	if err != nil {
		return err
	}
	defer r.Close()
	t, err := znode.ReadSnapshot(r)
	if err != nil {
		return err
	}
	if _, err := io.Copy(io.Discard, r); err != nil {
		return err
	}
	fmt.Fprintf(w, "snapshot tree at zxid 0x%x\n", t.LastZxid())
	super := []jute.Id{{Scheme: znode.SchemeSuper}}
	var walk func(p string) error
	walk = func(p string) error {
		data, st, err := t.GetData(p, super, nil)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%s\n  cZxid = 0x%x\n  ctime = %s\n  mZxid = 0x%x\n  mtime = %s\n  pZxid = 0x%x\n  cversion = %d\n  dataVersion = %d\n  aclVersion = %d\n  ephemeralOwner = 0x%x\n  dataLength = %d\n",
			p, st.Czxid, time.UnixMilli(st.Ctime).UTC().Format(time.RFC3339), st.Mzxid, time.UnixMilli(st.Mtime).UTC().Format(time.RFC3339),
			st.Pzxid, st.Cversion, st.Version, st.Aversion, st.EphemeralOwner, len(data))
		kids, _, err := t.GetChildren(p, super, nil)
		if err != nil {
			return err
		}
		sort.Strings(kids)
		for _, k := range kids {
			cp := p + "/" + k
			if p == "/" {
				cp = "/" + k
			}
			if err := walk(cp); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk("/"); err != nil {
		return err
	}
	fmt.Fprintf(w, "Session Details (sid, timeout, ephemeralCount):\n")
	eph := t.EphemeralsBySession()
	sessions := t.Sessions()
	ids := make([]int64, 0, len(sessions))
	for id := range sessions {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		fmt.Fprintf(w, "0x%x, %d, %d\n", id, sessions[id], len(eph[id]))
	}
	return nil
}
