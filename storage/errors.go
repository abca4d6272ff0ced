package storage

import "errors"

// Sentinel errors. Callers test for them with errors.Is; the messages of
// wrapped errors name the file and, for log corruption, the byte offset.
var (
	// ErrStoreFailed wraps every error returned after a write or fsync has
	// failed once. The first failure is wrapped with it.
	ErrStoreFailed = errors.New("storage: store failed after an earlier write error")
	// ErrCorruptLog reports a damaged log record that recovery may not cut
	// off: it lies before a valid record, or in a segment that is not the
	// newest.
	ErrCorruptLog = errors.New("storage: corrupt txn log")
	// ErrCorruptSnapshot reports a snapshot whose checksum, length or
	// header does not verify.
	ErrCorruptSnapshot = errors.New("storage: corrupt snapshot")
	// ErrLogGap reports that the log does not cover the txns between the
	// snapshot recovery must use and the end of the log.
	ErrLogGap = errors.New("storage: txn log does not cover the snapshot gap")
	// ErrCorruptEpoch reports an acceptedEpoch or currentEpoch file that
	// does not hold a decimal uint32.
	ErrCorruptEpoch = errors.New("storage: corrupt epoch file")
	// ErrOutOfOrder is returned by Append for an entry whose zxid is not
	// above the last appended zxid (or the snapshot's).
	ErrOutOfOrder = errors.New("storage: append zxid not above the last zxid")
	// ErrRecordTooLarge is returned by Append for an entry larger than
	// Config.MaxRecordBytes.
	ErrRecordTooLarge = errors.New("storage: record larger than MaxRecordBytes")
	// ErrTruncateBelowSnapshot is returned by Truncate when the truncation
	// point is below the newest snapshot and no older snapshot plus the log
	// can reproduce the state at that point.
	ErrTruncateBelowSnapshot = errors.New("storage: cannot truncate below the snapshot")
	// ErrLocked is returned by Open when another Store holds the
	// directory.
	ErrLocked = errors.New("storage: data directory is locked by another store")
	// ErrSnapshotStale is returned by SnapshotWriter.Commit for a local
	// snapshot started before a SNAP replaced the log. Nothing is written
	// and the store stays healthy.
	ErrSnapshotStale = errors.New("storage: snapshot predates a log replacement")
	// ErrClosed is returned by a closed Store or GroupCommitter.
	ErrClosed = errors.New("storage: closed")
	// ErrPowerLoss is returned by MemFS for every operation after the crash
	// point set by CrashAfter, until Crash is called.
	ErrPowerLoss = errors.New("storage: memfs: power lost")
	// ErrStaleHandle is returned by a MemFS file opened before a Crash.
	ErrStaleHandle = errors.New("storage: memfs: file handle from before the crash")
)
