package http

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/evmachine/evmachine/reactor"
)

// onHead handles a head whose body is still to come: Expect, then the
// choice between streaming the body to the handler now and buffering it.
func (sc *serverConn) onHead(req *http.Request) {
	exp := req.Header.Get("Expect")
	switch {
	case exp == "":
	case !strings.EqualFold(exp, "100-continue"):
		sc.refuse(&serverRequestError{status: http.StatusExpectationFailed, reason: "unsupported Expect: " + exp})
		return
	case req.ProtoAtLeast(1, 1):
		sc.cont = true // sent once the parse stops in the body with nothing ahead of it
	}
	if bs, ok := sc.s.Handler.(BodyStreamer); ok && bs.StreamsBody(req) {
		sc.onStreamHead(req)
		return
	}
	if max := sc.s.memory().max; max > 0 && req.ContentLength > max {
		sc.refuse(&serverRequestError{status: http.StatusRequestEntityTooLarge,
			reason: fmt.Sprintf("request body larger than the server buffers (%d bytes)", max)})
	}
}

// sendContinue writes the interim 100 Continue owed to the request whose
// body is being read, once every earlier request is answered.
func (sc *serverConn) sendContinue() {
	sc.cont = false
	if sc.p.readingBody() {
		sc.c.Write([]byte("HTTP/1.1 100 Continue\r\n\r\n"))
	}
}

// onRequest handles a complete request: it is served, or, for a streamed
// body, its end is reported.
func (sc *serverConn) onRequest(req *http.Request) {
	sc.cont = false
	sc.reqStart = time.Time{}
	if sc.stream != nil {
		sc.endStream()
		return
	}
	sc.dispatch(req)
}

// dispatch queues the Response to req and calls the Handler.
func (sc *serverConn) dispatch(req *http.Request) {
	w := sc.answer(req, true)
	sc.s.serve(sc.lim, w, w.req)
}

// answer queues the Response to req. Its timeout starts now for a
// complete request, and at the end of the body for a streamed one.
func (sc *serverConn) answer(req *http.Request, complete bool) *Response {
	sc.served = true
	req.RemoteAddr, req.TLS = sc.remote, sc.tls
	if req.Context() != sc.ctx { // the fast head parser made it with it
		req = req.WithContext(sc.ctx)
	}
	w := newResponse(sc, req)
	if complete {
		w.progress = sc.c.Reactor().Now()
	}
	w.mem, sc.mem = sc.mem, 0
	sc.queue = append(sc.queue, w)
	if w.closeAfter && complete {
		sc.closing = true // later requests on this connection are ignored
	}
	return w
}

// refuse answers a request the parser (or onHead) refused and closes the
// connection after the answers owed before it. A streamed request is
// answered through its own Response.
func (sc *serverConn) refuse(e *serverRequestError) {
	sc.lim.log.Debug("http server: refusing request", "remote", sc.remote, "status", e.status, "err", e)
	sc.stopMemWait()
	if sc.stream != nil {
		sc.failStream(e, e)
		return
	}
	sc.closing = true
	sc.pause() // nothing more is read; the connection closes after this answer
	w := newResponse(sc, nil)
	sc.queue = append(sc.queue, w)
	w.mem, sc.mem = sc.mem, 0
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(e.status)
	w.WriteString(e.reason + "\n")
	w.End()
}

// stopMemWait leaves the queue for body memory.
func (sc *serverConn) stopMemWait() {
	if sc.memWait {
		sc.memWait = false
		sc.s.memory().cancel(sc)
	}
}

// OutboundDrained resumes a connection paused for its backlog and tells
// the answer being sent.
func (sc *serverConn) OutboundDrained(c *reactor.Conn) {
	if sc.hijacked != nil {
		if d, ok := sc.hijacked.(reactor.Drainer); ok {
			d.OutboundDrained(c)
		}
		return
	}
	sc.resume()
	sc.notifyDrained()
}

// PeerClosedWrite: the client sent FIN. Requests already received are
// answered (also those kept while paused), then the connection closes;
// answers under way are told (OnClose).
func (sc *serverConn) PeerClosedWrite(c *reactor.Conn) {
	if sc.hijacked != nil {
		if hc, ok := sc.hijacked.(reactor.HalfCloser); ok {
			hc.PeerClosedWrite(c)
		} else {
			c.CloseAfterWriting()
		}
		return
	}
	sc.eof = true
	for _, w := range slices.Clone(sc.queue) { // OnClose may end answers
		w.clientGone(io.EOF)
	}
	sc.atEOF()
}

// atEOF acts on the client's FIN once every byte before it is parsed: a
// request cut short is answered 400, and once every answer is out the
// connection closes.
func (sc *serverConn) atEOF() {
	if !sc.eof || len(sc.input) > 0 || sc.closed || sc.inData {
		return
	}
	if sc.p.inProgress() && (!sc.closing || sc.stream != nil) {
		e := &serverRequestError{status: http.StatusBadRequest, reason: "request cut short by the client", err: io.ErrUnexpectedEOF}
		if sc.stream != nil {
			sc.stopMemWait()
			sc.failStream(e, io.ErrUnexpectedEOF)
		} else {
			sc.refuse(e)
		}
	}
	if len(sc.queue) == 0 {
		sc.finish()
	}
}

// Unbind ends every pending answer: their writes fail from now on, their
// OnClose callbacks run, each request's context is cancelled and the body
// memory they held is given back.
func (sc *serverConn) Unbind(c *reactor.Conn, reason error) {
	sc.closed, sc.closing = true, true
	if sc.cancel != nil {
		sc.cancel()
	}
	if h := sc.hijacked; h != nil {
		h.Unbind(c, reason)
		return
	}
	if sc.tm != nil {
		sc.tm.Cancel()
	}
	if sc.batch != nil {
		serverPutBuf(sc.batch)
		sc.batch = nil
	}
	sc.stopMemWait()
	sc.releaseMem(sc.mem)
	sc.mem = 0
	if b := sc.stream; b != nil {
		sc.stream = nil
		b.finish(errServerConnClosed)
	}
	queue := sc.queue
	sc.queue, sc.input = nil, nil
	for _, w := range queue {
		w.releaseBody()
		w.clientGone(reason)
	}
	sc.s.unregister(sc)
}
