package storage

import (
	"fmt"
	"path/filepath"
)

// Config configures a Store. Start from DefaultConfig and set Dir.
type Config struct {
	// Dir is the directory holding the txn log (ZooKeeper's dataLogDir),
	// and snapshots and epoch files too unless SnapDir is set. It is
	// created if missing.
	Dir string
	// SnapDir, if set, holds snapshots and the epoch files (ZooKeeper's
	// dataDir), so that the log can have a disk of its own. It is created
	// if missing.
	SnapDir string
	// SegmentMaxBytes rolls to a new log segment when the next record would
	// make the current one larger than this. A segment always holds at
	// least one record, so a single record larger than this still fits.
	SegmentMaxBytes int64
	// SegmentMaxEntries rolls to a new log segment after this many records.
	SegmentMaxEntries int
	// PreallocBytes is the chunk by which the newest segment is extended
	// ahead of the writes, so that appends rarely change the file size
	// (ZooKeeper's zookeeper.preAllocSize).
	PreallocBytes int64
	// MaxRecordBytes bounds the data of one record. Recovery rejects a
	// length above it before allocating anything.
	MaxRecordBytes int
	// WriteBufferBytes is how many bytes Append buffers in memory before it
	// writes them to the file without waiting for Sync.
	WriteBufferBytes int
}

// DefaultConfig returns a Config with ZooKeeper-like sizes and an empty Dir.
func DefaultConfig() Config {
	return Config{
		SegmentMaxBytes:   64 << 20,
		SegmentMaxEntries: 100000,
		PreallocBytes:     64 << 20,
		MaxRecordBytes:    16 << 20,
		WriteBufferBytes:  1 << 20,
	}
}

// dirs returns the log and snapshot directories.
func (c Config) dirs() dataDirs {
	d := dataDirs{log: filepath.Clean(c.Dir), snap: filepath.Clean(c.SnapDir)}
	if c.SnapDir == "" {
		d.snap = d.log
	}
	return d
}

// Validate reports the first field that is unusable, by name.
func (c Config) Validate() error {
	switch {
	case c.Dir == "":
		return fmt.Errorf("storage: Config.Dir is empty")
	case c.SegmentMaxBytes <= logHeaderSize:
		return fmt.Errorf("storage: Config.SegmentMaxBytes %d must exceed the %d-byte segment header", c.SegmentMaxBytes, logHeaderSize)
	case c.SegmentMaxEntries <= 0:
		return fmt.Errorf("storage: Config.SegmentMaxEntries %d must be positive", c.SegmentMaxEntries)
	case c.PreallocBytes <= 0:
		return fmt.Errorf("storage: Config.PreallocBytes %d must be positive", c.PreallocBytes)
	case c.MaxRecordBytes <= 0 || c.MaxRecordBytes > maxRecordLimit:
		return fmt.Errorf("storage: Config.MaxRecordBytes %d must be in 1..%d", c.MaxRecordBytes, maxRecordLimit)
	case c.WriteBufferBytes <= 0:
		return fmt.Errorf("storage: Config.WriteBufferBytes %d must be positive", c.WriteBufferBytes)
	}
	return nil
}
