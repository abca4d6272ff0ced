//go:build !linux

package storage

import "os"

// datasync falls back to fsync.
func datasync(f *os.File) error { return f.Sync() }

// allocate falls back to extending the length.
func allocate(f *os.File, off, n int64) error { return f.Truncate(off + n) }

// lockFile is a no-op where flock is not available.
func lockFile(f *os.File) error { return nil }
