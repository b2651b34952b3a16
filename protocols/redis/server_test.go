package redis

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evmachine/evmachine/internal/reactortest"
	"github.com/evmachine/evmachine/internal/redistest"
	"github.com/evmachine/evmachine/reactor"
)

// watchdog bounds every loop test: a test that hangs fails instead.
const watchdog = 20 * time.Second

// startServer starts redis-server on a free loopback port (redistest.Start).
func startServer(t testing.TB, extra ...string) *redistest.Server {
	t.Helper()
	return redistest.Start(t, extra...)
}

// startServerTLS starts a TLS-only redis-server (redistest.StartTLS).
func startServerTLS(t testing.TB, extra ...string) *redistest.Server {
	t.Helper()
	return redistest.StartTLS(t, extra...)
}

// startReactor runs a reactor on its own goroutine; it is stopped in
// t.Cleanup.
func startReactor(t *testing.T) *reactor.Reactor {
	t.Helper()
	return reactortest.Start(t)
}

// onLoop runs fn on the reactor goroutine and waits for it.
func onLoop(t *testing.T, r *reactor.Reactor, fn func()) {
	t.Helper()
	ran := make(chan struct{})
	r.NextTick(func() { defer close(ran); fn() })
	wait(t, ran, "a tick")
}

// dial makes a Client on r (on the loop) and closes it in t.Cleanup.
func dial(t *testing.T, r *reactor.Reactor, addr string, opts ...Option) *Client {
	t.Helper()
	var c *Client
	onLoop(t, r, func() {
		var err error
		c, err = Dial(r, addr, opts...)
		require.NoError(t, err)
	})
	t.Cleanup(func() {
		done := make(chan struct{})
		r.NextTick(func() { c.Close(); close(done) })
		select {
		case <-done:
		case <-time.After(watchdog):
		}
	})
	return c
}

type reply struct {
	v   Value
	err error
}

// do runs one command on the loop and waits for its reply.
func do(t *testing.T, r *reactor.Reactor, c *Client, args ...any) (Value, error) {
	t.Helper()
	ch := make(chan reply, 1)
	r.NextTick(func() { c.Do(func(v Value, err error) { ch <- reply{v, err} }, args...) })
	rep := wait(t, ch, fmt.Sprint(args...))
	return rep.v, rep.err
}

// wait receives from ch within the watchdog.
func wait[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	return reactortest.Recv(t, ch, watchdog, what)
}
