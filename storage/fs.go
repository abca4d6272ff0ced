package storage

import "io"

// FS is the file-system seam. Every byte storage reads or writes goes
// through it. Names are full paths (join Config.Dir and the file name).
//
// Implementations: OSFS (the real disk) and MemFS (a fault-injecting
// double). Both must be safe for concurrent use.
type FS interface {
	// Create creates or truncates name for reading and writing.
	Create(name string) (File, error)
	// Open opens an existing file for reading and writing.
	Open(name string) (File, error)
	// Rename atomically replaces newname with oldname. It is durable only
	// after SyncDir of the directory.
	Rename(oldname, newname string) error
	// Remove deletes name. It is durable only after SyncDir.
	Remove(name string) error
	// ReadDir returns the names (not paths) of the entries of dir, sorted.
	ReadDir(dir string) ([]string, error)
	// MkdirAll creates dir and its parents.
	MkdirAll(dir string) error
	// SyncDir makes the creations, renames and removals in dir durable.
	SyncDir(dir string) error
}

// File is an open file. storage never relies on an implicit offset: all
// I/O is positional.
type File interface {
	io.ReaderAt
	io.WriterAt
	// Truncate sets the file's length, cutting or zero-extending it.
	Truncate(size int64) error
	// Sync makes the file's data and length durable (fdatasync).
	Sync() error
	// Size returns the file's current length.
	Size() (int64, error)
	Close() error
}

// Preallocator is an optional File capability: reserve disk blocks for
// [off, off+n) and extend the length to cover them, so later writes do
// not allocate. Files without it are extended with Truncate.
type Preallocator interface {
	Preallocate(off, n int64) error
}

// preallocate extends f from its current length old to length n.
func preallocate(f File, old, n int64) error {
	if n <= old {
		return nil
	}
	if p, ok := f.(Preallocator); ok {
		return p.Preallocate(old, n-old)
	}
	return f.Truncate(n)
}

// Locker is an optional FS capability: take an exclusive lock on a data
// directory, held until the returned Closer is closed, so that a second
// Store (in this process or another) cannot open the same directory. Open
// takes it when the FS has it; it fails with ErrLocked when the directory
// is taken.
type Locker interface {
	Lock(dir string) (io.Closer, error)
}
