// Package discovery is zkmesh's gossip membership: it tells a sidecar who else
// is out there, in which role, at which addresses, in which zone and how far
// their replica has progressed. It is built on hashicorp/memberlist (SWIM
// failure detection over UDP with TCP push/pull), so a new host needs only one
// seed address to find the whole fleet.
//
// What it owns:
//   - the gossip listener and its keyring (Config, LoadKey);
//   - the Meta each member advertises, its compact versioned encoding and the
//     decoder of those bytes from the network (EncodeMeta, DecodeMeta);
//   - the local table of members with their state (alive, suspect, dead,
//     left) and the time they entered it (Members.Members, Stats);
//   - refusing a member whose ServerID is already held by another live member;
//   - allocating and persisting a server id for an observer that has none
//     (AllocateObserverID).
//
// What it must never do:
//   - decide who votes. Gossip is advisory: the voter set is configuration or
//     a committed reconfiguration, and nothing here changes it. A partition
//     seen through gossip must never lead to a second leader;
//   - import any other zkmesh package. It imports memberlist, zerolog and the
//     standard library only; the daemon (package sidecar) wires it in;
//   - block memberlist's goroutines on a slow consumer. Events are queued
//     (bounded, oldest dropped and counted) and handed out by one goroutine.
//
// It is one of the few packages besides sidecar that opens sockets, starts
// goroutines and reads the clock, because memberlist does; it touches the disk
// only to read the key file and the observer id file.
package discovery
