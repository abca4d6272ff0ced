// Package multihost runs real zkmesh processes as if on separate hosts: each
// in a Linux network namespace of its own, with its own IP address, all
// attached to one bridge, so that a test cuts the network between hosts
// (blackhole routes inside the namespaces) instead of proxying loopback
// connections. The test process reaches every host directly through an
// address of its own on the same subnet, the way an operator's machine
// would.
//
// What it holds: Net (the namespaces, the bridge, the per-run subnet and the
// partitions), Member (one `zkmesh run` process inside a host, its zoo.cfg
// and data directory), Binary (the static zkmesh binary, built once), and
// the tests: a fleet joined from one seed address, an observer killed and
// restarted, and partitions of a voter with an observer and of the leader.
//
// Contracts:
//   - It needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN) and iproute2's `ip`.
//     Without them the tests skip, unless ZKMESH_REQUIRE_NETNS=1, in which
//     case they fail.
//   - Every namespace, link and process a test creates is removed when the
//     test ends, failed or not (the empty lock file of its subnet stays in
//     the temporary directory, to be locked again by a later run). Names carry the test binary's pid
//     (zkm-<pid>-<n>-…), the subnet 10.<x>.0.0/24 is taken under a lock and
//     only when no route of the host overlaps it, so concurrent runs do not
//     collide; namespaces left by a run that was killed are removed by the
//     next one. Processes get SIGKILL when the test binary dies.
//   - The host's own network is untouched but for one veth interface with an
//     address in the run's subnet, which goes away with the run.
//   - It never waits with a bare sleep for something it can observe: it
//     polls the answer it waits for.
package multihost
