// Package loadbalance owns the registry model: it reads the service
// registrations people already keep in ZooKeeper into one model of services,
// their endpoints, and each endpoint's address, port, weight, zone, priority,
// health, warmup and metadata, plus each service's load-balancing policy.
//
// Four layouts are understood (see layout.go for the exact paths):
//
//   - Dubbo providers: /dubbo/<interface>/providers/<URL-encoded provider URL>
//   - Kafka brokers: /brokers/ids/<id> JSON, one service per listener, and
//     /controller (exposed as endpoint metadata, see kafka.go)
//   - Curator service discovery: /services/<name>/<id> ServiceInstance JSON
//   - zkmesh's own records: /zkmesh/services/<name>/<instance> JSON
//
// The ZooKeeper server feeds a Registry with znode events (Put, Remove) from
// its own replica, asking Relevant first so that only registration paths are
// forwarded, and Prefixes to know which subtrees to scan at startup (Config
// says where Kafka and Curator records live). The
// Registry produces immutable Views; each service in a View carries a version
// equal to the zxid of its last change, so versions are unique and ordered
// across restarts.
//
// A malformed registration is skipped and never breaks another service: it
// is counted (Stats) and returned once per path from Malformed, so the caller
// can log it. This package never logs.
//
// loadbalance imports only the standard library. It never starts goroutines,
// never does I/O and never reads the clock: anything that depends on time
// (Dubbo warmup) is a pure function of a `now` passed in.
package loadbalance
