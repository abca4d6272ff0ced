// Package e2e holds end-to-end tests of the whole registration path through
// a real zkmesh process: gRPC backends register themselves as ephemeral
// znodes over the ZooKeeper wire protocol (go-zookeeper/zk) in each layout
// zkmesh understands (Dubbo providers, Kafka brokers, Curator instances,
// zkmesh records); gRPC's own xDS resolver, bootstrapped against that
// process's ADS address, dials xds:///<service>; the tests check where real
// RPCs land (weights, session loss, new registrations, malformed neighbours)
// and measure how long a registration or a session close takes to change the
// traffic.
//
// The package holds only this file and tests. It starts the zkmesh binary
// through internal/zktest, so it must never target anything but loopback,
// never leave a process or goroutine running after its test, never sleep to
// wait (it waits on RPC results), and never assert on timing beyond a
// liveness bound: the numbers it measures are logged, and recorded in
// README.md.
package e2e
