// Command compare measures Apache ZooKeeper 3.8 (Debian's package) and
// zkmesh side by side on this machine and prints a table of figures with
// their ratio: `go run ./bench/compare [flags]`.
//
// Both servers are started from the same zoo.cfg settings (tickTime,
// forceSync=yes, unlimited connections; only dataDir and clientPort change),
// one after the other, each on a fresh data directory, and loaded with the
// same bench configurations: create, set and get with 32 requests in flight,
// mixed 90 % reads, and get and set with one request in flight. Each figure
// is the median over --runs runs; the order of the two servers alternates
// between runs. Resident memory is read from /proc/<pid>/status (VmRSS).
// With --memory it instead fills each server with --znodes znodes of 100
// bytes and reports the memory they hold.
//
// compare only starts servers on 127.0.0.1 and loads only those; it stops
// every server it started before it exits, including on SIGINT.
package main
