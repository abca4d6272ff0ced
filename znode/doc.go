// Package znode owns ZooKeeper's data tree: nodes and their Stat, ACL
// checks, ephemeral owners, sequence numbering, container and TTL nodes,
// the watch registry, the preparation of client write requests into txns
// (Prep), the application of committed txns (Tree.Apply) and the snapshot
// of the tree.
//
// The package is deterministic: it never reads the clock, starts
// goroutines, or does I/O other than to the io.Writer/io.Reader handed to
// its snapshot functions. Times come in through txn headers and arguments.
//
// znode imports only jute.
package znode
