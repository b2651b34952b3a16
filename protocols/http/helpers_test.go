package http

import (
	"testing"
	"time"

	"github.com/evmachine/evmachine/internal/reactortest"
	"github.com/evmachine/evmachine/reactor"
)

// Helpers shared by the client's and the server's tests; each side's own
// are in client_helpers_test.go and server_helpers_test.go.

// testWatchdog bounds every wait of a test: it fails, never hangs.
const testWatchdog = 20 * time.Second

// startReactor runs a reactor on its own goroutine for the test and stops
// it, awaiting its Run, in t.Cleanup.
func startReactor(t testing.TB, opts ...reactor.Option) *reactor.Reactor {
	t.Helper()
	return reactortest.Start(t, opts...)
}

// waitFor receives one value from ch within the watchdog; what says what
// was awaited.
func waitFor[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(testWatchdog):
		t.Fatalf("watchdog: no %s after %v", what, testWatchdog)
		panic("unreachable")
	}
}

// onLoop runs fn on the reactor goroutine and waits for it.
func onLoop(t testing.TB, r *reactor.Reactor, fn func()) {
	t.Helper()
	done := make(chan struct{})
	r.NextTick(func() {
		defer close(done)
		fn()
	})
	waitFor(t, done, "loop tick")
}

// splitEverywhere returns data whole, cut in two at every point, in three
// around every point, and byte by byte; data over 1000 bytes only whole
// and byte by byte.
func splitEverywhere(data []byte) [][][]byte {
	out := [][][]byte{{data}}
	for i := 1; i < len(data) && len(data) <= 1000; i++ {
		out = append(out, [][]byte{data[:i], data[i:]})
		if i+1 < len(data) {
			out = append(out, [][]byte{data[:i], data[i : i+1], data[i+1:]})
		}
	}
	bytewise := make([][]byte, len(data))
	for i := range data {
		bytewise[i] = data[i : i+1]
	}
	return append(out, bytewise)
}

// cutPieces cuts data in pieces of the sizes a fuzz target drew (each
// cuts[i]%64+1), the rest in one piece.
func cutPieces(data, cuts []byte) [][]byte {
	var pieces [][]byte
	for i := 0; len(data) > 0; i++ {
		n := len(data)
		if i < len(cuts) {
			n = min(int(cuts[i])%64+1, len(data))
		}
		pieces = append(pieces, data[:n])
		data = data[n:]
	}
	return pieces
}
