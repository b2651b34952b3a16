package proxy_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evmachine/evmachine/reactor"
)

// Bounds: they turn a hang into a failure and never measure anything.
const (
	watchdog = 40 * time.Second // one test's reactor
	waitFor  = 20 * time.Second // one wait for a socket or a condition
)

// logBuf collects a reactor's log lines for assertions.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// Logger returns a logger writing to l.
func (l *logBuf) Logger() *slog.Logger { return slog.New(slog.NewTextHandler(l, nil)) }

func (l *logBuf) Lines(substr string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Count(l.b.String(), substr)
}

// rig is one reactor serving one proxy on a loopback port.
type rig struct {
	r    *reactor.Reactor
	addr string
	log  *logBuf
	mu   sync.Mutex
	cs   []*reactor.Conn // accepted clients, in order
}

// startRig runs a reactor logging to lg, with a listener whose newHandler
// is newHandler; it records the accepted Conns. The watchdog fails the test
// and stops the reactor; Cleanup stops it and waits.
func startRig(t *testing.T, lg *logBuf, newHandler func(*reactor.Conn) reactor.Handler) *rig {
	t.Helper()
	r, err := reactor.New(reactor.WithLogger(lg.Logger()))
	require.NoError(t, err)
	rg := &rig{r: r, log: lg}
	done := make(chan error, 1)
	go func() { done <- r.Run() }()
	dog := time.AfterFunc(watchdog, func() {
		t.Errorf("watchdog: %s still running after %v", t.Name(), watchdog)
		r.Stop()
	})
	t.Cleanup(func() {
		dog.Stop()
		r.Stop()
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(waitFor):
			t.Error("reactor did not stop")
		}
		if t.Failed() {
			t.Logf("proxy log:\n%s", lg.b.String())
		}
	})
	var l *reactor.Listener
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

// serve runs a plain Go server on loopback: fn handles each connection on
// its own goroutine and the connection is closed when fn returns.
func serve(t *testing.T, fn func(c *net.TCPConn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(watchdog))
				fn(c.(*net.TCPConn))
			})
		}
	})
	return ln.Addr().String()
}

// echo copies a connection's input back, then shuts its write side.
func echo(c *net.TCPConn) {
	io.Copy(c, c)
	c.CloseWrite()
}

// refusingAddr returns a loopback address nobody listens on.
func refusingAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// block is the random block pattern tiles; its odd length keeps tiles from
// lining up with buffer and pipe sizes.
var block = sync.OnceValue(func() []byte {
	b := make([]byte, 1<<20+13)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i+8 <= len(b); i += 8 {
		binary.LittleEndian.PutUint64(b[i:], rng.Uint64())
	}
	return b
})

// pattern returns n pseudo-random bytes, different for each seed.
func pattern(n int, seed int) []byte {
	blk := block()
	b := make([]byte, n)
	off := (seed * 7919) % len(blk)
	for i := 0; i < n; {
		i += copy(b[i:], blk[off:])
		off = 0
	}
	return b
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

// blackhole returns a loopback address whose listener never accepts and
// whose accept queue is full, so that connects to it hang (the kernel
// drops their SYNs): a backend that is down without refusing.
func blackhole(t *testing.T) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	require.NoError(t, err)
	t.Cleanup(func() { syscall.Close(fd) })
	require.NoError(t, syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}))
	require.NoError(t, syscall.Listen(fd, 0))
	sa, err := syscall.Getsockname(fd)
	require.NoError(t, err)
	addr := fmt.Sprintf("127.0.0.1:%d", sa.(*syscall.SockaddrInet4).Port)
	for range 4 { // fill the accept queue; later SYNs are dropped
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			t.Cleanup(func() { c.Close() })
		}
	}
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err == nil {
		c.Close()
		t.Skip("the kernel accepted past a full backlog; no blackhole here")
	}
	return addr
}
