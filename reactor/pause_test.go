package reactor

import (
	"bytes"
	"errors"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPauseResumeLosesNothing: the peer sends while the Conn is paused;
// nothing is read meanwhile, and after Resume every byte arrives in order.
func TestPauseResumeLosesNothing(t *testing.T) {
	h := newHarness(t)
	l, accepted := h.serve(func(p *probe) {
		p.OnPostInit = func(c *Conn) { c.Pause() }
	})
	c := dial(t, "tcp", l.Addr().String())
	p := h.accepted(accepted)
	first := pattern(128<<10, 1)
	_, err := c.Write(first) // fits the kernel buffers: returns while paused
	require.NoError(t, err)
	h.assertNoSpin("paused Conn with unread data")
	var paused bool
	h.do(func() { paused = p.Conn().Paused() })
	assert.True(t, paused)
	assert.Empty(t, p.Got(), "nothing read while paused")

	h.do(func() { p.Conn().Resume() })
	rest := pattern(4<<20, 2)
	go c.Write(rest)
	all := append(append([]byte(nil), first...), rest...)
	got := p.waitGot(t, len(all))
	assert.True(t, bytes.Equal(all, got), "every byte, in order")
}

// TestPauseResumeCycles pauses after every chunk and resumes from a timer;
// a 4 MiB stream still arrives whole and in order.
func TestPauseResumeCycles(t *testing.T) {
	h := newHarness(t)
	cycles := 0
	l, accepted := h.serve(func(p *probe) {
		p.OnData = func(c *Conn, _ []byte) {
			c.Pause()
			cycles++
			h.r.AddTimer(0, c.Resume)
		}
	})
	c := dial(t, "tcp", l.Addr().String())
	p := h.accepted(accepted)
	msg := pattern(4<<20, 3)
	go c.Write(msg)
	got := p.waitGot(t, len(msg))
	assert.True(t, bytes.Equal(msg, got), "every byte, in order")
	h.do(func() { assert.Greater(t, cycles, 10) })
}

// TestPausedPeerFIN: a paused Conn whose peer sent data and FIN does not
// spin; after Resume it gets the data, then Unbind io.EOF.
func TestPausedPeerFIN(t *testing.T) {
	h := newHarness(t)
	l, accepted := h.serve(func(p *probe) {
		p.OnPostInit = func(c *Conn) { c.Pause() }
	})
	c := dial(t, "tcp", l.Addr().String())
	p := h.accepted(accepted)
	write(t, c, "last words")
	require.NoError(t, c.Close())
	h.assertNoSpin("paused Conn after the peer's FIN")
	assert.False(t, p.Unbound())
	h.do(func() { p.Conn().Resume() })
	assert.ErrorIs(t, p.waitUnbind(t), io.EOF)
	assert.Equal(t, "last words", string(p.Got()))
}

// TestPausedPeerReset: a paused Conn whose peer resets is closed at once
// (the reset is an error, not data to wait for) and does not spin.
func TestPausedPeerReset(t *testing.T) {
	h := newHarness(t)
	l, accepted := h.serve(func(p *probe) {
		p.OnPostInit = func(c *Conn) { c.Pause() }
	})
	c := dial(t, "tcp", l.Addr().String())
	p := h.accepted(accepted)
	require.NoError(t, c.(*net.TCPConn).SetLinger(0))
	require.NoError(t, c.Close())
	select {
	case <-p.unbound:
	case <-time.After(waitTimeout):
		t.Fatal("a paused Conn did not notice the reset")
	}
	reason := p.waitUnbind(t)
	assert.True(t, errors.Is(reason, syscall.ECONNRESET), "reason %v", reason)
}
