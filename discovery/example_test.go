package discovery_test

import (
	"fmt"
	"time"

	"github.com/rs/zerolog"
	"github.com/zkmesh/zkmesh/discovery"
)

// Example shows how the daemon wires discovery: start a member, join a seed,
// consume events on one goroutine, advertise progress, leave on shutdown.
func Example() {
	start := func(name string, id uint64, role discovery.Role) *discovery.Members {
		cfg := discovery.DefaultConfig()
		cfg.NodeName = name
		cfg.BindAddr = "127.0.0.1:0" // --gossip-addr; port 0 only in examples and tests
		cfg.Timing = discovery.FastTiming()
		cfg.Meta = discovery.Meta{ServerID: id, Role: role, ClientAddr: "127.0.0.1:2181", Zone: "zone-a"}
		m, err := discovery.New(cfg, zerolog.Nop())
		if err != nil {
			panic(err)
		}
		return m
	}
	seed := start("host-1", 1, discovery.RoleVoter)
	defer seed.Shutdown()
	joiner := start("host-2", 0, discovery.RoleObserver)
	defer joiner.Shutdown()

	if _, err := joiner.Join([]string{seed.Addr()}); err != nil {
		panic(err)
	}
	// The seed learns of host-2 through an event.
	timeout := time.After(10 * time.Second)
	for done := false; !done; {
		select {
		case ev := <-seed.Events():
			done = ev.Kind == discovery.EventJoin && ev.Member.Name == "host-2"
		case <-timeout:
			panic("no join event")
		}
	}
	for _, m := range seed.Members() {
		fmt.Println(m.Name, m.State, m.Meta.Role, m.Meta.ServerID)
	}
	// An observer without an id allocates one (persisted in its data dir in
	// real use) and advertises it; replicas advertise their progress.
	_ = joiner.UpdateMeta(func(meta *discovery.Meta) { meta.ServerID = 2 })
	_ = joiner.SetLastZxid(0x100000001)
	f := seed.Stats().Fields()[0] // the admin port's mntr lists them all
	fmt.Println(f.Name, f.Value)
	_ = joiner.Leave(time.Second)
	// Output:
	// host-1 alive voter 1
	// host-2 alive observer 0
	// zk_gossip_members 2
}
