//go:build race

package xds

// raceEnabled is set when tests run under the race detector, which slows
// the scale test tenfold; it then runs with fewer services.
const raceEnabled = true
