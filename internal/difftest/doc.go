// Package difftest is the differential harness: it runs the same operation
// sequences against two servers (Apache ZooKeeper 3.8 as the oracle, and
// zkmesh or a second Apache ZooKeeper), records every reply and every watch
// event in order, normalises what legitimately differs between two correct
// servers, and compares the two recordings field by field.
//
// Normalisation: a zxid becomes its rank among the zxids both recordings
// report at the same place ("z3"; "z3+" for one seen by one side only,
// lying between z3 and z4), so only the order of zxids matters, not their
// values; ctime and mtime become set/unset plus whether mtime >= ctime; a
// session id becomes the name of the client that owns it (TTL and
// container markers are named as such); children and getEphemerals lists
// are sorted, since ZooKeeper promises no order.
//
// Sequences (Sequences, EnsembleSequences) drive named clients through an
// Env: most use RawClient from internal/zktest, which sends every opcode
// frame by frame; one uses go-zookeeper, with its reconnect and
// setWatches, through a proxy the test cuts. A difference is accepted only
// when testdata/known_differences.tsv lists it with a reason; any other
// difference fails TestApacheVsZkmesh with a readable, side-by-side report.
// TestApacheVsApache requires no difference at all between two Apache
// servers, which shows the normalisation and the sequences are sound.
// TestZkCli* drive Debian's zkCli.sh the same way.
//
// Run: go test ./internal/difftest (add -v -args -dump to log every
// normalised observation). The harness never touches znodes outside each
// sequence's own root, and never waits with a bare sleep: it waits for
// replies and events, each with a bound.
package difftest
