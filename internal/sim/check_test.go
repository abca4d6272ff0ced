package sim

import (
	"strings"
	"testing"

	"github.com/zkmesh/zkmesh/zab"
)

// The checker must catch each kind of violation it exists for.
func TestCheckerCatchesViolations(t *testing.T) {
	z := zab.MakeZxid
	apply := func(c *Checker, id zab.ServerID, kv *KV, e zab.Entry) error {
		kv.Apply(e)
		return c.Applied(id, e, kv)
	}
	t.Run("divergent prefix", func(t *testing.T) {
		c := NewChecker()
		must(t, c.Proposed(1, z(1, 1), []byte("a"), 0))
		must(t, c.Proposed(1, z(2, 1), []byte("b"), 0))
		must(t, apply(c, 1, NewKV(), zab.Entry{Zxid: z(1, 1), Data: []byte("a")}))
		wantErr(t, apply(c, 2, NewKV(), zab.Entry{Zxid: z(2, 1), Data: []byte("b")}), "prefix")
	})
	t.Run("never proposed", func(t *testing.T) {
		c := NewChecker()
		wantErr(t, apply(c, 1, NewKV(), zab.Entry{Zxid: z(1, 1), Data: []byte("x")}), "integrity")
	})
	t.Run("zxid reused", func(t *testing.T) {
		c := NewChecker()
		must(t, c.Proposed(1, z(1, 1), []byte("a"), 0))
		wantErr(t, c.Proposed(2, z(1, 1), []byte("b"), 0), "integrity")
	})
	t.Run("skipped txn", func(t *testing.T) {
		c := NewChecker()
		must(t, c.Proposed(1, z(1, 1), []byte("a"), 0))
		must(t, c.Proposed(1, z(1, 3), []byte("c"), 0))
		kv := NewKV()
		must(t, apply(c, 1, kv, zab.Entry{Zxid: z(1, 1), Data: []byte("a")}))
		wantErr(t, apply(c, 1, kv, zab.Entry{Zxid: z(1, 3), Data: []byte("c")}), "primary order")
	})
	t.Run("real-time order", func(t *testing.T) {
		c := NewChecker()
		must(t, c.Proposed(1, z(1, 1), []byte("a"), 0))
		must(t, c.Proposed(1, z(1, 2), []byte("b"), 0))
		kv := NewKV()
		must(t, apply(c, 1, kv, zab.Entry{Zxid: z(1, 1), Data: []byte("a")}))
		must(t, apply(c, 1, kv, zab.Entry{Zxid: z(1, 2), Data: []byte("b")}))
		// A write acked at t=5 and one proposed at t=9 that overtakes it.
		c.Acked(z(2, 2), []byte("x"), 5)
		must(t, c.Proposed(2, z(2, 1), []byte("y"), 9))
		wantErr(t, apply(c, 1, kv, zab.Entry{Zxid: z(2, 1), Data: []byte("y")}), "real-time")
	})
	t.Run("two leaders of an epoch", func(t *testing.T) {
		c := NewChecker()
		must(t, c.Established(1, 4, zab.NewMemoryStorage()))
		wantErr(t, c.Established(2, 4, zab.NewMemoryStorage()), "two leaders")
	})
	t.Run("acked txn lost", func(t *testing.T) {
		c := NewChecker()
		c.Acked(z(1, 1), []byte("a"), 0)
		wantErr(t, c.Established(2, 2, zab.NewMemoryStorage()), "lost txn")
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantErr(t *testing.T, err error, sub string) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), sub) {
		t.Fatalf("got %v, want an error about %q", err, sub)
	}
}

// A seed replays exactly: same trace, same result.
func TestSeedReplaysExactly(t *testing.T) {
	run := func() (SeedResult, []string) {
		var tr []string
		res := RunSeed(7, 150, recoverTicks, func(s string) { tr = append(tr, s) })
		return res, tr
	}
	r1, t1 := run()
	r2, t2 := run()
	if r1.String() != r2.String() || strings.Join(t1, "\n") != strings.Join(t2, "\n") {
		t.Fatalf("seed 7 did not replay: %v vs %v (%d vs %d trace lines)", r1, r2, len(t1), len(t2))
	}
	if len(t1) < 10 {
		t.Fatalf("suspiciously short trace: %v", t1)
	}
}

