//go:build !race

package http

// Built without the race detector (see clientMemCeiling).
const clientRace, clientRaceFactor = false, 1
