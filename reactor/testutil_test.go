package reactor

import (
	"fmt"
	"log/slog"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evmachine/evmachine/internal/nettest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Bounds of the test harness. They are generous: they only turn a hang into
// a failure, they never measure anything.
const (
	watchdogTimeout = 30 * time.Second // the whole test, then the process panics with every stack
	waitTimeout     = 15 * time.Second // one wait for a callback or a client read
)

func TestMain(m *testing.M) {
	if child := os.Getenv(childEnv); child != "" {
		os.Exit(runChild(child))
	}
	// Warm up the Go runtime's own netpoller so that its epoll fd and
	// eventfd exist before any test takes its fd baseline.
	if l, err := net.Listen("tcp", "127.0.0.1:0"); err == nil {
		if c, err := net.Dial("tcp", l.Addr().String()); err == nil {
			c.Close()
		}
		l.Close()
	}
	os.Exit(m.Run())
}

// harness runs one reactor on its own goroutine for one test, with a
// watchdog, and checks in t.Cleanup that Run returned nil, that every probe
// saw exactly one Unbind and that no connection, listener, timer or fd is
// left behind.
type harness struct {
	t      *testing.T
	r      *Reactor
	logs   *nettest.Buffer
	done   chan error
	fds    map[int]string
	mu     sync.Mutex
	probes []*probe
}

func newHarness(t *testing.T, opts ...Option) *harness {
	t.Helper()
	h := &harness{t: t, logs: &nettest.Buffer{}, done: make(chan error, 1), fds: openFds()}
	logger := slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	r, err := New(append([]Option{WithLogger(logger)}, opts...)...)
	require.NoError(t, err)
	h.r = r
	dog := time.AfterFunc(watchdogTimeout, func() {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		panic(fmt.Sprintf("watchdog: %s still running after %v\nreactor log:\n%s\n%s", t.Name(), watchdogTimeout, h.logs, buf))
	})
	go func() { h.done <- r.Run() }()
	t.Cleanup(func() {
		defer dog.Stop()
		h.stop()
		h.checkClean()
		if t.Failed() {
			t.Logf("reactor log:\n%s", h.logs)
		}
	})
	return h
}

// stop stops the reactor and waits for Run to return.
func (h *harness) stop() {
	h.t.Helper()
	h.r.Stop()
	select {
	case err := <-h.done:
		assert.NoError(h.t, err, "Run")
		h.done <- err // later stops return at once
	case <-time.After(waitTimeout):
		h.t.Fatalf("Run did not return within %v of Stop", waitTimeout)
	}
	assert.False(h.t, h.r.Running())
}

// checkClean runs after Run returned: everything the reactor owned is gone.
func (h *harness) checkClean() {
	t, r := h.t, h.r
	assert.Zero(t, r.nconns, "connections left")
	for fd, o := range r.fds.owners {
		assert.Nil(t, o, "fd %d still owned (conn, listener or lingering fd)", fd)
	}
	assert.Empty(t, r.resolving, "resolving conns left")
	assert.Empty(t, r.closing, "unswept conns left")
	assert.Zero(t, r.lingering, "lingering fds left")
	assert.Zero(t, r.timers.Len(), "timers left")
	h.mu.Lock()
	for i, p := range h.probes {
		assert.Equal(t, 1, p.Unbinds(), "probe %d: Unbind calls", i)
	}
	h.mu.Unlock()
	// Our fds are closed synchronously, but a client socket the test
	// closes in another goroutine may lag: poll briefly.
	var leaked []string
	deadline := time.Now().Add(2 * time.Second)
	for {
		leaked = leaked[:0]
		for fd, what := range openFds() {
			if _, ok := h.fds[fd]; !ok && isKernelObject(what) {
				leaked = append(leaked, fmt.Sprintf("%d -> %s", fd, what))
			}
		}
		if len(leaked) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	assert.Empty(t, leaked, "fds left open")
}

func isKernelObject(target string) bool {
	return strings.HasPrefix(target, "socket:") || strings.HasPrefix(target, "anon_inode:") || strings.HasPrefix(target, "pipe:")
}

// openFds maps this process's open fds to what they point at.
func openFds() map[int]string {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return nil
	}
	m := make(map[int]string, len(ents))
	for _, e := range ents {
		var fd int
		if _, err := fmt.Sscan(e.Name(), &fd); err != nil {
			continue
		}
		target, _ := os.Readlink("/proc/self/fd/" + e.Name())
		m[fd] = target
	}
	return m
}

// do runs fn on the reactor goroutine and waits for it to return.
func (h *harness) do(fn func()) {
	h.t.Helper()
	done := make(chan struct{})
	h.r.NextTick(func() {
		defer close(done)
		fn()
	})
	select {
	case <-done:
	case <-time.After(waitTimeout):
		h.t.Fatalf("a tick did not run within %v", waitTimeout)
	}
}

// listen starts a listener on the loop whose Conns get handlers from
// newHandler (a fresh probe each when nil).
func (h *harness) listen(network, addr string, newHandler func(*Conn) Handler, opts ...ConnOption) *Listener {
	h.t.Helper()
	var l *Listener
	var err error
	h.do(func() { l, err = h.r.Listen(network, addr, newHandler, opts...) })
	require.NoError(h.t, err)
	return l
}

// serve starts a TCP listener on 127.0.0.1:0; each accepted Conn gets a
// probe set up by setup (which may be nil), sent on the returned channel
// once its PostInit has run.
func (h *harness) serve(setup func(p *probe), opts ...ConnOption) (*Listener, chan *probe) {
	h.t.Helper()
	accepted := make(chan *probe, 1024)
	l := h.listen("tcp", "127.0.0.1:0", func(c *Conn) Handler {
		p := h.newProbe()
		if setup != nil {
			setup(p)
		}
		p.announce = accepted
		return p.handler()
	}, opts...)
	return l, accepted
}

// accepted waits for the next accepted probe.
func (h *harness) accepted(ch chan *probe) *probe {
	h.t.Helper()
	select {
	case p := <-ch:
		return p
	case <-time.After(waitTimeout):
		h.t.Fatalf("no connection accepted within %v", waitTimeout)
		return nil
	}
}

// iterations returns how many loop iterations have completed so far.
func (h *harness) iterations() uint64 {
	var n uint64
	h.do(func() { n = h.r.iter })
	return n
}

// assertNoSpin checks that an idle loop sleeps: over a quiet 300 ms it may
// run a few iterations (our own ticks), never hundreds.
func (h *harness) assertNoSpin(msg string) {
	h.t.Helper()
	before := h.iterations()
	time.Sleep(300 * time.Millisecond)
	after := h.iterations()
	assert.Less(h.t, after-before, uint64(50), "loop iterations in 300 ms of quiet: %s", msg)
}

// dial opens a client socket to addr with a deadline, closed at cleanup.
func dial(t *testing.T, network, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout(network, addr, waitTimeout)
	require.NoError(t, err)
	require.NoError(t, c.SetDeadline(time.Now().Add(waitTimeout)))
	t.Cleanup(func() { c.Close() })
	return c
}

// waitClosed waits until ch is closed.
func waitClosed(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(waitTimeout):
		t.Fatalf("timed out waiting for %s", what)
	}
}

// pattern returns n bytes of a repeating sequence that reveals loss,
// duplication and reordering.
func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7+i/251) + seed
	}
	return b
}
