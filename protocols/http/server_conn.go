package http

import (
	"context"
	"crypto/tls"
	"time"

	"github.com/evmachine/evmachine/reactor"
	"github.com/evmachine/evmachine/timer"
)

// serverConn is the thin adapter between one reactor.Conn and the pure
// request parser: it feeds what arrives to the parser, hands each request
// to the Handler, and writes the answers in request order.
type serverConn struct {
	s      *Server
	lim    *serverLimits
	c      *reactor.Conn
	p      serverParser
	queue  []*Response // requests awaiting (the rest of) their answers, oldest first
	input  []byte      // bytes read but not parsed while reading is paused
	remote string
	tls    *tls.ConnectionState // once the handshake completed; nil without TLS
	ctx    context.Context
	cancel context.CancelFunc

	batch   *[]byte     // answers written during one ReceiveData, sent in one write
	inData  bool        // parsing: answers go to batch, and parsing is not re-entered
	closing bool        // no more requests are read; close once the queue is answered
	closed  bool        // Unbind ran
	eof     bool        // the peer sent FIN: answer what was received, then close
	paused  bool        // reading paused by the server (queue full or backlog)
	cont    bool        // a 100 Continue is owed to the request being read
	served  bool        // a request has been received
	memWait bool        // waiting for body memory (memGranted)
	memWant int64       // the reservation waited for; guarded by the Server's memory lock
	mem     int64       // body memory reserved for the request being read
	stream  *BodyStream // the streamed body being read

	// Hijack (server_hijack.go): once hijacked is set, every callback of
	// the Conn goes to it; rest is what follows the request being served.
	hijacked reactor.Handler
	rest     []byte

	// Timeouts: one timer, armed lazily (see server_timeouts.go).
	tm        *timer.Timer
	tmAt      time.Time // when tm fires; zero while not armed
	reqStart  time.Time // first byte of the request being read
	idleSince time.Time // when the queue last became empty
	idleOut   int       // outbound backlog when the idle timer was armed
}

var (
	_ reactor.Handler       = (*serverConn)(nil)
	_ reactor.Drainer       = (*serverConn)(nil)
	_ reactor.HalfCloser    = (*serverConn)(nil)
	_ reactor.TLSHandshaker = (*serverConn)(nil)
)

func newServerConn(s *Server, c *reactor.Conn) *serverConn {
	lim := s.limits()
	return &serverConn{
		s: s, lim: lim, c: c,
		p: serverParser{maxHead: lim.maxHead, maxBody: lim.maxBody, bounded: s.memory().max > 0},
	}
}

// PostInit starts the idle clock.
func (sc *serverConn) PostInit(c *reactor.Conn) {
	sc.c = c
	if a := c.RemoteAddr(); a != nil {
		sc.remote = a.String()
	}
	sc.ctx, sc.cancel = context.WithCancel(context.Background())
	sc.p.ctx = sc.ctx
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
func (sc *serverConn) ReceiveData(c *reactor.Conn, data []byte) {
	if sc.hijacked != nil {
		sc.hijacked.ReceiveData(c, data)
		return
	}
	if !sc.reading() {
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
		if len(rest) == 0 || !sc.reading() {
			sc.input = nil
			break
		}
		if sc.mustWait() {
			sc.input = append(sc.input[:0:0], rest...)
			break
		}
		data = rest
	}
	if sc.hijacked != nil {
		return
	}
	if sc.paused && len(sc.input) == 0 && sc.reading() && !sc.mustWait() {
		sc.paused = false
		sc.c.Resume()
	}
	if sc.cont && !sc.earlierPending() && !sc.closing {
		sc.sendContinue()
	}
	sc.atEOF()
	sc.updateTimer()
}

// consume parses requests from data until it is used up, the connection
// must wait (pipeline full, outbound backlog, body memory, a held body
// stream), or it is closing, and returns what it did not parse.
func (sc *serverConn) consume(data []byte) []byte {
	for (len(data) > 0 || sc.p.ending()) && sc.reading() {
		if sc.mustWait() {
			sc.pause()
			return data
		}
		n, ev := sc.p.parse(data)
		data = data[n:]
		switch ev.kind {
		case serverGotHead:
			sc.onHead(ev.req)
		case serverGotBody:
			sc.stream.deliver(ev.data)
		case serverNeedRoom:
			sc.grow(ev.n)
		case serverGotRequest:
			sc.rest = data
			sc.onRequest(ev.req)
			sc.rest = nil
		case serverGotError:
			sc.refuse(ev.err)
		}
	}
	if sc.reqStart.IsZero() && sc.p.inProgress() {
		sc.reqStart = sc.c.Reactor().Now()
	}
	return nil
}

// mustWait reports whether parsing must wait: too many answers are
// pending, the peer is not reading them, the body being read waits for
// memory, or its stream is held by the handler.
func (sc *serverConn) mustWait() bool {
	backlog := sc.c.OutboundSize()
	if sc.batch != nil {
		backlog += len(*sc.batch)
	}
	return len(sc.queue) >= sc.lim.maxPipelined || backlog > serverHighWater ||
		sc.memWait || sc.stream != nil && sc.stream.held()
}

func (sc *serverConn) pause() {
	if !sc.paused {
		sc.paused = true
		sc.c.PauseReading()
	}
}

// resume parses the input kept while paused (run then reads again once
// it is all parsed). It is called when an answer completes, the backlog
// drains, memory is granted or a stream is resumed; inside a parse it does
// nothing (the parse loop goes on itself).
func (sc *serverConn) resume() {
	if !sc.paused || sc.inData || !sc.reading() || sc.mustWait() {
		return
	}
	data := sc.input
	sc.input = nil
	sc.run(data)
}

// reading reports whether the connection still reads: new requests, or
// the body of the streamed request once it is closing.
func (sc *serverConn) reading() bool {
	return sc.hijacked == nil && !sc.closed && (!sc.closing || sc.stream != nil)
}

// earlierPending reports whether answers to requests before the one being
// read are still pending (a 100 Continue waits for them).
func (sc *serverConn) earlierPending() bool {
	n := len(sc.queue)
	if sc.stream != nil {
		n-- // the streamed request's own answer
	}
	return n > 0
}
