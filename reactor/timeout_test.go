package reactor

import (
	"io"
	"testing"
	"time"

	"github.com/evmachine/evmachine/timer"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestInactivityTimeout: traffic in either direction postpones the
// inactivity timeout; silence for the whole period closes the Conn with
// ErrInactivityTimeout. Time comes from the fake clock.
func TestInactivityTimeout(t *testing.T) {
	clk := timer.NewFakeClock(epoch)
	h := newHarness(t, WithClock(clk))
	l, accepted := h.serve(nil, WithInactivityTimeout(10*time.Second))
	c := dial(t, "tcp", l.Addr().String())
	p := h.accepted(accepted)

	h.advance(clk, 6*time.Second) // t=6
	require.False(t, p.Unbound())
	write(t, c, "in") // inbound traffic at t=6
	p.waitGot(t, 2)
	h.advance(clk, 6*time.Second) // t=12: 6 s after the last traffic
	require.False(t, p.Unbound(), "inbound traffic postponed the timeout")
	h.do(func() { p.Conn().Write([]byte("out")) }) // outbound traffic at t=12
	h.advance(clk, 6*time.Second)                  // t=18
	require.False(t, p.Unbound(), "outbound traffic postponed the timeout")
	h.advance(clk, 5*time.Second) // t=23: 11 s of silence
	assert.ErrorIs(t, p.waitUnbind(t), ErrInactivityTimeout)

	got, err := io.ReadAll(c)
	assert.NoError(t, err)
	assert.Equal(t, "out", string(got))
}

// TestSetInactivityTimeout: the per-Conn setter arms, re-arms and (with 0)
// disables the timeout; InactivityTimeout reports it.
func TestSetInactivityTimeout(t *testing.T) {
	clk := timer.NewFakeClock(epoch)
	h := newHarness(t, WithClock(clk))
	l, accepted := h.serve(nil)
	dial(t, "tcp", l.Addr().String())
	p := h.accepted(accepted)
	var got time.Duration
	h.do(func() {
		p.Conn().SetInactivityTimeout(time.Minute)
		got = p.Conn().InactivityTimeout()
	})
	assert.Equal(t, time.Minute, got)
	h.advance(clk, 30*time.Second)
	h.do(func() { p.Conn().SetInactivityTimeout(0) })
	h.advance(clk, time.Hour)
	assert.False(t, p.Unbound(), "0 disables the timeout")
	h.do(func() { p.Conn().SetInactivityTimeout(time.Second) })
	h.advance(clk, 2*time.Second)
	assert.ErrorIs(t, p.waitUnbind(t), ErrInactivityTimeout)
}

// TestInactivityTimeoutOutbound: on a connecting Conn the inactivity
// timeout starts when the connect completes, not before.
func TestInactivityTimeoutOutbound(t *testing.T) {
	clk := timer.NewFakeClock(epoch)
	h := newHarness(t, WithClock(clk))
	l, accepted := h.serve(nil)
	p := h.newProbe()
	done := make(chan struct{})
	p.OnCompleted = func(*Conn) { close(done) }
	h.connect("tcp", l.Addr().String(), p, WithInactivityTimeout(5*time.Second))
	server := h.accepted(accepted)
	waitClosed(t, done, "ConnectionCompleted")
	h.advance(clk, 4*time.Second)
	assert.False(t, p.Unbound())
	h.advance(clk, 2*time.Second)
	assert.ErrorIs(t, p.waitUnbind(t), ErrInactivityTimeout)
	assert.ErrorIs(t, server.waitUnbind(t), io.EOF)
}
