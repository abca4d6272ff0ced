package difftest

import (
	"testing"

	"github.com/zkmesh/zkmesh/internal/zktest"
)

// ServerOptions are the options both servers of a comparison start with:
// a 200 ms tick, sessions of 0.4 s to 60 s, extended types (TTL nodes) on,
// containers and TTLs checked every 100 ms, and the superDigest for
// super:test.
func ServerOptions() zktest.Options {
	o := zktest.DefaultOptions()
	o.MaxSessionTimeoutMs = 60000
	o.ExtendedTypes = true
	o.ContainerCheckIntervalMs = 100
	o.SuperDigest = superDigest
	return o
}

// Run runs seq against srv and returns what it observed. It must be called
// from the goroutine running t.
func Run(t testing.TB, srv *zktest.Server, seq Sequence) *Recording {
	t.Helper()
	e := newEnv(t, srv, seq.Name)
	defer e.CloseAll()
	seq.Run(e)
	return e.rec
}
