package redis

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/evmachine/evmachine/reactor"
)

// State is where a Client's main connection is in em-hiredis's state
// machine.
type State uint8

const (
	StateConnecting   State = iota // the first connect is under way
	StateConnected                 // connected and handshaken
	StateDisconnected              // the connection was lost; a reconnect is scheduled
	StateReconnecting              // reconnecting, or waiting to retry after a failed attempt
	StateFailed                    // reconnecting gave up (WithReconnect); commands fail with ErrFailed
	StateClosed                    // Close was called
)

func (s State) String() string {
	switch s {
	case StateConnecting:
		return "connecting"
	case StateConnected:
		return "connected"
	case StateDisconnected:
		return "disconnected"
	case StateReconnecting:
		return "reconnecting"
	case StateFailed:
		return "failed"
	case StateClosed:
		return "closed"
	}
	return fmt.Sprintf("State(%d)", uint8(s))
}

// Event is one of em-hiredis's connection events (WithEventHandler).
type Event uint8

const (
	EventConnected       Event = iota // the first connection is up (handshake done)
	EventReconnected                  // a later connection is up; subscriptions are being restored
	EventDisconnected                 // an established connection was lost
	EventReconnectFailed              // a connect attempt failed; another follows
	EventFailed                       // reconnecting gave up
)

func (e Event) String() string {
	return [...]string{"connected", "reconnected", "disconnected", "reconnect_failed", "failed"}[e]
}

// connect starts one connection attempt.
func (c *conn) connect() {
	c.retry = nil
	opts := []reactor.ConnOption{reactor.WithPendingConnectTimeout(c.o.connectTimeout)}
	if c.o.tls != nil {
		opts = append(opts, reactor.WithTLS(c.o.tls))
	}
	rc, err := c.r.Connect(c.net, c.addr, c, opts...)
	if err != nil {
		// Only a malformed address fails here, and it will not get better.
		c.o.log.Error("redis: connect", "addr", c.addr, "err", err)
		c.giveUp(err)
		return
	}
	c.rc = rc
}

// handshake runs on a new connection: HELLO 3 (with AUTH and SETNAME), or
// the RESP2 commands, then SELECT. Commands issued meanwhile wait in the
// offline queue; the steps after HELLO are pipelined with them, and a
// failing step closes the connection before any of their replies is read.
func (c *conn) handshake() {
	if c.o.protocol != 3 {
		c.proto = 2
		c.handshakeRest(true)
		return
	}
	args := []string{"HELLO", "3"}
	if c.o.password != "" {
		args = append(args, "AUTH", cmp(c.o.user, "default"), c.o.password)
	}
	if c.o.name != "" {
		args = append(args, "SETNAME", c.o.name)
	}
	c.push(AppendStrings(nil, args...), pending{cb: func(v Value, err error) {
		switch {
		case err == nil:
			c.proto = 3
			c.handshakeRest(false)
		case helloUnknown(err):
			c.proto = 2
			c.handshakeRest(true)
		default:
			c.closeWith(fmt.Errorf("%w: HELLO: %w", ErrHandshake, err))
		}
	}})
}

// helloUnknown reports whether HELLO's error means the server speaks only
// RESP2 (Redis before 6 answers "unknown command").
func helloUnknown(err error) bool {
	var e Error
	if !errors.As(err, &e) {
		return false
	}
	return e.Prefix() == "NOPROTO" || strings.Contains(strings.ToLower(string(e)), "unknown command")
}

func cmp(s, dflt string) string {
	if s == "" {
		return dflt
	}
	return s
}

// handshakeRest queues the steps after HELLO and declares the connection
// ready: what was queued offline follows them in the same write.
func (c *conn) handshakeRest(resp2 bool) {
	steps := 0
	step := func(name string) func(Value, error) {
		steps++
		n := steps
		return func(_ Value, err error) {
			if err != nil {
				// A failed attempt, not a lost connection: it counts
				// towards giving up.
				c.state = StateReconnecting
				c.closeWith(fmt.Errorf("%w: %s: %w", ErrHandshake, name, err))
			} else if n == steps {
				c.attempts = 0
			}
		}
	}
	if resp2 && c.o.password != "" {
		if c.o.user != "" {
			c.push(AppendStrings(nil, "AUTH", c.o.user, c.o.password), pending{cb: step("AUTH")})
		} else {
			c.push(AppendStrings(nil, "AUTH", c.o.password), pending{cb: step("AUTH")})
		}
	}
	if resp2 && c.o.name != "" {
		c.push(AppendStrings(nil, "CLIENT", "SETNAME", c.o.name), pending{cb: step("CLIENT SETNAME")})
	}
	if c.o.db != 0 {
		c.push(AppendStrings(nil, "SELECT", fmt.Sprint(c.o.db)), pending{cb: step("SELECT")})
	}
	c.ready = true
	first := c.first
	c.first = false
	if steps == 0 {
		c.attempts = 0
	}
	c.state = StateConnected
	if first {
		c.event(EventConnected, nil)
	} else {
		c.event(EventReconnected, nil)
	}
	if c.onReady != nil && c.ready {
		c.onReady()
	}
	if c.ready {
		c.progress = c.r.Now()
		c.startHealthCheck()
		c.releaseOffline()
	}
}

// lost decides what follows a connection's end: a reconnect after a
// backoff, or giving up.
func (c *conn) lost(wasConnected bool, reason error) {
	if c.role == roleBlocking {
		c.state = StateClosed
		c.failOffline(fmt.Errorf("%w: %w", ErrConnectionLost, cmpErr(reason)))
		if c.onGone != nil {
			c.onGone()
		}
		return
	}
	if wasConnected {
		c.state = StateDisconnected
		c.event(EventDisconnected, reason)
	} else {
		c.attempts++
		c.event(EventReconnectFailed, reason)
	}
	if c.o.attempts == 0 || (c.o.attempts > 0 && c.attempts >= c.o.attempts) {
		c.giveUp(reason)
		return
	}
	if c.o.failFast && !c.first {
		c.failOffline(fmt.Errorf("%w: %w", ErrNotConnected, cmpErr(reason)))
	}
	var backoff time.Duration // an established connection was lost: try again at once
	if c.attempts > 0 {
		backoff = backoffFor(c.o, c.attempts)
	}
	c.retry = c.r.AddTimer(backoff, func() {
		c.state = StateReconnecting
		c.connect()
	})
	if !wasConnected {
		c.state = StateReconnecting
	}
}

func cmpErr(err error) error {
	if err == nil {
		return errors.New("closed")
	}
	return err
}

// giveUp enters StateFailed: what waits fails with ErrFailed.
func (c *conn) giveUp(reason error) {
	c.state = StateFailed
	c.event(EventFailed, reason)
	c.failOffline(fmt.Errorf("%w: %w", ErrFailed, cmpErr(reason)))
	if c.onGone != nil {
		c.onGone()
	}
}

func (c *conn) event(e Event, err error) {
	c.o.log.Debug("redis: "+e.String(), "addr", c.addr, "role", c.role, "err", err)
	if c.role == roleMain && c.o.onEvent != nil {
		c.o.onEvent(e, err)
	}
}

// backoffFor is the wait before attempt n (n >= 1).
func backoffFor(o *options, n int) time.Duration {
	return min(o.minBackoff<<min(n-1, 20), o.maxBackoff)
}
