package http

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/evmachine/evmachine/reactor"
	"github.com/evmachine/evmachine/timer"
)

// serverConn is the thin adapter between one reactor.Conn and the pure
// request parser: it feeds what arrives to the parser, hands each request
// to the Handler, and writes the answers in request order.
type serverConn struct {
	s      *Server
	lim    serverLimits
	c      *reactor.Conn
	p      serverParser
	queue  []*Response // requests awaiting (the rest of) their answers, oldest first
	input  []byte      // bytes read but not parsed while reading is paused
	remote string
	ctx    context.Context
	cancel context.CancelFunc

	batch   *[]byte // answers written during one ReceiveData, sent in one write
	inData  bool    // parsing: answers go to batch, and parsing is not re-entered
	closing bool    // no more requests are read; close once the queue is answered
	closed  bool    // Unbind ran
	eof     bool    // the peer sent FIN: answer what was received, then close
	paused  bool    // reading paused by the server (queue full or backlog)
	cont    bool    // a 100 Continue is owed to the request being read
	served  bool    // a request has been received

	// Timeouts: one timer, armed lazily (see server_timeouts.go).
	tm        *timer.Timer
	tmAt      time.Time // when tm fires; zero while not armed
	reqStart  time.Time // first byte of the request being read
	idleSince time.Time // when the queue last became empty
	idleOut   int       // outbound backlog when the idle timer was armed
}

var (
	_ reactor.Handler    = (*serverConn)(nil)
	_ reactor.Drainer    = (*serverConn)(nil)
	_ reactor.HalfCloser = (*serverConn)(nil)
)

func newServerConn(s *Server, c *reactor.Conn) *serverConn {
	lim := s.limits()
	return &serverConn{
		s: s, lim: lim, c: c,
		p: serverParser{maxHead: lim.maxHead, maxBody: lim.maxBody},
	}
}

// PostInit starts the idle clock.
func (sc *serverConn) PostInit(c *reactor.Conn) {
	sc.c = c
	if a := c.RemoteAddr(); a != nil {
		sc.remote = a.String()
	}
	sc.ctx, sc.cancel = context.WithCancel(context.Background())
	if !sc.s.register(sc) { // the Server is shutting down
		sc.closing = true
		c.Close()
		return
	}
	sc.idleSince = c.Reactor().Now()
	sc.updateTimer()
}

// ConnectionCompleted is never called for accepted connections.
func (sc *serverConn) ConnectionCompleted(*reactor.Conn) {}

// ReceiveData parses what arrived and serves every complete request.
func (sc *serverConn) ReceiveData(_ *reactor.Conn, data []byte) {
	if sc.closing {
		return // the connection is finishing its answers; later requests are ignored
	}
	if len(sc.input) > 0 { // only if a read slipped in while pausing
		sc.input = append(sc.input, data...)
		data, sc.input = sc.input, nil
	}
	sc.run(data)
}

// run parses data with answers batched and sends the batch; it keeps what
// it could not parse while the connection must wait, and reads again once
// nothing is kept.
func (sc *serverConn) run(data []byte) {
	for {
		sc.inData = true
		rest := sc.consume(data)
		sc.inData = false
		sc.flushBatch() // may clear the backlog that made consume stop
		if len(rest) == 0 || sc.closing || sc.closed {
			sc.input = nil
			break
		}
		if sc.mustWait() {
			sc.input = append(sc.input[:0:0], rest...)
			break
		}
		data = rest
	}
	if sc.paused && len(sc.input) == 0 && !sc.closing && !sc.closed {
		sc.paused = false
		sc.c.Resume()
	}
	if sc.cont && len(sc.queue) == 0 && !sc.closing {
		sc.sendContinue()
	}
	if sc.eof && len(sc.queue) == 0 && len(sc.input) == 0 {
		sc.finish()
	}
	sc.updateTimer()
}

