package reactor

import (
	"context"
	"errors"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/evmachine/evmachine/internal/nettest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// closeCase is one way a Conn can end. setup prepares the server side's
// probe; act runs on the test goroutine with the client socket and the
// server probe; check gets the Unbind reason and what the client read.
type closeCase struct {
	name  string
	setup func(t *testing.T, h *harness, p *probe)
	act   func(t *testing.T, h *harness, c net.Conn, p *probe)
	check func(t *testing.T, reason error, clientGot []byte, clientErr error)
	reset bool // the client reset its socket: do not read it
}

func wantReason(want error) func(*testing.T, error, []byte, error) {
	return func(t *testing.T, reason error, _ []byte, _ error) {
		if want == nil {
			assert.NoError(t, reason)
		} else {
			assert.ErrorIs(t, reason, want)
		}
	}
}

func write(t *testing.T, c net.Conn, s string) {
	t.Helper()
	_, err := c.Write([]byte(s))
	require.NoError(t, err)
}

var closeCases = []closeCase{
	{
		name: "local Close in ReceiveData",
		setup: func(t *testing.T, h *harness, p *probe) {
			p.OnData = func(c *Conn, _ []byte) { c.Write([]byte("dropped?")); c.Close() }
		},
		act:   func(t *testing.T, _ *harness, c net.Conn, _ *probe) { write(t, c, "x") },
		check: wantReason(nil),
	},
	{
		name: "CloseAfterWriting",
		setup: func(t *testing.T, h *harness, p *probe) {
			p.OnData = func(c *Conn, _ []byte) { c.Write([]byte("bye")); c.CloseAfterWriting() }
		},
		act: func(t *testing.T, _ *harness, c net.Conn, _ *probe) { write(t, c, "x") },
		check: func(t *testing.T, reason error, got []byte, err error) {
			assert.NoError(t, reason)
			assert.Equal(t, "bye", string(got))
			assert.NoError(t, err, "clean EOF after the data")
		},
	},
	{
		name:  "peer EOF",
		act:   func(t *testing.T, _ *harness, c net.Conn, _ *probe) { c.(*net.TCPConn).CloseWrite() },
		check: wantReason(io.EOF),
	},
	{
		name: "peer reset",
		act: func(t *testing.T, _ *harness, c net.Conn, _ *probe) {
			require.NoError(t, c.(*net.TCPConn).SetLinger(0))
			c.Close()
		},
		check: wantReason(syscall.ECONNRESET),
		reset: true,
	},
	{
		name: "Close in PostInit",
		setup: func(t *testing.T, h *harness, p *probe) {
			p.OnPostInit = func(c *Conn) { c.Close() }
		},
		check: wantReason(nil),
	},
	{
		name: "Close from a timer",
		setup: func(t *testing.T, h *harness, p *probe) {
			p.OnPostInit = func(c *Conn) { h.r.AddTimer(time.Millisecond, func() { c.Close() }) }
		},
		check: wantReason(nil),
	},
	{
		name: "Close from another connection's callback",
		act: func(t *testing.T, h *harness, _ net.Conn, p *probe) {
			other := h.newProbe()
			other.OnCompleted = func(c *Conn) { c.Write([]byte("kill")) }
			killer := h.newProbe()
			killer.OnData = func(c *Conn, _ []byte) {
				p.Conn().Close()
				c.Close()
				other.Conn().Close()
			}
			// killer is a second accepted conn of a second listener.
			var err error
			h.do(func() {
				var l *Listener
				l, err = h.r.Listen("tcp", "127.0.0.1:0", func(*Conn) Handler { return killer })
				if err == nil {
					_, err = h.r.Connect("tcp", l.Addr().String(), other)
				}
			})
			require.NoError(t, err)
			assert.NoError(t, killer.waitUnbind(t))
			assert.NoError(t, other.waitUnbind(t))
		},
		check: wantReason(nil),
	},
	{
		name: "Close inside its own Unbind and twice in a row",
		setup: func(t *testing.T, h *harness, p *probe) {
			p.OnData = func(c *Conn, _ []byte) {
				c.Close()
				c.Close()
				c.CloseAfterWriting()
			}
			p.OnUnbind = func(c *Conn, _ error) {
				assert.ErrorIs(t, c.Close(), ErrClosed, "Close in Unbind")
				assert.Equal(t, -1, c.Fd(), "the fd is closed before Unbind")
				assert.True(t, c.Closed())
			}
		},
		act:   func(t *testing.T, _ *harness, c net.Conn, _ *probe) { write(t, c, "x") },
		check: wantReason(nil),
	},
	{
		name: "write error after the peer reset",
		setup: func(t *testing.T, h *harness, p *probe) {
			p.OnData = func(c *Conn, _ []byte) {
				h.r.AddTimer(50*time.Millisecond, func() { c.Write(make([]byte, 1<<20)) })
			}
		},
		act: func(t *testing.T, _ *harness, c net.Conn, _ *probe) {
			write(t, c, "x")
			require.NoError(t, c.(*net.TCPConn).SetLinger(0))
			c.Close()
		},
		check: func(t *testing.T, reason error, _ []byte, _ error) {
			assert.True(t, errors.Is(reason, syscall.ECONNRESET) || errors.Is(reason, syscall.EPIPE), "reason %v", reason)
		},
		reset: true,
	},
	{
		name: "Shutdown",
		act: func(t *testing.T, h *harness, _ net.Conn, _ *probe) {
			go h.r.Shutdown(context.Background())
		},
		check: wantReason(nil),
	},
}

// TestUnbindOncePerClosePath: every way a Conn ends gives exactly one
// Unbind (the harness checks the count after Run returns) with the reason
// DESIGN.md lists.
func TestUnbindOncePerClosePath(t *testing.T) {
	for _, tc := range closeCases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			l, accepted := h.serve(func(p *probe) {
				if tc.setup != nil {
					tc.setup(t, h, p)
				}
			})
			c := dial(t, "tcp", l.Addr().String())
			p := h.accepted(accepted)
			if tc.act != nil {
				tc.act(t, h, c, p)
			}
			reason := p.waitUnbind(t)
			var got []byte
			var err error
			if !tc.reset {
				got, err = io.ReadAll(c)
			}
			tc.check(t, reason, got, err)
			assert.Equal(t, "unbind", p.Events()[len(p.Events())-1])
		})
	}
}

// TestUnbindOnStop: Stop closes every Conn, connected, connecting and
// resolving, with ErrStopped, exactly once each.
func TestUnbindOnStop(t *testing.T) {
	h := newHarness(t)
	l, accepted := h.serve(nil)
	c := dial(t, "tcp", l.Addr().String())
	server := h.accepted(accepted)
	connected, connecting := h.newProbe(), h.newProbe()
	target := nettest.StalledAddr(t)
	h.do(func() {
		_, err := h.r.Connect("tcp", l.Addr().String(), connected.handler())
		assert.NoError(t, err)
		_, err = h.r.Connect("tcp", target, connecting.handler())
		assert.NoError(t, err)
		server.Conn().Write(make([]byte, 8<<20)) // queued output, dropped by Stop
	})
	h.accepted(accepted)
	h.stop()
	for _, p := range []*probe{server, connected, connecting} {
		assert.ErrorIs(t, p.waitUnbind(t), ErrStopped)
	}
	assert.NotContains(t, connecting.Events(), "completed")
	got, _ := io.ReadAll(c) // what the kernel had taken, then EOF (or a reset)
	assert.Less(t, len(got), 8<<20, "Stop dropped the queued output")
}
