// Package reactortest runs a reactor for the tests of the packages built on
// it (protocols/..., examples/...). It is for tests only. The reactor's own
// tests cannot import it (it imports the reactor) and keep their helpers.
package reactortest

import (
	"testing"
	"time"

	"github.com/evmachine/evmachine/reactor"
)

// StopWithin bounds how long Start's cleanup waits for Run to return: a
// reactor that does not stop fails the test instead of hanging it.
const StopWithin = 20 * time.Second

// Start makes a reactor with opts and runs it on its own goroutine. In
// t.Cleanup it stops the reactor and waits, within StopWithin, for Run to
// return; an error from Run or a Run that does not return fails the test.
// Call it from the test's goroutine.
func Start(t testing.TB, opts ...reactor.Option) *reactor.Reactor {
	t.Helper()
	r, err := reactor.New(opts...)
	if err != nil {
		t.Fatalf("reactor.New: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- r.Run() }()
	t.Cleanup(func() {
		r.Stop()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("reactor Run: %v", err)
			}
		case <-time.After(StopWithin):
			t.Errorf("watchdog: reactor did not stop within %v", StopWithin)
		}
	})
	return r
}

// Recv receives one value from ch, or fails the test with "watchdog: timed
// out waiting for what" after within. Call it from the test's goroutine.
func Recv[T any](t testing.TB, ch <-chan T, within time.Duration, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(within):
		t.Fatalf("watchdog: timed out waiting for %s", what)
		var zero T
		return zero
	}
}
