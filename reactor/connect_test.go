package reactor

import (
	"errors"
	"io"
	"net"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/evmachine/evmachine/internal/nettest"
	"github.com/evmachine/evmachine/timer"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// connect starts an outbound Conn on the loop and returns its probe.
func (h *harness) connect(network, addr string, p *probe, opts ...ConnOption) *Conn {
	h.t.Helper()
	var c *Conn
	var err error
	h.do(func() { c, err = h.r.Connect(network, addr, p.handler(), opts...) })
	require.NoError(h.t, err)
	require.NotNil(h.t, c)
	return c
}

// TestConnectWriteBeforeCompleted: PostInit runs inside Connect, data
// written before the connect completes is delivered, ConnectionCompleted
// runs once the connect is done, and the server echoes back.
func TestConnectWriteBeforeCompleted(t *testing.T) {
	h := newHarness(t)
	l, accepted := h.serve(echoSetup)
	for _, addr := range []string{l.Addr().String(), "localhost:" + strconv.Itoa(l.Addr().(*net.TCPAddr).Port)} {
		t.Run(addr, func(t *testing.T) {
			p := h.newProbe()
			var postInitSize int
			p.OnPostInit = func(c *Conn) {
				c.Write([]byte("early "))
				c.Write([]byte("bird"))
				postInitSize = c.OutboundSize()
			}
			p.OnCompleted = func(c *Conn) { c.Write([]byte("!")) }
			h.connect("tcp", addr, p)
			server := h.accepted(accepted)
			assert.Equal(t, "early bird!", string(p.waitGot(t, 11)))
			assert.Equal(t, "early bird!", string(server.Got()))
			h.do(func() {
				assert.Equal(t, 10, postInitSize, "queued while connecting")
				assert.NotNil(t, p.Conn().RemoteAddr())
				assert.Equal(t, l.Addr().String(), p.Conn().RemoteAddr().String())
				p.Conn().Close()
			})
			assert.NoError(t, p.waitUnbind(t))
			assert.Equal(t, []string{"post", "completed", "data", "unbind"}, p.Events())
			assert.ErrorIs(t, server.waitUnbind(t), io.EOF)
		})
	}
}

// TestConnectRefused: a refused connect is PostInit, then Unbind with an
// error for which errors.Is(err, syscall.ECONNREFUSED) holds, and never
// ConnectionCompleted.
func TestConnectRefused(t *testing.T) {
	h := newHarness(t)
	p := h.newProbe()
	h.connect("tcp", nettest.RefusedAddr(t), p)
	assert.ErrorIs(t, p.waitUnbind(t), syscall.ECONNREFUSED)
	assert.Equal(t, []string{"post", "unbind"}, p.Events())

	// A unix socket path with nobody listening fails at once, the same way.
	q := h.newProbe()
	h.connect("unix", filepath.Join(t.TempDir(), "nobody.sock"), q)
	assert.Error(t, q.waitUnbind(t))
	assert.Equal(t, []string{"post", "unbind"}, q.Events())
}

// TestConnectTimeout: a connect that hangs (a blackholed local port) closes
// with ErrConnectTimeout after the pending-connect timeout, read from the
// fake clock: the default 20 s, or WithPendingConnectTimeout.
func TestConnectTimeout(t *testing.T) {
	clk := timer.NewFakeClock(epoch)
	h := newHarness(t, WithClock(clk))
	target := nettest.StalledAddr(t)
	def, short := h.newProbe(), h.newProbe()
	h.connect("tcp", target, def)
	h.connect("tcp", target, short, WithPendingConnectTimeout(5*time.Second))

	h.advance(clk, 4*time.Second)
	assert.False(t, short.Unbound())
	h.advance(clk, 2*time.Second)
	assert.ErrorIs(t, short.waitUnbind(t), ErrConnectTimeout)
	assert.False(t, def.Unbound())
	h.advance(clk, 15*time.Second)
	assert.ErrorIs(t, def.waitUnbind(t), ErrConnectTimeout)
	for _, p := range []*probe{def, short} {
		assert.Equal(t, []string{"post", "unbind"}, p.Events())
	}
}

// advance moves the fake clock on the loop and returns after the next
// iteration's timer phase has run.
func (h *harness) advance(clk *timer.FakeClock, d time.Duration) {
	h.t.Helper()
	h.do(func() { clk.Advance(d) })
	h.do(func() {})
}

// TestConnectImmediateErrors: what is wrong at once is returned by Connect,
// with no Conn and no callbacks.
func TestConnectImmediateErrors(t *testing.T) {
	h := newHarness(t)
	p := looseProbe() // never bound: not in the harness's exactly-once check
	cases := []struct{ network, addr string }{
		{"udp", "127.0.0.1:1"},
		{"tcp", "127.0.0.1"},
		{"tcp", "127.0.0.1:99999"},
		{"tcp", "127.0.0.1:notaport"},
		{"tcp4", "[::1]:80"},
		{"tcp6", "127.0.0.1:80"},
	}
	h.do(func() {
		for _, tc := range cases {
			c, err := h.r.Connect(tc.network, tc.addr, p)
			assert.Error(t, err, "%s %s", tc.network, tc.addr)
			assert.Nil(t, c)
		}
		_, err := h.r.Connect("udp", "127.0.0.1:1", p)
		assert.ErrorIs(t, err, ErrUnsupportedNetwork)
		_, err = h.r.Connect("tcp", "127.0.0.1:1", nil)
		assert.Error(t, err)
		assert.Zero(t, h.r.ConnectionCount())
	})
	assert.Empty(t, p.Events())
}

// TestConnectHostNotFound: a failed lookup is Unbind after PostInit; the
// loop keeps running meanwhile. The reason is the resolver's error, or the
// pending-connect timeout when the resolver is slower than that.
func TestConnectHostNotFound(t *testing.T) {
	h := newHarness(t)
	p := h.newProbe()
	h.connect("tcp", "no-such-host.invalid:80", p, WithPendingConnectTimeout(3*time.Second))
	reason := p.waitUnbind(t)
	var dnsErr *net.DNSError
	assert.True(t, errors.As(reason, &dnsErr) || errors.Is(reason, ErrConnectTimeout), "reason %v", reason)
	assert.Equal(t, []string{"post", "unbind"}, p.Events())
}

// TestConnectUnix connects to a unix socket listener of the same reactor.
func TestConnectUnix(t *testing.T) {
	h := newHarness(t)
	path := filepath.Join(t.TempDir(), "echo.sock")
	h.listen("unix", path, func(*Conn) Handler {
		p := h.newProbe()
		echoSetup(p)
		return p
	})
	p := h.newProbe()
	p.OnPostInit = func(c *Conn) { c.Write([]byte("over unix")) }
	h.connect("unix", path, p)
	assert.Equal(t, "over unix", string(p.waitGot(t, 9)))
	h.do(func() { p.Conn().CloseAfterWriting() })
	assert.NoError(t, p.waitUnbind(t))
	assert.Equal(t, []string{"post", "completed", "data", "unbind"}, p.Events())
}
