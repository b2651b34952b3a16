package websocket

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evmachine/evmachine/internal/reactortest"
	"github.com/evmachine/evmachine/reactor"
)

// watchdog bounds every loop test: a test that hangs fails instead.
const watchdog = 20 * time.Second

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// startReactor runs a reactor on its own goroutine (stopped in t.Cleanup)
// and calls setup on the loop.
func startReactor(t testing.TB, setup func(r *reactor.Reactor)) *reactor.Reactor {
	t.Helper()
	r := reactortest.Start(t)
	onLoop(t, r, func() { setup(r) })
	return r
}

// onLoop runs fn on the reactor goroutine and waits for it.
func onLoop(t testing.TB, r *reactor.Reactor, fn func()) {
	t.Helper()
	ran := make(chan struct{})
	r.NextTick(func() { defer close(ran); fn() })
	select {
	case <-ran:
	case <-time.After(watchdog):
		require.FailNow(t, "watchdog: the loop did not run a tick")
	}
}

// wait receives from ch within the watchdog.
func wait[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	return reactortest.Recv(t, ch, watchdog, what)
}

// echoConfig echoes every message back as it came (text as text).
func echoConfig() *Config {
	return &Config{Logger: quietLog, Handlers: Handlers{
		OnMessage: func(c *Conn, msg string) { c.Send(msg) },
		OnBinary:  func(c *Conn, msg []byte) { c.SendBinary(msg) },
	}}
}

// listenEcho starts a standalone echo server with cfg (echoConfig if nil)
// and returns the reactor and its address.
func listenEcho(t testing.TB, cfg *Config, opts ...reactor.ConnOption) (*reactor.Reactor, string) {
	t.Helper()
	if cfg == nil {
		cfg = echoConfig()
	}
	var addr string
	r := startReactor(t, func(r *reactor.Reactor) {
		_, l, err := Listen(r, "tcp", "127.0.0.1:0", cfg, opts...)
		require.NoError(t, err)
		addr = l.Addr().String()
	})
	return r, addr
}
