package discovery

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestAllocateObserverID(t *testing.T) {
	dir := t.TempDir()
	members := []Member{
		{Name: "v1", Meta: Meta{ServerID: 1, Role: RoleVoter}},
		{Name: "v3", Meta: Meta{ServerID: 3, Role: RoleVoter}},
		{Name: "o4", Meta: Meta{ServerID: 4, Role: RoleObserver}},
		{Name: "o6", Meta: Meta{ServerID: 6, Role: RoleObserver}, State: StateDead},
		{Name: "new", Meta: Meta{Role: RoleObserver}},
	}
	id, err := AllocateObserverID(members, dir)
	if err != nil || id != 5 {
		t.Fatalf("got %d, %v; want 5 (above voter 3, 4 and 6 taken)", id, err)
	}
	b, err := os.ReadFile(filepath.Join(dir, ObserverIDFile))
	if err != nil || string(b) != "5\n" {
		t.Fatalf("persisted %q, %v", b, err)
	}
	// After a restart the view differs, but the persisted id wins.
	members = append(members, Member{Name: "o5", Meta: Meta{ServerID: 5, Role: RoleObserver}})
	again, err := AllocateObserverID(members[:1], dir)
	if err != nil || again != 5 {
		t.Fatalf("restart: got %d, %v; want 5", again, err)
	}
	// No leftover temporary files.
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Fatalf("data dir holds %d entries, want 1", len(ents))
	}
}

func TestAllocateObserverIDEmptyFleetAndNewDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "zk")
	id, err := AllocateObserverID(nil, dir)
	if err != nil || id != 1 {
		t.Fatalf("got %d, %v; want 1", id, err)
	}
}

func TestAllocateObserverIDBadFile(t *testing.T) {
	for _, content := range []string{"", "0\n", "abc", "-3"} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, ObserverIDFile), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := AllocateObserverID(nil, dir); !errors.Is(err, ErrBadObserverID) {
			t.Errorf("content %q: got %v, want ErrBadObserverID", content, err)
		}
	}
}
