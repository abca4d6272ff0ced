// Command zkmesh is the zkmesh sidecar: a drop-in ZooKeeper 3.8 server on
// 127.0.0.1:2181, replicated across hosts, and an xDS control plane for
// Envoy. Run `zkmesh help` for the subcommands.
//
// This package owns the command line only: parsing arguments into a
// sidecar.Config (zoo.cfg plus overriding flags), the logger, signal
// handling, exit codes and the table of subcommands. It must never hold
// server logic: everything a subcommand does beyond argument handling lives
// in sidecar (or the package it drives), so that it can be tested without a
// process.
package main
