//go:build !race

package reactor

// raceEnabled turns the loop check (WithLoopCheck) on by default in builds
// with the race detector.
const raceEnabled = false
