// Package crashtest kills real zkmesh processes with SIGKILL while clients
// write, restarts them, and checks that every acknowledged write survived
// and nothing that was never requested appeared. It also cuts members off
// from each other through proxies on their peer links
// (zktest.Options.PartitionableLinks), checks the history of reads and
// writes across kills and partitions for linearizability, and checks that a
// member cut off from the quorum acknowledges no write. It has only tests.
package crashtest
