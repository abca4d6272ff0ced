package znode

import (
	"bytes"
	"testing"

	"github.com/zkmesh/zkmesh/jute"
)

// Prep's reconfig follows ZooKeeper's order: the membership checks of the
// hook first, WRITE on /zookeeper/config last, then a setData of the new
// config with version -1 whose result carries the data.
func TestPrepReconfigOrderAndTxn(t *testing.T) {
	var calls int
	hook := func(req *jute.ReconfigRequest, zxid int64, authorize func() error) ([]byte, error) {
		calls++
		if req.JoiningServers == "bad" {
			return nil, ErrBadArguments
		}
		if err := authorize(); err != nil {
			return nil, err
		}
		return []byte("server.1=127.0.0.1:2888:3888:participant\nversion=" + jute.OpReconfig.String()), nil
	}
	cfg := PrepConfig{ReconfigEnabled: true, Reconfig: hook}
	req := func(joining string, auth ...jute.Id) *Request {
		return &Request{SessionID: sessA, Type: jute.OpReconfig, Auth: auth, Body: &jute.ReconfigRequest{JoiningServers: joining, CurConfigID: -1}}
	}
	for _, tc := range []struct {
		name string
		r    *Request
		want jute.Code
	}{
		{"bad input before the ACL", req("bad"), jute.CodeBadArguments},
		{"no WRITE on /zookeeper/config", req("server.4=h:1:2"), jute.CodeNoAuth},
		{"super may", req("server.4=h:1:2", superID), jute.CodeOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarnessCfg(t, cfg)
			x := h.prepare(tc.r)
			if tc.want != jute.CodeOK {
				if e, ok := x.body.(*jute.ErrorTxn); !ok || e.Err != tc.want {
					t.Fatalf("prepared %v %+v, want error %v", x.hdr.Type, x.body, tc.want)
				}
				return
			}
			sd, ok := x.body.(*jute.SetDataTxn)
			if x.hdr.Type != jute.OpReconfig || !ok || sd.Path != ConfigPath || sd.Version != -1 {
				t.Fatalf("prepared %v %+v", x.hdr.Type, x.body)
			}
			r := h.apply(x)
			if r.Err != jute.CodeOK || !bytes.Equal(r.Data, sd.Data) || r.Stat.Version != -1 || r.Stat.Mzxid != x.hdr.Zxid {
				t.Fatalf("applied %+v", r)
			}
			data, _, _ := h.tree.GetData(ConfigPath, nil, nil)
			if !bytes.Equal(data, sd.Data) {
				t.Fatalf("/zookeeper/config holds %q", data)
			}
		})
	}
	if calls != 3 {
		t.Fatalf("hook called %d times", calls)
	}
	// Without a hook (or standalone) reconfig is UNIMPLEMENTED.
	for _, c := range []PrepConfig{{ReconfigEnabled: true}, {ReconfigEnabled: true, Standalone: true, Reconfig: hook}} {
		h := newHarnessCfg(t, c)
		if e, ok := h.prepare(req("x", superID)).body.(*jute.ErrorTxn); !ok || e.Err != jute.CodeUnimplemented {
			t.Fatalf("%+v: got %+v", c, e)
		}
	}
}

// A reconfig the server makes itself needs no reconfigEnabled; a client's
// does.
func TestPrepReconfigInternal(t *testing.T) {
	hook := func(req *jute.ReconfigRequest, zxid int64, authorize func() error) ([]byte, error) {
		if err := authorize(); err != nil {
			return nil, err
		}
		return []byte("version=1"), nil
	}
	h := newHarnessCfg(t, PrepConfig{Reconfig: hook})
	r := &Request{Type: jute.OpReconfig, Auth: []jute.Id{superID}, Body: &jute.ReconfigRequest{JoiningServers: "x", CurConfigID: -1}}
	if e, ok := h.prepare(r).body.(*jute.ErrorTxn); !ok || e.Err != jute.CodeReconfigDisabled {
		t.Fatalf("client reconfig without reconfigEnabled: %+v", e)
	}
	r.Internal = true
	if x := h.prepare(r); x.hdr.Type != jute.OpReconfig {
		t.Fatalf("internal reconfig prepared %v %+v", x.hdr.Type, x.body)
	}
}
