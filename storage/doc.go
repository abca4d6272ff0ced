// Package storage is zkmesh's durable state on disk: the write-ahead txn
// log, snapshots of the data tree, and the two epoch files
// (acceptedEpoch, currentEpoch). Store implements zab.Storage and adds the
// write methods the driver of zab calls (Append, Sync, Truncate,
// SetHardState, SaveSnapshot, ApplySnapshot) and Replay for recovery.
//
// # On-disk layout
//
// One directory holds (snapshots and epoch files may live in a second
// one, Config.SnapDir, as ZooKeeper's dataDir apart from its dataLogDir):
//
//	log.<hexzxid>       txn log segments, named for the zxid of their first record
//	snapshot.<hexzxid>  snapshots, named for the last zxid they reflect
//	acceptedEpoch       decimal text, written atomically
//	currentEpoch        decimal text, written atomically
//	*.tmp               leftovers of interrupted atomic writes, removed on Open
//	LOCK                flock'd while a Store has the directory open
//
// Segments roll when they reach Config.SegmentMaxBytes or
// Config.SegmentMaxEntries, and at the first append after a snapshot (as
// ZooKeeper rolls its log), so that Purge can drop what a snapshot covers.
//
// A log segment is a 24-byte header (magic, log generation, checksum)
// followed by framed records (see record.go) and, at the tail of the newest
// segment, preallocated zero space. A snapshot is a header, the opaque
// image, and a trailer holding the image length and a CRC-32C over
// everything before it.
//
// # Durability contract
//
// Nothing is reported durable before it has been fsync'd: Sync returns only
// after the bytes of every appended entry are on disk; snapshots and epoch
// files are written to a temporary file, fsync'd, renamed and the directory
// fsync'd. Once any write or fsync fails the Store is failed for good
// (ErrStoreFailed): it never again reports success for a write, because
// after a failed fsync the state of the page cache is unknown.
//
// Recovery (Open) verifies every record's checksum. A torn or corrupt tail
// of the newest segment (nothing valid after it) is cut off; that is what a
// crash during an unsynced write leaves. Corruption anywhere else (a valid
// record follows it, or it lies in an older segment) stops Open with an
// error that names the file and byte offset: storage never silently skips a
// record. Recovery assumes that a crash persists a prefix of the unsynced
// writes to a file; a disk that persists a later unsynced write but not an
// earlier one makes Open refuse rather than guess, and Inspect shows the
// damage.
//
// # Concurrency
//
// A Store is safe for concurrent use; one mutex serialises it, and it is
// held across fsync. GroupCommitter is the one place in zkmesh outside
// package sidecar that runs a goroutine, and only the one its owner starts
// by calling Run: it batches the entries that arrive while the previous
// fsync runs into one write and one fsync.
//
// storage must never interpret txn bytes (zab.Entry.Data is opaque here),
// never read the clock, open sockets, or start goroutines other than
// through GroupCommitter.Run. It imports zab for the types it persists.
// All file access goes through the FS seam: OSFS on a real disk, MemFS (a
// fault-injecting double that loses unsynced data on Crash) in tests and
// in the simulator.
package storage
