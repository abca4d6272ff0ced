package zktest

import (
	"errors"
	"strings"
	"testing"

	"github.com/zkmesh/zkmesh/jute"
)

func TestOptionsValidate(t *testing.T) {
	if err := DefaultOptions().Validate(); err != nil {
		t.Fatalf("DefaultOptions invalid: %v", err)
	}
	cases := map[string]func(*Options){
		"Members":             func(o *Options) { o.Members = 0 },
		"TickTimeMs":          func(o *Options) { o.TickTimeMs = 0 },
		"MaxSessionTimeoutMs": func(o *Options) { o.MinSessionTimeoutMs, o.MaxSessionTimeoutMs = 5000, 4000 },
		"StartTimeout":        func(o *Options) { o.StartTimeout = 0 },
	}
	for field, mut := range cases {
		o := DefaultOptions()
		mut(&o)
		err := o.Validate()
		if !errors.Is(err, ErrBadOptions) || !strings.Contains(err.Error(), field) {
			t.Errorf("%s: Validate() = %v, want an error naming %s", field, err, field)
		}
	}
}

func TestZooCfgEnsemble(t *testing.T) {
	o := DefaultOptions()
	o.Members = 3
	o.ContainerCheckIntervalMs = 100
	all := []memberPorts{{2181, 2888, 3888, 18001}, {2182, 2889, 3889, 18002}, {2183, 2890, 3890, 18003}}
	cfg := zooCfg(o, 2, "/d", all, true)
	for _, want := range []string{
		"clientPort=2182\n", "dataDir=/d\n", "tickTime=200\n", "extendedTypesEnabled=true\n",
		"server.1=127.0.0.1:2888:3888:participant\n", "server.3=127.0.0.1:2890:3890:participant\n",
		"znode.container.checkIntervalMs=100\n", "xds.address=127.0.0.1:18002\n",
	} {
		if !strings.Contains(cfg, want) {
			t.Errorf("zoo.cfg lacks %q:\n%s", want, cfg)
		}
	}
	if apache := zooCfg(o, 2, "/d", all, false); strings.Contains(apache, "znode.container") || strings.Contains(apache, "xds.") {
		t.Errorf("Apache zoo.cfg carries zkmesh-only keys:\n%s", apache)
	}
}

