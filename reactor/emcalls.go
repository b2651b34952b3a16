package reactor

import (
	"errors"
	"net"
	"time"
)

// armConnectTimeout (re)arms the pending-connect timeout: d counts from
// the Conn's creation, as EventMachine's pending_connect_timeout does.
func (c *Conn) armConnectTimeout(d time.Duration) {
	c.connTimer.Cancel()
	c.connTimeout = d
	if d <= 0 || c.flags&fConnecting == 0 {
		return
	}
	// While connecting nothing moves, so lastActive is still the creation time.
	left := max(d-time.Duration(c.r.nowNs-c.lastActive), 0)
	c.connTimer = c.r.timers.Schedule(left, func() {
		if c.flags&fConnecting != 0 {
			c.closeWith(dialError(c.raddr, ErrConnectTimeout))
		}
	})
}

// SetPendingConnectTimeout changes how long an outbound connect may take,
// counted from Connect, as EM's set_pending_connect_timeout (ProxyMachine
// sets it after connecting): a connect already older than d fails at once
// with ErrConnectTimeout; 0 disables it. After the connect it has no
// effect. Must be called on the reactor goroutine.
func (c *Conn) SetPendingConnectTimeout(d time.Duration) {
	c.armConnectTimeout(max(d, 0))
}

// PendingConnectTimeout returns the pending-connect timeout (EM's
// pending_connect_timeout). Must be called on the reactor goroutine.
func (c *Conn) PendingConnectTimeout() time.Duration { return c.connTimeout }

// IdleTime returns how long the Conn has moved no byte in either
// direction, as EM's get_idle_time. Must be called on the reactor
// goroutine.
func (c *Conn) IdleTime() time.Duration { return time.Duration(c.r.nowNs - c.lastActive) }

// Reconnect connects again to addr with the same Handler, as EM's
// Connection#reconnect: typically called from Unbind. The new Conn is
// returned; PostInit does not run again (the handler was initialised),
// ConnectionCompleted runs when the connect completes and Unbind when it
// fails, as for Connect. The network (tcp or unix) is the old Conn's. Must
// be called on the reactor goroutine.
func (c *Conn) Reconnect(addr string, opts ...ConnOption) (*Conn, error) {
	if c.r.cfg.loopCheck {
		c.r.checkLoop("Conn.Reconnect")
	}
	if c.h == nil {
		return nil, errors.New("reactor: Reconnect of a Conn without a Handler")
	}
	network := "tcp"
	if _, ok := c.RemoteAddr().(*net.UnixAddr); ok {
		network = "unix"
	}
	return c.r.connect(network, addr, c.h, false, opts)
}

// AddShutdownHook registers fn to run when the reactor stops, as EM's
// add_shutdown_hook: hooks run on the reactor goroutine in reverse order
// of registration (the last added first), before the connections are
// closed and unbound. Must be called on the reactor goroutine (or before
// Run).
func (r *Reactor) AddShutdownHook(fn func()) {
	if fn != nil {
		r.shutdownHooks = append(r.shutdownHooks, fn)
	}
}

// runShutdownHooks runs the hooks, last added first; hooks added meanwhile
// run too.
func (r *Reactor) runShutdownHooks() {
	for len(r.shutdownHooks) > 0 {
		fn := r.shutdownHooks[len(r.shutdownHooks)-1]
		r.shutdownHooks = r.shutdownHooks[:len(r.shutdownHooks)-1]
		r.safeCall(fn)
	}
}

// TimerCount returns the number of timers armed (one-shot and periodic),
// as EM's get_timer_count. Must be called on the reactor goroutine.
func (r *Reactor) TimerCount() int { return r.timers.Len() }
