//go:build race

package storage

// raceEnabled scales the seeded crash tests down under the race detector,
// which slows them about tenfold.
const raceEnabled = true
