package discovery

import (
	"errors"
	"strings"
	"testing"
)

func TestMemView(t *testing.T) {
	v := NewMemView(Member{Name: "me", Meta: Meta{ServerID: 1, Role: RoleVoter}}, 16)
	b := Member{Name: "b", Meta: Meta{ServerID: 2, Role: RoleObserver}}
	steps := []func() error{
		func() error { return v.Set(b) },
		func() error { b.State = StateSuspect; return v.Set(b) },
		func() error { b.State = StateAlive; return v.Set(b) },
		func() error { b.Meta.Zone = "z"; return v.Set(b) },
		func() error { return v.UpdateMeta(func(m *Meta) { m.LastZxid = 5 }) },
		func() error { b.State = StateDead; return v.Set(b) },
		func() error { b.State = StateAlive; return v.Set(b) },
		func() error { b.State = StateLeft; return v.Set(b) },
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	err := v.Set(Member{Name: "c", Meta: Meta{ServerID: 1, Role: RoleObserver}})
	if !errors.Is(err, ErrServerIDConflict) {
		t.Fatalf("conflicting Set: %v", err)
	}
	if err := v.UpdateMeta(func(m *Meta) { m.Role = 0 }); !errors.Is(err, ErrBadMeta) {
		t.Fatalf("bad UpdateMeta: %v", err)
	}
	var kinds []string
	for len(v.Events()) > 0 {
		ev := <-v.Events()
		kinds = append(kinds, ev.Kind.String()+":"+ev.Member.Name)
	}
	want := "join:b suspect:b alive:b update:b update:me dead:b join:b left:b refused:c"
	if got := strings.Join(kinds, " "); got != want {
		t.Fatalf("events %q, want %q", got, want)
	}
	if me := v.Local(); !me.Local || me.Meta.LastZxid != 5 {
		t.Fatalf("local %+v", me)
	}
	if s := v.Stats(); s.Members != 2 || s.Alive != 1 || s.Left != 1 || s.Refused != 1 || s.Voters != 1 {
		t.Fatalf("stats %+v", s)
	}
	v.Remove("b")
	if ms := v.Members(); len(ms) != 1 {
		t.Fatalf("after Remove: %s", describe(ms))
	}
	v.Close()
	if _, ok := <-v.Events(); ok {
		t.Fatal("Events not closed by Close")
	}
}
