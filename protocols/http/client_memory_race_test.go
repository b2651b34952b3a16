//go:build race

package http

// Built with the race detector (see clientMemCeiling).
const clientRace, clientRaceFactor = true, 3
