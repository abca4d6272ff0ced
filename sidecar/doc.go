// Package sidecar is the zkmesh daemon: configuration, the ZooKeeper client
// port and its sessions, the request pipeline that turns client requests
// into txns, the driver of the zab state machine (ticks, disk, network), the
// admin surface (four-letter words, metrics) and the lifecycle of it all.
//
// sidecar is the only package that starts goroutines, opens sockets and
// reads the clock; the packages it drives stay deterministic.
package sidecar
