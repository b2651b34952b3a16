package reactor

import (
	"bytes"
	"io"
	"testing"
	"time"

	"github.com/evmachine/evmachine/timer"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLingerSwallowsLateInput: a client that keeps sending while the server
// closes after writing 16 MiB still gets every byte and a clean EOF (no
// reset dropping the tail), and the lingering socket goes away once the
// client closes.
func TestLingerSwallowsLateInput(t *testing.T) {
	h := newHarness(t)
	answer := pattern(16<<20, 6)
	l, accepted := h.serve(func(p *probe) {
		p.OnPostInit = func(c *Conn) {
			c.Write(answer)
			c.CloseAfterWriting()
		}
	})
	c := dial(t, "tcp", l.Addr().String())
	p := h.accepted(accepted)
	stop := make(chan struct{})
	sent := make(chan struct{})
	go func() { // chatters until told to stop or the socket fails
		defer close(sent)
		chunk := make([]byte, 512)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := c.Write(chunk); err != nil {
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	got, err := io.ReadAll(c)
	close(stop)
	<-sent
	require.NoError(t, err, "EOF, not a reset")
	assert.True(t, bytes.Equal(answer, got), "all 16 MiB (%d bytes)", len(got))
	assert.NoError(t, p.waitUnbind(t), "Unbind does not wait for the linger")

	c.Close()
	assert.Eventually(t, func() bool {
		n := -1
		h.do(func() { n = h.r.lingering })
		return n == 0
	}, waitTimeout, 5*time.Millisecond, "the lingering socket closes when the peer does")
}

// TestLingerTimeout: a peer that never closes is given lingerTimeout (on
// the reactor's clock), then its socket is closed anyway.
func TestLingerTimeout(t *testing.T) {
	clk := timer.NewFakeClock(epoch)
	h := newHarness(t, WithClock(clk))
	l, accepted := h.serve(func(p *probe) {
		p.OnPostInit = func(c *Conn) { c.CloseAfterWriting() }
	})
	c := dial(t, "tcp", l.Addr().String())
	p := h.accepted(accepted)
	n, err := c.Read(make([]byte, 1))
	assert.Zero(t, n)
	assert.ErrorIs(t, err, io.EOF, "the write side is shut at once")
	assert.NoError(t, p.waitUnbind(t))
	lingering := func() (n int) {
		h.do(func() { n = h.r.lingering })
		return n
	}
	assert.Equal(t, 1, lingering())
	h.advance(clk, lingerTimeout-time.Millisecond)
	assert.Equal(t, 1, lingering())
	h.advance(clk, time.Millisecond)
	assert.Zero(t, lingering())
}
