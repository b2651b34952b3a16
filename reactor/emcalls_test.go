package reactor

import (
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/evmachine/evmachine/internal/nettest"
	"github.com/evmachine/evmachine/timer"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPendingConnectTimeout ports test_pending_connect_timeout.rb:
// test_default (20 s), test_set_and_get, test_for_real (a connect to a
// stalled address whose timeout is set after Connect fails with it, and
// the reason is ETIMEDOUT as EventMachine reports).
func TestPendingConnectTimeout(t *testing.T) {
	clk := timer.NewFakeClock(epoch)
	h := newHarness(t, WithClock(clk))
	target := nettest.StalledAddr(t)
	p := h.newProbe()
	c := h.connect("tcp", target, p)
	h.do(func() {
		assert.Equal(t, 20*time.Second, c.PendingConnectTimeout(), "test_default")
		c.SetPendingConnectTimeout(2500 * time.Millisecond)
		assert.Equal(t, 2500*time.Millisecond, c.PendingConnectTimeout(), "test_set_and_get")
	})
	h.advance(clk, 2*time.Second)
	assert.False(t, p.Unbound())
	h.advance(clk, time.Second)
	reason := p.waitUnbind(t)
	assert.ErrorIs(t, reason, ErrConnectTimeout, "test_for_real")
	assert.ErrorIs(t, reason, syscall.ETIMEDOUT, "EventMachine's Errno::ETIMEDOUT")

	// A timeout set below the connect's age fails it at once.
	q := h.newProbe()
	c2 := h.connect("tcp", target, q)
	h.advance(clk, 5*time.Second)
	h.do(func() { c2.SetPendingConnectTimeout(time.Second) })
	h.do(func() {})
	assert.ErrorIs(t, q.waitUnbind(t), ErrConnectTimeout)
}

// TestUnbindReason ports test_unbind_reason.rb: test_connect_timeout
// (ETIMEDOUT) and test_connect_refused (ECONNREFUSED).
func TestUnbindReason(t *testing.T) {
	clk := timer.NewFakeClock(epoch)
	h := newHarness(t, WithClock(clk))
	p := h.newProbe()
	h.connect("tcp", nettest.StalledAddr(t), p, WithPendingConnectTimeout(time.Second))
	h.advance(clk, 2*time.Second)
	assert.ErrorIs(t, p.waitUnbind(t), syscall.ETIMEDOUT, "test_connect_timeout")

	q := h.newProbe()
	h.connect("tcp", nettest.RefusedAddr(t), q)
	assert.ErrorIs(t, q.waitUnbind(t), syscall.ECONNREFUSED, "test_connect_refused")
}

// TestInactivityTimeoutEM ports test_inactivity_timeout.rb: test_default
// (0, off), test_set_and_get, test_for_real (an idle Conn closes with a
// reason that is ETIMEDOUT as EventMachine's).
func TestInactivityTimeoutEM(t *testing.T) {
	clk := timer.NewFakeClock(epoch)
	h := newHarness(t, WithClock(clk))
	l, accepted := h.serve(func(*probe) {})
	c := dial(t, "tcp", l.Addr().String())
	defer c.Close()
	p := h.accepted(accepted)
	h.do(func() {
		assert.Zero(t, p.Conn().InactivityTimeout(), "test_default")
		p.Conn().SetInactivityTimeout(2 * time.Second)
		assert.Equal(t, 2*time.Second, p.Conn().InactivityTimeout(), "test_set_and_get")
	})
	h.advance(clk, 3*time.Second)
	h.advance(clk, time.Second)
	reason := p.waitUnbind(t)
	assert.ErrorIs(t, reason, ErrInactivityTimeout, "test_for_real")
	assert.ErrorIs(t, reason, syscall.ETIMEDOUT)
}

// TestIdleTime ports test_idle_connection.rb's test_idle_time:
// get_idle_time grows while nothing moves and is back near 0 after a send.
func TestIdleTime(t *testing.T) {
	clk := timer.NewFakeClock(epoch)
	h := newHarness(t, WithClock(clk))
	l, accepted := h.serve(func(*probe) {})
	c := dial(t, "tcp", l.Addr().String())
	defer c.Close()
	p := h.accepted(accepted)
	h.advance(clk, 300*time.Millisecond)
	h.do(func() {
		assert.Equal(t, 300*time.Millisecond, p.Conn().IdleTime())
		p.Conn().Write([]byte("a"))
	})
	h.do(func() { assert.Zero(t, p.Conn().IdleTime()) })
}

// TestShutdownHooks ports test_shutdown_hooks.rb: test_shutdown_hooks
// (a hook runs at stop) and test_hook_order (last added first), and they
// run before the connections unbind.
func TestShutdownHooks(t *testing.T) {
	h := newHarness(t)
	l, accepted := h.serve(func(*probe) {})
	c := dial(t, "tcp", l.Addr().String())
	defer c.Close()
	p := h.accepted(accepted)
	var order []string
	p.OnUnbind = func(*Conn, error) { order = append(order, "unbind") }
	h.do(func() {
		h.r.AddShutdownHook(func() { order = append(order, "2") })
		h.r.AddShutdownHook(func() { order = append(order, "1") })
	})
	h.stop()
	assert.Equal(t, []string{"1", "2", "unbind"}, order)
}

// TestReconnect: Reconnect from Unbind connects the same handler again,
// without a second PostInit (EM's Connection#reconnect).
func TestReconnect(t *testing.T) {
	h := newHarness(t)
	l, accepted := h.serve(func(*probe) {})
	refused := nettest.RefusedAddr(t)
	var events []string
	var second *Conn
	done := make(chan struct{})
	first := HandlerFuncs{}
	first.OnPostInit = func(*Conn) { events = append(events, "post") }
	first.OnConnectionCompleted = func(c *Conn) {
		events = append(events, "completed")
		close(done)
	}
	first.OnUnbind = func(c *Conn, reason error) {
		events = append(events, "unbind")
		if errors.Is(reason, syscall.ECONNREFUSED) {
			var err error
			second, err = c.Reconnect(l.Addr().String())
			assert.NoError(t, err)
		}
	}
	h.do(func() {
		_, err := h.r.Connect("tcp", refused, first)
		require.NoError(t, err)
	})
	waitClosed(t, done, "the reconnect")
	srv := h.accepted(accepted)
	h.do(func() {
		assert.Equal(t, []string{"post", "unbind", "completed"}, events)
		assert.Equal(t, l.Addr().String(), second.RemoteAddr().String())
		assert.Equal(t, 1, h.r.ConnectionCount()-1, "one outbound Conn live (and the accepted one)")
		second.Close()
	})
	srv.waitUnbind(t)
}

// TestTimerCount: get_timer_count counts armed timers.
func TestTimerCount(t *testing.T) {
	h := newHarness(t)
	h.do(func() {
		base := h.r.TimerCount()
		a := h.r.AddTimer(time.Hour, func() {})
		b := h.r.AddPeriodicTimer(time.Hour, func() {})
		assert.Equal(t, base+2, h.r.TimerCount())
		a.Cancel()
		b.Cancel()
		assert.Equal(t, base, h.r.TimerCount())
	})
}
