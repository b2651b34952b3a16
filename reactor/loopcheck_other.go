//go:build !linux

package reactor

// Elsewhere the loop check compares goroutine ids (parsed from
// runtime.Stack: microseconds a call) and leaves the loop's thread free.
const lockForCheck = false

func loopIdentity() uint64 { return goid() }
