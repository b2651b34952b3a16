package http

import (
	"errors"
	"time"

	"github.com/evmachine/evmachine/reactor"
)

// ErrHijack is returned by Hijack when the connection cannot be taken over
// (see Hijack for when it can).
var ErrHijack = errors.New("http server: cannot hijack this connection")

// Hijack takes the connection of w's request over from the Server, for a
// protocol that the request upgrades to (WebSocket, protocols/websocket).
// It may be called only during the Handler's Serve of that request (the
// request head went through the Server's parser and limits), before
// anything was written, while it is the only request pending on its
// connection and its body is not streamed; otherwise it returns ErrHijack.
//
// From then on the Server neither reads, times, answers nor shuts down the
// connection: every callback of the reactor.Conn goes to h (ReceiveData and
// Unbind; OutboundDrained if h is a reactor.Drainer; PeerClosedWrite if h
// is a reactor.HalfCloser, else the connection closes after writing, and
// Unbind's reason is then nil), and
// h writes its own answer, for example a 101 Switching Protocols. rest is
// what the client sent after the request head (for WebSocket, its first
// frames): h must handle it before anything ReceiveData gets. The
// request's context is cancelled when the connection closes. Answers to
// earlier requests already ended are written before Hijack returns. Must be
// called on the reactor goroutine.
func (w *Response) Hijack(h reactor.Handler) (c *reactor.Conn, rest []byte, err error) {
	sc := w.sc
	if h == nil || w.req == nil || w.ended || w.wroteHeader || w.started || sc.closed ||
		sc.hijacked != nil || !sc.inData || sc.stream != nil || len(sc.queue) != 1 || sc.queue[0] != w {
		return nil, nil, ErrHijack
	}
	sc.flushBatch()
	w.ended = true
	w.releaseBody()
	sc.queue = sc.queue[:0]
	sc.hijacked = h
	if sc.tm != nil {
		sc.tm.Cancel()
		sc.tm, sc.tmAt = nil, time.Time{}
	}
	sc.s.unregister(sc)
	if n := len(sc.rest) + len(sc.input); n > 0 { // sc.rest lies in the read buffer: copy it
		rest = append(append(make([]byte, 0, n), sc.rest...), sc.input...)
	}
	sc.rest, sc.input = nil, nil
	sc.p = serverParser{} // its buffers are not needed any more
	if sc.paused {
		sc.paused = false
		sc.c.Resume()
	}
	return sc.c, rest, nil
}
