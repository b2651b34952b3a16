package http

import (
	"net/http"
	"time"
)

// The connection's timeouts share one timer, armed lazily: a phase change
// only records a time, and the timer is moved only when the new deadline
// is earlier than the one it is armed for; when it fires it works out what
// is due and re-arms for the rest. A keep-alive connection answering
// request after request thus touches the timer heap rarely.

// deadline returns when the connection's current phase times out (zero for
// none) and whether that phase is reading a request (else idle).
func (sc *serverConn) deadline() (time.Time, bool) {
	switch {
	case sc.closed || sc.closing && len(sc.queue) > 0:
		return time.Time{}, false
	case !sc.reqStart.IsZero() && sc.p.inProgress():
		d := sc.lim.headTimeout
		if sc.p.readingBody() {
			d = sc.lim.readTimeout
		}
		if d <= 0 {
			return time.Time{}, true
		}
		return sc.reqStart.Add(d), true
	case len(sc.queue) == 0 && len(sc.input) == 0:
		// Waiting for a request: a new connection has ReadHeaderTimeout
		// to start its first one (as net/http), a kept-alive one
		// IdleTimeout for each next one.
		d := sc.lim.idle
		if !sc.served && sc.lim.headTimeout > 0 {
			d = sc.lim.headTimeout
		}
		if d <= 0 {
			return time.Time{}, false
		}
		return sc.idleSince.Add(d), false
	}
	return time.Time{}, false // answers are being worked on: no timeout
}

// updateTimer makes sure the timer fires no later than the current
// deadline.
func (sc *serverConn) updateTimer() {
	at, _ := sc.deadline()
	if at.IsZero() || (!sc.tmAt.IsZero() && !at.Before(sc.tmAt)) {
		return
	}
	r := sc.c.Reactor()
	d := max(at.Sub(r.Now()), 0)
	if sc.tm == nil {
		sc.tm = r.AddTimer(d, sc.onTimer)
	} else {
		sc.tm.Reset(d)
	}
	sc.tmAt = at
	sc.idleOut = sc.c.OutboundSize()
}

// onTimer expires the current phase if its deadline has passed, or re-arms
// for it.
func (sc *serverConn) onTimer() {
	sc.tmAt = time.Time{}
	at, reading := sc.deadline()
	if at.IsZero() || sc.closed {
		return
	}
	now := sc.c.Reactor().Now()
	if now.Before(at) {
		sc.updateTimer()
		return
	}
	switch {
	case reading:
		sc.lim.log.Debug("http server: request too slow", "remote", sc.remote)
		sc.refuse(&serverRequestError{status: http.StatusRequestTimeout, reason: "request not received in time"})
	case sc.c.OutboundSize() > 0 && sc.c.OutboundSize() < sc.idleOut:
		// The last answers are still flowing out: give them another period.
		sc.idleSince = now
		sc.updateTimer()
	default:
		sc.closing = true
		sc.c.Close()
	}
}
