package reactor

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/evmachine/evmachine/internal/nettest"
	"github.com/evmachine/evmachine/timer"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fixedResolver answers every lookup with the same addresses.
type fixedResolver []netip.Addr

func (f fixedResolver) LookupNetIP(context.Context, string, string) ([]netip.Addr, error) {
	return f, nil
}

// listenOn listens on ip:port (a loopback address other than 127.0.0.1
// shares the port number of a listener there) and accepts in the
// background; it returns the listener's address.
func listenOn(t *testing.T, ip string, port int) string {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, itoa(port)))
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	return ln.Addr().String()
}

func itoa(n int) string { return strconv.Itoa(n) }

// completed makes p report its ConnectionCompleted on the returned channel.
func completed(p *probe) chan struct{} {
	ch := make(chan struct{})
	p.OnCompleted = func(*Conn) { close(ch) }
	return ch
}

func addrPort(t *testing.T, addr string) int {
	ap, err := netip.ParseAddrPort(addr)
	require.NoError(t, err)
	return int(ap.Port())
}

// TestDialFallsBackOverAddresses: a name whose first address refuses and
// whose second listens connects to the second (RFC 8305: a failed attempt
// starts the next at once); a name whose first address hangs connects to
// the second after the attempt delay, long before the connect timeout; a
// name whose every address refuses fails with the last one's error, a
// *net.OpError carrying that address.
func TestDialFallsBackOverAddresses(t *testing.T) {
	h := newHarness(t)
	stalled := nettest.StalledAddr(t) // 127.0.0.1:P, connects hang
	port := addrPort(t, stalled)
	live := listenOn(t, "127.0.0.2", port)
	refused1 := netip.MustParseAddr("127.0.0.3")
	refused2 := netip.MustParseAddr("127.0.0.4")
	name := "service.test:" + itoa(port)

	t.Run("refused then listening", func(t *testing.T) {
		p := h.newProbe()
		done := completed(p)
		h.connect("tcp", name, p, WithResolver(fixedResolver{refused1, netip.MustParseAddr("127.0.0.2")}))
		waitClosed(t, done, "connect")
		h.do(func() { assert.Equal(t, live, p.Conn().RemoteAddr().String()) })
		h.do(func() { p.Conn().Close() })
		p.waitUnbind(t)
	})

	t.Run("hanging then listening", func(t *testing.T) {
		p := h.newProbe()
		done := completed(p)
		start := time.Now()
		h.connect("tcp", name, p, WithResolver(fixedResolver{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("127.0.0.2")}))
		waitClosed(t, done, "connect")
		assert.Less(t, time.Since(start), 10*time.Second, "the second address does not wait for the first's timeout (20 s)")
		h.do(func() { assert.Equal(t, live, p.Conn().RemoteAddr().String()) })
		h.do(func() { p.Conn().Close() })
		p.waitUnbind(t)
	})

	t.Run("all refused", func(t *testing.T) {
		p := h.newProbe()
		h.connect("tcp", name, p, WithResolver(fixedResolver{refused1, refused2}))
		err := p.waitUnbind(t)
		assert.ErrorIs(t, err, syscall.ECONNREFUSED)
		var op *net.OpError
		require.ErrorAs(t, err, &op)
		assert.Equal(t, "dial", op.Op)
		assert.Equal(t, net.JoinHostPort("127.0.0.4", itoa(port)), op.Addr.String(), "the last address's error")
		assert.Equal(t, []string{"post", "unbind"}, p.Events())
	})

	t.Run("closed while racing", func(t *testing.T) {
		p := h.newProbe()
		h.connect("tcp", name, p, WithResolver(fixedResolver{netip.MustParseAddr("127.0.0.1")}))
		time.Sleep(50 * time.Millisecond) // let the lookup come back; a bound, not a measurement
		h.do(func() { p.Conn().Close() })
		assert.ErrorIs(t, p.waitUnbind(t), nil)
	})
}

// TestInterleave: the families alternate, starting with the resolver's
// first choice (RFC 8305 section 4).
func TestInterleave(t *testing.T) {
	a := netip.MustParseAddr
	v6a, v6b, v4a, v4b, v4c := a("::1"), a("fe80::1"), a("127.0.0.1"), a("127.0.0.2"), a("127.0.0.3")
	assert.Equal(t, []netip.Addr{v6a, v4a, v6b, v4b, v4c}, interleave([]netip.Addr{v6a, v6b, v4a, v4b, v4c}))
	assert.Equal(t, []netip.Addr{v4a, v6a, v4b, v6b}, interleave([]netip.Addr{v4a, v4b, v6a, v6b}))
	assert.Equal(t, []netip.Addr{v4a}, interleave([]netip.Addr{v4a}))
}

// TestErrorsShapedLikeNet: a connect timeout is a *net.OpError whose
// Timeout is true (os.IsTimeout holds) and which matches
// ErrConnectTimeout, os.ErrDeadlineExceeded and syscall.ETIMEDOUT; a
// refused connect is a *net.OpError with the address, and RemoteAddr
// names it too; the inactivity and TLS handshake timeouts are timeouts
// the same way.
func TestErrorsShapedLikeNet(t *testing.T) {
	clk := timer.NewFakeClock(epoch)
	h := newHarness(t, WithClock(clk))
	p := h.newProbe()
	target := nettest.StalledAddr(t)
	h.connect("tcp", target, p, WithPendingConnectTimeout(time.Second))
	h.advance(clk, 2*time.Second)
	err := p.waitUnbind(t)
	assert.True(t, os.IsTimeout(err), "os.IsTimeout(%v)", err)
	var ne net.Error
	require.ErrorAs(t, err, &ne)
	assert.True(t, ne.Timeout())
	for _, target := range []error{ErrConnectTimeout, os.ErrDeadlineExceeded, syscall.ETIMEDOUT} {
		assert.ErrorIs(t, err, target)
	}
	var op *net.OpError
	require.ErrorAs(t, err, &op)
	assert.Equal(t, target, op.Addr.String())

	q := h.newProbe()
	refused := nettest.RefusedAddr(t)
	h.connect("tcp", refused, q)
	err = q.waitUnbind(t)
	require.ErrorAs(t, err, &op)
	assert.Equal(t, "dial", op.Op)
	assert.Equal(t, refused, op.Addr.String())
	assert.ErrorIs(t, err, syscall.ECONNREFUSED)
	assert.False(t, os.IsTimeout(err))
	h.do(func() { assert.Equal(t, refused, q.Conn().RemoteAddr().String()) })

	for _, e := range []error{ErrInactivityTimeout, ErrTLSHandshakeTimeout} {
		assert.True(t, os.IsTimeout(e), "%v", e)
		assert.ErrorIs(t, e, os.ErrDeadlineExceeded)
		assert.ErrorIs(t, e, syscall.ETIMEDOUT)
		assert.False(t, errors.Is(e, ErrConnectTimeout))
	}
}
