// Package bench owns zkmesh's ZooKeeper load generator: `zkmesh bench` and
// the Apache-vs-zkmesh comparison in bench/compare are built on it.
//
// It speaks the ZooKeeper 3.8 client protocol with the project's own jute
// records over plain TCP, so that each session can keep a settable number of
// requests in flight (pipelining); ZooKeeper answers a session's requests in
// the order they were sent, which is what lets a reply be matched to its
// request by position. Workloads are create, set, get, exists, getChildren
// and mixed (a settable share of gets, the rest sets). A run creates its own
// subtree under Config.Prefix, fills the key space, warms up, measures for
// Config.Duration, and deletes every node it created. It reports throughput,
// latency quantiles from a log-linear histogram (bounded memory, whatever the
// run length) and errors by ZooKeeper code, as text and JSON.
//
// bench must never:
//   - run without an end: the request loop stops by itself after
//     Warmup+Duration, and the drain of requests still in flight is bounded
//     by Config.DrainTimeout;
//   - connect anywhere but the addresses in Config.Servers;
//   - touch znodes outside Config.Prefix;
//   - be imported by the server packages: it is a client, and depends only
//     on jute and the standard library.
package bench
