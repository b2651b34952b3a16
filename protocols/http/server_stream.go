package http

import (
	"errors"
	"net/http"
)

// BodyStreamer is implemented by a Handler that takes some request bodies
// as they arrive instead of buffered: for a request for which StreamsBody
// reports true, Serve is called as soon as the head has arrived, with
// req.Body a *BodyStream (RequestStream returns it). StreamBody wraps a
// Handler so that it takes every body that way; a ServeMux streams the
// bodies of the routes registered with such a Handler. StreamsBody is
// called on the reactor goroutine and must not block.
type BodyStreamer interface {
	StreamsBody(req *http.Request) bool
}

// StreamBody returns a Handler that serves every request with h as soon
// as its head has arrived, the body following through RequestStream(req).
// A streamed body is not buffered, so it does not count against the
// Server's MaxBodyMemory; MaxBodyBytes and ReadTimeout still bound it.
func StreamBody(h Handler) Handler { return streamingHandler{h} }

type streamingHandler struct{ Handler }

func (streamingHandler) StreamsBody(*http.Request) bool { return true }

// ErrBodyStreamed is what Read returns on a streamed request body: its
// bytes arrive through OnData on the loop, never by blocking.
var ErrBodyStreamed = errors.New("http server: the request body is streamed: use RequestStream(req).OnData")

// BodyStream is the body of a request served as a stream (see
// BodyStreamer). OnData receives the body in runs as they arrive and OnEnd
// says when it ended; Pause and Resume hold the client back through TCP,
// so a handler that forwards the body to something slower never buffers
// it. Until OnData is set the stream is held, so a handler may set it up
// later (after a Defer or a connect). Its methods must be called on the
// reactor goroutine.
type BodyStream struct {
	sc       *serverConn
	w        *Response
	onData   func([]byte)
	onEnd    func(error)
	paused   bool
	done     bool
	resuming bool // a tick that goes on delivering is queued
}

// RequestStream returns the streamed body of req, or nil if req's body is
// not streamed.
func RequestStream(req *http.Request) *BodyStream {
	b, _ := req.Body.(*BodyStream)
	return b
}

// OnData registers fn to receive each run of the body as it arrives,
// from a later tick on; chunk is only valid during the call. It returns
// b.
func (b *BodyStream) OnData(fn func(chunk []byte)) *BodyStream {
	b.onData = fn
	b.wake()
	return b
}

// OnEnd registers fn to run once when the body ends: with nil after its
// last byte (and the trailers, for a chunked body, in req.Trailer), or
// with the reason it was cut short: the client closed the connection
// (io.ErrUnexpectedEOF), it was malformed, too large or too slow. After an
// error the server answers the request (400, 413 or 408) unless fn did.
// It returns b.
func (b *BodyStream) OnEnd(fn func(err error)) *BodyStream {
	b.onEnd = fn
	return b
}

// Pause stops the delivery of the body until Resume: the connection is not
// read meanwhile. ReadTimeout keeps counting.
func (b *BodyStream) Pause() { b.paused = true }

// Resume goes on delivering the body after Pause, from a later tick (never
// inside the call).
func (b *BodyStream) Resume() {
	if b.paused {
		b.paused = false
		b.wake()
	}
}

// wake goes on delivering in a later tick, so that a caller setting up the
// stream (OnData, then OnEnd) is done before anything is delivered.
func (b *BodyStream) wake() {
	if !b.resuming && !b.done {
		b.resuming = true
		b.sc.c.Reactor().NextTick(b.resumeTick)
	}
}

func (b *BodyStream) resumeTick() {
	b.resuming = false
	b.sc.resume()
}

// Paused reports whether the stream is paused.
func (b *BodyStream) Paused() bool { return b.paused }

// Done reports whether the body has ended (completely or not).
func (b *BodyStream) Done() bool { return b.done }

// Read returns ErrBodyStreamed: the body is delivered through OnData.
func (b *BodyStream) Read([]byte) (int, error) { return 0, ErrBodyStreamed }

// Close does nothing: a streamed body is owned by the connection.
func (b *BodyStream) Close() error { return nil }

// held reports whether the stream cannot take data now.
func (b *BodyStream) held() bool { return b.paused || b.onData == nil }

func (b *BodyStream) deliver(chunk []byte) { b.onData(chunk) }

// finish ends the stream once, telling OnEnd why.
func (b *BodyStream) finish(err error) {
	if b.done {
		return
	}
	b.done = true
	if b.onEnd != nil {
		b.onEnd(err)
	}
}

// onStreamHead serves a request whose body is to be streamed: the handler
// runs now, the body follows.
func (sc *serverConn) onStreamHead(req *http.Request) {
	b := &BodyStream{sc: sc}
	sc.stream = b
	sc.p.stream()
	req.Body = b
	b.w = sc.answer(req, false)
	sc.s.serve(sc.lim, b.w, b.w.req)
}

// endStream is the end of the streamed body: its answer's timeout starts,
// and a request that asked to close ends the reading.
func (sc *serverConn) endStream() {
	b := sc.stream
	sc.stream = nil
	b.w.progress = sc.c.Reactor().Now()
	if b.w.closeAfter {
		sc.closing = true
	}
	b.finish(nil)
}

// failStream ends the streamed body with err and makes sure its request
// is answered: with status, unless the handler answered in OnEnd.
func (sc *serverConn) failStream(e *serverRequestError, err error) {
	b := sc.stream
	sc.stream = nil
	sc.closing = true
	sc.pause()
	b.finish(err)
	if !b.w.ended {
		b.w.failWith(e.status, e.reason)
	}
}