func TestApacheStandaloneRawClient(t *testing.T) {
	s := StartApacheZK(t, DefaultOptions())
	if out, err := s.FourLetter("ruok"); err != nil || out != "imok" {
		t.Fatalf("ruok = %q, %v", out, err)
	}
	c, err := DialRaw(s.Addr, RawOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Create(MultiOp{Op: jute.OpCreate2, Path: "/a", Data: []byte("x"), ACL: jute.OpenACLUnsafe})
	if err != nil || r.Reply.Err != jute.CodeOK || r.Path != "/a" || r.Stat == nil || r.Stat.DataLength != 1 {
		t.Fatalf("create2 /a = %+v, %v", r, err)
	}
	r, err = c.Create(MultiOp{Op: jute.OpCreate, Path: "/a", ACL: jute.OpenACLUnsafe})
	if err != nil || r.Reply.Err != jute.CodeNodeExists {
		t.Fatalf("second create /a = %v, %v; want node exists", r.Reply.Err, err)
	}
	if _, err := c.Exists("/a", true); err != nil {
		t.Fatal(err)
	}
	if r, err := c.SetData("/a", []byte("yz"), 0); err != nil || r.Stat.Version != 1 {
		t.Fatalf("setData = %+v, %v", r, err)
	}
	evs, err := c.WaitEvents(1, 10e9)
	if err != nil || evs[0].Type != jute.EventNodeDataChanged || evs[0].Path != "/a" {
		t.Fatalf("events = %+v, %v", evs, err)
	}
	r, err = c.Multi(jute.OpMulti, []MultiOp{
		{Op: jute.OpCheck, Path: "/a", Version: 1},
		{Op: jute.OpCreate, Path: "/a/b", ACL: jute.OpenACLUnsafe},
		{Op: jute.OpDelete, Path: "/nope", Version: -1},
	})
	// ZooKeeper 3.8 answers a failed multi with header err 0 and one error
	// result per op: OK for the ops before the failing one, its own code
	// for the failing one.
	if err != nil || r.Reply.Err != jute.CodeOK || len(r.Multi) != 3 {
		t.Fatalf("multi = %+v, %v", r, err)
	}
	for i, want := range []jute.Code{jute.CodeOK, jute.CodeOK, jute.CodeNoNode} {
		if r.Multi[i].Type != jute.OpError || r.Multi[i].Err != want {
			t.Fatalf("multi result %d = %+v, want error result %v", i, r.Multi[i], want)
		}
	}
	if r, err := c.WhoAmI(); err != nil || len(r.ClientInfo) != 1 || r.ClientInfo[0].AuthScheme != "ip" {
		t.Fatalf("whoAmI = %+v, %v", r, err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}

	// A crash keeps what was committed.
	if err := s.Kill(); err != nil {
		t.Fatal(err)
	}
	if s.Running() {
		t.Fatal("Running after Kill")
	}
	s.Restart()
	c, err = DialRaw(s.Addr, RawOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if r, err := c.GetData("/a", false); err != nil || string(r.Data) != "yz" {
		t.Fatalf("after restart getData /a = %+v, %v", r, err)
	}
}

func TestApacheEnsemble(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three JVMs")
	}
	o := DefaultOptions()
	o.Members = 3
	s := StartApacheZK(t, o)
	if len(s.Members) != 3 || strings.Count(s.Hosts(), ",") != 2 {
		t.Fatalf("Members %d, Hosts %q", len(s.Members), s.Hosts())
	}
	modes := map[string]int{}
	for _, m := range s.Members {
		out, err := m.FourLetter("srvr")
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, "Mode: ") {
				modes[strings.TrimPrefix(l, "Mode: ")]++
			}
		}
	}
	if modes["leader"] != 1 || modes["follower"] != 2 {
		t.Fatalf("modes = %v, want one leader and two followers", modes)
	}
	w, err := DialRaw(s.Members[0].Addr, RawOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if r, err := w.Create(MultiOp{Op: jute.OpCreate, Path: "/e", Data: []byte("1"), ACL: jute.OpenACLUnsafe}); err != nil || r.Reply.Err != jute.CodeOK {
		t.Fatalf("create = %+v, %v", r, err)
	}
	rd, err := DialRaw(s.Members[2].Addr, RawOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	if _, err := rd.Sync("/e"); err != nil {
		t.Fatal(err)
	}
	if r, err := rd.GetData("/e", false); err != nil || string(r.Data) != "1" {
		t.Fatalf("getData on member 3 = %+v, %v", r, err)
	}
}

// FuzzDecodeMulti feeds arbitrary reply bodies to the multi decoder, which
// reads bytes from a server under test.
func FuzzDecodeMulti(f *testing.F) {
	e := jute.NewEncoder(nil)
	for _, typ := range []jute.OpCode{jute.OpCreate, jute.OpCreate2, jute.OpSetData, jute.OpGetData, jute.OpGetChildren, jute.OpError, jute.OpDelete} {
		e.Int(int32(typ))
		e.Bool(false)
		e.Int(0)
		switch typ {
		case jute.OpCreate:
			e.String("/a")
		case jute.OpCreate2:
			e.String("/b")
			(&jute.Stat{Czxid: 3}).Encode(e)
		case jute.OpSetData:
			(&jute.Stat{Version: 2}).Encode(e)
		case jute.OpGetData:
			e.Buffer([]byte("data"))
			(&jute.Stat{}).Encode(e)
		case jute.OpGetChildren:
			e.Strings([]string{"x", "y"})
		case jute.OpError:
			e.Int(int32(jute.CodeNoNode))
		}
	}
	e.Int(-1)
	e.Bool(true)
	e.Int(-1)
	f.Add(e.Bytes())
	f.Add([]byte{})
	f.Add([]byte{0, 0, 0, 8, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		d := jute.NewDecoder(b)
		var r Result
		decodeMulti(d, &r)
		if len(r.Multi) > len(b) {
			t.Fatalf("%d results from %d bytes", len(r.Multi), len(b))
		}
	})
}

func TestApacheAvailableWithoutJava(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	if ok, why := ApacheAvailable(); ok || !strings.Contains(why, "java") {
		t.Fatalf("ApacheAvailable() = %v, %q with no java on PATH", ok, why)
	}
}
