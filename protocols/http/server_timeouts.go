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

// serverPhase is what a connection's deadline is for.
type serverPhase uint8

const (
	serverNoPhase   serverPhase = iota
	serverReading               // a request is arriving: 408 past it
	serverWaiting               // waiting for a request: close past it
	serverAnswering             // the oldest answer is under way: 503 (or close) past it
)

// deadline returns when the connection times out next (zero for never)
// and for what: the oldest answer, if its handler made no progress for
// AnswerTimeout; the request being read; or the wait for the next one.
func (sc *serverConn) deadline() (time.Time, serverPhase) {
	var at time.Time
	ph := serverNoPhase
	if sc.closed {
		return at, ph
	}
	if len(sc.queue) > 0 && sc.lim.answer > 0 {
		if w := sc.queue[0]; !w.ended && !w.progress.IsZero() {
			at, ph = w.progress.Add(sc.lim.answer), serverAnswering
		}
	}
	if !sc.reading() {
		return at, ph
	}
	switch {
	case !sc.reqStart.IsZero() && sc.p.inProgress():
		d := sc.lim.headTimeout
		if sc.p.readingBody() {
			d = sc.lim.readTimeout
		}
		if t := sc.reqStart.Add(d); d > 0 && (ph == serverNoPhase || t.Before(at)) {
			at, ph = t, serverReading
		}
	case len(sc.queue) == 0 && len(sc.input) == 0:
		// Waiting for a request: a new connection has ReadHeaderTimeout
		// to start its first one (as net/http), a kept-alive one
		// IdleTimeout for each next one.
		d := sc.lim.idle
		if !sc.served && sc.lim.headTimeout > 0 {
			d = sc.lim.headTimeout
		}
		if d > 0 {
			at, ph = sc.idleSince.Add(d), serverWaiting
		}
	}
	return at, ph
}

// updateTimer makes sure the timer fires no later than the current
// deadline.
func (sc *serverConn) updateTimer() {
	if sc.hijacked != nil {
		return
	}
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
	at, ph := sc.deadline()
	if at.IsZero() || sc.closed || sc.hijacked != nil {
		return
	}
	now := sc.c.Reactor().Now()
	if now.Before(at) {
		sc.updateTimer()
		return
	}
	switch {
	case ph == serverAnswering:
		sc.answerLate(sc.queue[0])
	case ph == serverReading:
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

// answerLate ends an answer whose handler made no progress for
// AnswerTimeout: 503 if nothing went out yet, else the connection closes
// after what was sent.
func (sc *serverConn) answerLate(w *Response) {
	req := w.req
	sc.lim.log.Warn("http server: no answer in time; ending it", "method", req.Method, "path", req.URL.Path,
		"route", req.Pattern, "remote", sc.remote, "timeout", sc.lim.answer, "started", w.started)
	w.failWith(http.StatusServiceUnavailable, "no answer in time")
	sc.updateTimer()
}
