//go:build race

package websocket

// raceEnabled: the race detector slows the big cases of section 9 tenfold.
const raceEnabled = true
