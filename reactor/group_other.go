//go:build !linux

package reactor

// reusePortBalances: elsewhere SO_REUSEPORT does not spread connections
// (macOS gives them to one listener; FreeBSD needs SO_REUSEPORT_LB), so a
// Group's Listen accepts on one reactor and deals connections out.
const reusePortBalances = false