// consume parses requests from data until it is used up, the connection
// must wait (pipeline full or outbound backlog), or it is closing, and
// returns what it did not parse.
func (sc *serverConn) consume(data []byte) []byte {
	for len(data) > 0 && !sc.closing {
		if sc.mustWait() {
			sc.pause()
			return data
		}
		n, ev := sc.p.parse(data)
		data = data[n:]
		switch ev.kind {
		case serverGotHead:
			sc.onHead(ev.req)
		case serverGotRequest:
			sc.onRequest(ev.req)
		case serverGotError:
			sc.refuse(ev.err)
		}
	}
	if sc.reqStart.IsZero() && sc.p.inProgress() {
		sc.reqStart = sc.c.Reactor().Now()
	}
	return nil
}

// mustWait reports whether new requests must wait: too many answers are
// pending, or the peer is not reading them.
func (sc *serverConn) mustWait() bool {
	backlog := sc.c.OutboundSize()
	if sc.batch != nil {
		backlog += len(*sc.batch)
	}
	return len(sc.queue) >= sc.lim.maxPipelined || backlog > serverHighWater
}

func (sc *serverConn) pause() {
	if !sc.paused {
		sc.paused = true
		sc.c.Pause()
	}
}

// resume parses the input kept while paused (run then reads again once
// it is all parsed). It is called when an answer completes or the backlog
// drains; inside a parse it does nothing (the parse loop goes on itself).
func (sc *serverConn) resume() {
	if !sc.paused || sc.inData || sc.closing || sc.closed || sc.mustWait() {
		return
	}
	data := sc.input
	sc.input = nil
	sc.run(data)
}

// onHead handles a head whose body is still to come: Expect.
func (sc *serverConn) onHead(req *http.Request) {
	exp := req.Header.Get("Expect")
	switch {
	case exp == "":
	case !strings.EqualFold(exp, "100-continue"):
		sc.refuse(&serverRequestError{status: http.StatusExpectationFailed, reason: "unsupported Expect: " + exp})
	case req.ProtoAtLeast(1, 1):
		sc.cont = true // sent once the parse stops in the body with nothing ahead of it
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

// onRequest queues a complete request's Response and calls the Handler.
func (sc *serverConn) onRequest(req *http.Request) {
	sc.cont, sc.served = false, true
	sc.reqStart = time.Time{}
	req.RemoteAddr = sc.remote
	req = req.WithContext(sc.ctx)
	w := newResponse(sc, req)
	sc.queue = append(sc.queue, w)
	if w.closeAfter {
		sc.closing = true // later requests on this connection are ignored
	}
	sc.s.serve(&sc.lim, w, req)
}

// refuse answers a request the parser (or onHead) refused and closes the
// connection after the answers owed before it.
func (sc *serverConn) refuse(e *serverRequestError) {
	sc.lim.log.Debug("http server: refusing request", "remote", sc.remote, "status", e.status, "err", e)
	sc.closing = true
	sc.pause() // nothing more is read; the connection closes after this answer
	w := newResponse(sc, nil)
	sc.queue = append(sc.queue, w)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(e.status)
	w.WriteString(e.reason + "\n")
	w.End()
}

// OutboundDrained resumes a connection paused for its backlog.
func (sc *serverConn) OutboundDrained(*reactor.Conn) { sc.resume() }

// PeerClosedWrite: the client sent FIN. Requests already received are
// answered (also those kept while paused), then the connection closes.
func (sc *serverConn) PeerClosedWrite(*reactor.Conn) {
	sc.eof = true
	if len(sc.queue) == 0 && len(sc.input) == 0 {
		sc.finish()
	}
}

// Unbind ends every pending answer: their writes fail from now on, and
// each request's context is cancelled.
func (sc *serverConn) Unbind(*reactor.Conn, error) {
	sc.closed, sc.closing = true, true
	if sc.cancel != nil {
		sc.cancel()
	}
	if sc.tm != nil {
		sc.tm.Cancel()
	}
	if sc.batch != nil {
		serverPutBuf(sc.batch)
		sc.batch = nil
	}
	sc.queue, sc.input = nil, nil
	sc.s.unregister(sc)
}
