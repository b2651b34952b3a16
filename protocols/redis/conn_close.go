package redis

import (
	"fmt"

	"github.com/evmachine/evmachine/reactor"
)

// closeWith closes the connection because of err, which the waiting
// commands get (wrapped in ErrConnectionLost) when Unbind runs.
func (c *conn) closeWith(err error) {
	if c.rc == nil || c.rc.Closed() {
		return
	}
	c.o.log.Debug("redis: closing connection", "addr", c.addr, "err", err)
	c.closeErr = err
	c.ready = false
	c.rc.Close()
}

// Unbind implements reactor.Handler: every waiting command fails, then the
// client reconnects (reconnect.go).
func (c *conn) Unbind(rc *reactor.Conn, reason error) {
	if rc != c.rc {
		return
	}
	c.rc = nil
	if c.closeErr != nil {
		reason = c.closeErr
		c.closeErr = nil
	}
	lost := ErrConnectionLost
	if reason != nil {
		lost = fmt.Errorf("%w: %w", ErrConnectionLost, reason)
	}
	wasReady := c.ready || (c.state == StateConnected)
	c.ready = false
	c.inbuf, c.need, c.out = nil, 0, c.out[:0]
	c.scan.Reset()
	c.stopTimeout()
	c.stopHealthCheck()
	c.failPending(lost)
	if c.closed {
		return
	}
	c.lost(wasReady, reason)
}

// failPending fails every command that was sent (or queued to be) on the
// connection that just went away.
func (c *conn) failPending(err error) {
	for {
		p, ok := c.pend.pop()
		if !ok {
			return
		}
		if p.cb != nil {
			p.cb(Value{}, err)
		}
	}
}

// failOffline fails the commands held while not connected.
func (c *conn) failOffline(err error) {
	cbs := c.offCbs
	c.offBuf, c.offCbs = nil, nil
	for _, p := range cbs {
		if p.cb != nil {
			p.cb(Value{}, err)
		}
	}
}

// close ends the connection for good: everything waiting fails with
// ErrClosed, on a next tick.
func (c *conn) close() {
	if c.closed {
		return
	}
	c.closed = true
	c.state = StateClosed
	c.ready = false
	if c.retry != nil {
		c.retry.Cancel()
		c.retry = nil
	}
	c.stopTimeout()
	c.stopHealthCheck()
	var cbs []pending
	for {
		p, ok := c.pend.pop()
		if !ok {
			break
		}
		cbs = append(cbs, p)
	}
	cbs = append(cbs, c.offCbs...)
	c.offBuf, c.offCbs = nil, nil
	if c.rc != nil {
		c.rc.Close()
	}
	if len(cbs) > 0 {
		c.r.NextTick(func() {
			for _, p := range cbs {
				if p.cb != nil {
					p.cb(Value{}, ErrClosed)
				}
			}
		})
	}
}
