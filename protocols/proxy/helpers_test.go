package proxy_test

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evmachine/evmachine/internal/nettest"
	"github.com/evmachine/evmachine/internal/reactortest"
	"github.com/evmachine/evmachine/reactor"
)

// Bounds: they turn a hang into a failure and never measure anything.
const (
	watchdog = 40 * time.Second // one test's reactor
	waitFor  = 20 * time.Second // one wait for a socket or a condition
)

// logBuf collects a reactor's log lines for assertions.
type logBuf struct{ nettest.Buffer }

// Logger returns a logger writing to l.
func (l *logBuf) Logger() *slog.Logger { return slog.New(slog.NewTextHandler(l, nil)) }

func (l *logBuf) Lines(substr string) int { return strings.Count(l.String(), substr) }

// rig is one reactor serving one proxy on a loopback port.
type rig struct {
	r    *reactor.Reactor
	addr string
	log  *logBuf
	mu   sync.Mutex
	cs   []*reactor.Conn // accepted clients, in order
}

// startRig runs a reactor logging to lg (and with opts), with a listener
// whose newHandler is newHandler; it records the accepted Conns. The
// watchdog fails the test and stops the reactor; Cleanup stops it and
// waits.
func startRig(t *testing.T, lg *logBuf, newHandler func(*reactor.Conn) reactor.Handler, opts ...reactor.Option) *rig {
	t.Helper()
	// Cleanups run last-in first-out: the log is dumped after the reactor
	// stopped, so it holds the reactor's last lines too.
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("proxy log:\n%s", lg)
		}
	})
	r := reactortest.Start(t, append([]reactor.Option{reactor.WithLogger(lg.Logger())}, opts...)...)
	rg := &rig{r: r, log: lg}
	dog := time.AfterFunc(watchdog, func() {
		t.Errorf("watchdog: %s still running after %v", t.Name(), watchdog)
		r.Stop()
	})
	t.Cleanup(func() { dog.Stop() })
	var (
		l   *reactor.Listener
		err error
	)
	rg.on(t, func() {
		l, err = r.Listen("tcp", "127.0.0.1:0", func(c *reactor.Conn) reactor.Handler {
			rg.mu.Lock()
			rg.cs = append(rg.cs, c)
			rg.mu.Unlock()
			return newHandler(c)
		}, reactor.WithNoDelay(true))
	})
	require.NoError(t, err)
	rg.addr = l.Addr().String()
	return rg
}

// on runs fn on the loop and waits for it.
func (rg *rig) on(t *testing.T, fn func()) {
	t.Helper()
	done := make(chan struct{})
	rg.r.NextTick(func() { defer close(done); fn() })
	select {
	case <-done:
	case <-time.After(waitFor):
		require.FailNow(t, "timed out waiting for the loop")
	}
}

// eventually polls cond (on the test goroutine) until it holds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for !cond() {
		if time.Now().After(deadline) {
			require.FailNow(t, "timed out waiting until "+what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// dial connects to the proxy.
func dial(t *testing.T, addr string) *net.TCPConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, waitFor)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	require.NoError(t, c.SetDeadline(time.Now().Add(waitFor)))
	return c.(*net.TCPConn)
}

// serve is nettest.Serve with each connection's deadline at the watchdog: a
// plain Go server on loopback, fn handling each connection on its own
// goroutine, the connection closed when fn returns.
func serve(t *testing.T, fn func(c *net.TCPConn)) string {
	t.Helper()
	return nettest.Serve(t, func(c *net.TCPConn) {
		c.SetDeadline(time.Now().Add(watchdog))
		fn(c)
	})
}

// echo copies a connection's input back, then shuts its write side.
func echo(c *net.TCPConn) {
	io.Copy(c, c)
	c.CloseWrite()
}

// readAll reads c to EOF (or until the deadline set by dial).
func readAll(c net.Conn) ([]byte, error) {
	b, err := io.ReadAll(c)
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return b, err
}

// modes runs a test with splice allowed and with it off.
func modes(t *testing.T, fn func(t *testing.T, noSplice bool)) {
	t.Run("splice", func(t *testing.T) { fn(t, false) })
	t.Run("copy", func(t *testing.T) { fn(t, true) })
}
