package http

import "net/http"

// How an answer ends other than by the handler's End: replaced after a
// panic or a timeout, or cut by the client going away; and the callbacks
// through which a streaming handler follows its connection.

// fail replaces the answer by status after a panic, if nothing went out
// yet; otherwise the connection closes after what was sent.
func (w *Response) fail(status int) { w.failWith(status, http.StatusText(status)) }

// failWith replaces the answer by status and reason if nothing went out
// yet; otherwise the connection closes after what was sent.
func (w *Response) failWith(status int, reason string) {
	if w.ended && w.started {
		return
	}
	if w.started {
		w.ended, w.closeAfter = true, true
		w.releaseBody()
		if len(w.sc.queue) > 0 && w.sc.queue[0] == w {
			w.sc.advance()
		}
		return
	}
	w.header, w.body, w.written = nil, nil, 0
	w.wroteHeader, w.ended = false, false
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	w.WriteString(reason + "\n")
	w.End()
}

// OnDrained registers fn to run on the loop whenever everything written
// for this answer (and the ones before it on the connection) has been
// handed to the kernel after a backlog built up: the moment for a
// streaming handler to write more. The pattern: write while OutboundSize
// is below your mark, then return and go on in fn. It is not called after
// End.
func (w *Response) OnDrained(fn func()) { w.onDrained = fn }

// OnClose registers fn to run once on the loop if the client goes away
// before the answer has ended: the connection closed (reason: a reset,
// reactor.ErrStopped, ...; the request's context is cancelled then), or
// the client ended its sending side (reason io.EOF), which is how an HTTP
// client that gave up shows it. After io.EOF the answer may still be
// completed, for a client that only half-closed.
func (w *Response) OnClose(fn func(reason error)) { w.onClose = fn }

// clientGone runs OnClose for an answer still under way.
func (w *Response) clientGone(reason error) {
	if !w.ended && w.onClose != nil {
		fn := w.onClose
		w.onClose = nil
		fn(reason)
	}
}

// releaseBody gives back the body memory the request held.
func (w *Response) releaseBody() {
	if w.mem > 0 {
		w.sc.releaseMem(w.mem)
		w.mem = 0
	}
}
