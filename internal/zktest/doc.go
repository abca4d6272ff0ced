// Package zktest holds helpers for tests that need a real ZooKeeper server:
// Apache ZooKeeper 3.8 from Debian as the oracle, or the zkmesh binary built
// from ./cmd/zkmesh, started as child processes on loopback ports with a
// temporary dataDir; a four-letter-word helper; and RawClient, a small
// client that speaks the ZooKeeper wire protocol frame by frame, for the
// operations go-zookeeper does not offer (createTTL, getEphemerals,
// getAllChildrenNumber, addWatch, checkWatches, removeWatches, whoAmI,
// multiRead, setWatches2); a TCP Proxy that cuts a client's connection;
// and, for zkmesh ensembles started with Options.PartitionableLinks, a
// Network of per-pair proxies on the peer links, to cut members off from
// each other (Cut, CutOneWay, Isolate, Partition, HealAll).
//
// zktest is imported only by tests. It must never target anything but
// loopback addresses, never leave a server process running after the test
// that started it ends, and never wait with a bare sleep: it polls the
// condition it waits for (a four-letter word answer, a reply, an event).
//
// When Java or the ZooKeeper jar is missing, the helpers skip the test,
// unless ZKMESH_REQUIRE_ORACLE=1 is set (CI sets it), in which case they fail.
package zktest
