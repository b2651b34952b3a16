package reactor

import (
	"bytes"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Bounds of the proxy tests: they turn a hang into a failure and never
// measure anything.
const (
	pxWatchdog = 20 * time.Second // one test's reactor, then the test fails
	pxWait     = 10 * time.Second // one wait for a callback or a socket
)

// pxLoop runs a reactor for one test. The watchdog stops it (failing the
// test) if the test is still running after pxWatchdog; t.Cleanup stops it
// and waits for Run.
func pxLoop(t *testing.T, opts ...Option) *Reactor {
	t.Helper()
	r, err := New(opts...)
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- r.Run() }()
	dog := time.AfterFunc(pxWatchdog, func() {
		t.Errorf("watchdog: %s still running after %v", t.Name(), pxWatchdog)
		r.Stop()
	})
	t.Cleanup(func() {
		dog.Stop()
		r.Stop()
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(pxWait):
			t.Error("reactor did not stop")
		}
	})
	return r
}

// pxOn runs fn on the loop and waits for it.
func pxOn(t *testing.T, r *Reactor, fn func()) {
	t.Helper()
	done := make(chan struct{})
	r.NextTick(func() { defer close(done); fn() })
	pxRecv(t, done, "loop call")
}

// pxRecv waits for one value from ch, or fails the test.
func pxRecv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(pxWait):
		require.FailNow(t, "timed out waiting for "+what)
	}
	var zero T
	return zero
}

// pxEventually polls cond on the loop until it holds.
func pxEventually(t *testing.T, r *Reactor, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(pxWait)
	for {
		var ok bool
		pxOn(t, r, func() { ok = cond() })
		if ok {
			return
		}
		if time.Now().After(deadline) {
			require.FailNow(t, "timed out waiting until "+what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// pxHandler records a Conn's callbacks; the test goroutine reads it under mu.
type pxHandler struct {
	BaseHandler
	mu        sync.Mutex
	got       bytes.Buffer
	connected chan struct{}
	unbound   chan error
	halfClose chan struct{}
	stopped   chan error
}

func newPxHandler() *pxHandler {
	return &pxHandler{
		connected: make(chan struct{}, 1),
		unbound:   make(chan error, 1),
		halfClose: make(chan struct{}, 1),
		stopped:   make(chan error, 4),
	}
}

func (h *pxHandler) ConnectionCompleted(*Conn) { h.connected <- struct{}{} }
func (h *pxHandler) Unbind(_ *Conn, err error) { h.unbound <- err }

func (h *pxHandler) ReceiveData(_ *Conn, p []byte) {
	h.mu.Lock()
	h.got.Write(p)
	h.mu.Unlock()
}

func (h *pxHandler) Got() []byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	return bytes.Clone(h.got.Bytes())
}

func (h *pxHandler) GotLen() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.got.Len()
}

// onStop is a WithProxyStopped callback feeding h.stopped.
func (h *pxHandler) onStop(_ *Conn, reason error) { h.stopped <- reason }

// pxHalfHandler is a pxHandler that keeps the Conn open after a FIN.
type pxHalfHandler struct{ *pxHandler }

func (h pxHalfHandler) PeerClosedWrite(*Conn) { h.halfClose <- struct{}{} }

// pxRig is one proxied path: client (a plain socket) -> src (accepted by
// the reactor) -> dst (connected by the reactor) -> peer (a plain socket).
type pxRig struct {
	r            *Reactor
	client, peer *net.TCPConn
	src, dst     *Conn
	srcH, dstH   *pxHandler
}

// newPxRig builds the rig; half chooses HalfCloser handlers.
func newPxRig(t *testing.T, r *Reactor, half bool) *pxRig {
	t.Helper()
	rig := &pxRig{r: r, srcH: newPxHandler(), dstH: newPxHandler()}
	wrap := func(h *pxHandler) Handler {
		if half {
			return pxHalfHandler{h}
		}
		return h
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	accepted := make(chan *Conn, 1)
	var front *Listener
	pxOn(t, r, func() {
		front, err = r.Listen("tcp", "127.0.0.1:0", func(c *Conn) Handler { accepted <- c; return wrap(rig.srcH) })
		if err == nil {
			rig.dst, err = r.Connect("tcp", ln.Addr().String(), wrap(rig.dstH))
		}
	})
	require.NoError(t, err)
	c, err := net.Dial("tcp", front.Addr().String())
	require.NoError(t, err)
	rig.client = c.(*net.TCPConn)
	t.Cleanup(func() { rig.client.Close() })
	rig.src = pxRecv(t, accepted, "accept")
	require.NoError(t, ln.(*net.TCPListener).SetDeadline(time.Now().Add(pxWait)))
	p, err := ln.Accept()
	require.NoError(t, err)
	rig.peer = p.(*net.TCPConn)
	t.Cleanup(func() { rig.peer.Close() })
	pxRecv(t, rig.dstH.connected, "connect")
	return rig
}

// pxProxying runs a reactor with a rig whose source proxies to its target.
func pxProxying(t *testing.T, splice bool) (*Reactor, *pxRig) {
	t.Helper()
	r := pxLoop(t)
	rig := newPxRig(t, r, false)
	var err error
	pxOn(t, r, func() { err = rig.src.ProxyTo(rig.dst, WithProxySplice(splice)) })
	require.NoError(t, err)
	return r, rig
}

// pxWrite writes p to c on a goroutine; the returned channel reports the
// result.
func pxWrite(c net.Conn, p []byte) <-chan error {
	ch := make(chan error, 1)
	go func() {
		c.SetWriteDeadline(time.Now().Add(pxWatchdog))
		_, err := c.Write(p)
		ch <- err
	}()
	return ch
}

// pxReadN reads exactly n bytes from c within the wait bound.
func pxReadN(t *testing.T, c net.Conn, n int) []byte {
	t.Helper()
	require.NoError(t, c.SetReadDeadline(time.Now().Add(pxWait)))
	b := make([]byte, n)
	_, err := io.ReadFull(c, b)
	require.NoError(t, err)
	return b
}

// pxPipesInUse returns how many pipes hold bytes or are lent out.
func pxPipesInUse(r *Reactor) int {
	if r.pipes == nil {
		return 0
	}
	return r.pipes.inUse
}
