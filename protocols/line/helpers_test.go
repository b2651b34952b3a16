package line

import (
	"bufio"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evmachine/evmachine/internal/reactortest"
	"github.com/evmachine/evmachine/reactor"
)

// watchdog bounds every loop test: a test that hangs fails instead.
const watchdog = 20 * time.Second

// startReactor runs a reactor on its own goroutine, calls setup on the loop
// and waits for it. The reactor is stopped, and Run's return awaited, in
// t.Cleanup (reactortest.Start).
func startReactor(t *testing.T, setup func(r *reactor.Reactor)) *reactor.Reactor {
	t.Helper()
	r := reactortest.Start(t)
	onLoop(t, r, func() { setup(r) })
	return r
}

// onLoop runs fn on the reactor goroutine and waits for it.
func onLoop(t *testing.T, r *reactor.Reactor, fn func()) {
	t.Helper()
	ran := make(chan struct{})
	r.NextTick(func() { defer close(ran); fn() })
	select {
	case <-ran:
	case <-time.After(watchdog):
		require.FailNow(t, "watchdog: the loop did not run a tick")
	}
}

// listenLines starts a reactor listening on loopback with newRecv giving
// each connection's Receiver; it returns the address.
func listenLines(t *testing.T, newRecv func(h **Handler) Receiver, opts ...Option) string {
	t.Helper()
	var addr string
	startReactor(t, func(r *reactor.Reactor) {
		l, err := r.Listen("tcp", "127.0.0.1:0", func(*reactor.Conn) reactor.Handler {
			var h *Handler
			h = NewHandler(newRecv(&h), opts...)
			return h
		})
		require.NoError(t, err)
		addr = l.Addr().String()
	})
	return addr
}

// dial connects to addr with a deadline of the watchdog.
func dial(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	require.NoError(t, c.SetDeadline(time.Now().Add(watchdog)))
	return c, bufio.NewReader(c)
}

// wait receives from ch within the watchdog.
func wait[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	return reactortest.Recv(t, ch, watchdog, what)
}