// FuzzRestoreKV: snapshot images are bytes from a peer.
func FuzzRestoreKV(f *testing.F) {
	kv := NewKV()
	kv.Apply(zab.Entry{Zxid: zab.MakeZxid(1, 1), Data: []byte("a=1")})
	snap, _ := kv.Snapshot()
	f.Add(uint64(snap.Zxid), snap.Data)
	f.Add(uint64(0), []byte("{}"))
	f.Add(uint64(5), []byte(`{"Count":1,"Last":5,"Vals":null}`))
	f.Fuzz(func(t *testing.T, z uint64, b []byte) {
		kv, err := RestoreKV(zab.Snapshot{Zxid: zab.Zxid(z), Data: b})
		if err != nil {
			return
		}
		if kv.Last != zab.Zxid(z) || kv.Vals == nil {
			t.Fatalf("restored %+v from zxid %d", kv, z)
		}
		kv.Apply(zab.Entry{Zxid: kv.Last + 1, Data: []byte("k=v")})
	})
}

// The configuration checks catch a member that applies another sequence of
// configurations, and a configuration that changes two voters at once.
func TestCheckerCatchesConfigViolations(t *testing.T) {
	z := zab.MakeZxid
	cfg := func(voters ...zab.ServerID) []byte { return EncodeConfig(zab.Membership{Voters: voters}) }
	t.Run("different sequence", func(t *testing.T) {
		c := NewChecker()
		a, b := cfg(1, 2, 3), cfg(1, 2)
		must(t, c.Proposed(1, z(1, 1), a, 0))
		must(t, c.Proposed(2, z(2, 1), b, 0))
		kv1, kv2 := NewKV(), NewKV()
		kv1.Apply(zab.Entry{Zxid: z(1, 1), Data: a})
		must(t, c.Applied(1, zab.Entry{Zxid: z(1, 1), Data: a}, kv1))
		kv2.Apply(zab.Entry{Zxid: z(2, 1), Data: b})
		wantErr(t, c.Applied(2, zab.Entry{Zxid: z(2, 1), Data: b}, kv2), "config")
	})
	t.Run("two voters at once", func(t *testing.T) {
		c := NewChecker()
		a, b := cfg(1, 2, 3), cfg(1, 4, 5)
		must(t, c.Proposed(1, z(1, 1), a, 0))
		must(t, c.Proposed(1, z(1, 2), b, 0))
		kv := NewKV()
		kv.Apply(zab.Entry{Zxid: z(1, 1), Data: a})
		must(t, c.Applied(1, zab.Entry{Zxid: z(1, 1), Data: a}, kv))
		kv.Apply(zab.Entry{Zxid: z(1, 2), Data: b})
		wantErr(t, c.Applied(1, zab.Entry{Zxid: z(1, 2), Data: b}, kv), "voters at once")
	})
}

func TestConfigOfRoundTrip(t *testing.T) {
	for _, m := range []zab.Membership{
		{Voters: []zab.ServerID{1}},
		{Voters: []zab.ServerID{3, 1, 2}, Observers: []zab.ServerID{9, 4}},
	} {
		got, ok := ConfigOf(EncodeConfig(m))
		if !ok || !got.Equal(m) {
			t.Fatalf("ConfigOf(EncodeConfig(%s)) = %s, %v", m, got, ok)
		}
	}
	for _, d := range []string{"k1=2", "fwd:x", "cfg:", "cfg:v=1", "cfg:v=a;o=", "cfg:o=1;v=2"} {
		if _, ok := ConfigOf([]byte(d)); ok {
			t.Fatalf("ConfigOf(%q) recognised a configuration", d)
		}
	}
}
