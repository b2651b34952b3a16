package http

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"syscall"

	"github.com/evmachine/evmachine/reactor"
)

// clientConn is the thin adapter between one reactor.Conn and the pure
// response parser: it writes a request's bytes, feeds what arrives to the
// parser and turns the parser's events and the Conn's Unbind into the
// request's callbacks. It carries one request at a time.
type clientConn struct {
	c         *Client
	host      *clientHost
	conn      *reactor.Conn
	req       *ClientRequest // in flight; nil while idle
	parser    clientParser
	connected bool                 // the TCP connect completed
	tlsState  *tls.ConnectionState // https: once the handshake completed
	served    int                  // responses completed on this connection
	stalled   bool                 // parsing stopped at a pause of req; resume goes on from held
	resuming  bool                 // resume has scheduled the rest of the parsing
	held      []byte               // when stalled: bytes read but not parsed yet (at most one read)
}

var (
	_ reactor.Handler       = (*clientConn)(nil)
	_ reactor.TLSHandshaker = (*clientConn)(nil)
)

// PostInit keeps the Conn (Connect calls it before it returns).
func (cc *clientConn) PostInit(conn *reactor.Conn) { cc.conn = conn }

// ConnectionCompleted notes that the connect succeeded; the request written
// meanwhile is being sent by the reactor.
func (cc *clientConn) ConnectionCompleted(*reactor.Conn) { cc.connected = true }

// TLSHandshakeCompleted keeps the TLS state for the responses
// (ClientResponse.TLS) and holds the connection now if its request was
// paused during the handshake (see hold).
func (cc *clientConn) TLSHandshakeCompleted(conn *reactor.Conn) {
	if st, ok := conn.TLSState(); ok {
		cc.tlsState = &st
	}
	if r := cc.req; r != nil && r.paused {
		conn.PauseReading()
	}
}

// handshaking reports whether the connection's TLS handshake has not
// completed yet.
func (cc *clientConn) handshaking() bool {
	return cc.host.tls != nil && cc.tlsState == nil
}

// send writes r's attempt on this connection. A failed write closes the
// Conn, whose Unbind then reports (or retries) the request.
func (cc *clientConn) send(r *ClientRequest) {
	cc.req, r.conn, r.queued = r, cc, nil
	r.resp, r.parts, r.partsLen, r.discard = nil, nil, 0, false
	cc.held, cc.stalled = nil, false
	cc.parser.reset(r.out)
	if cc.served > 0 {
		cc.conn.SetInactivityTimeout(cc.c.cfg.inactivity)
	}
	if r.paused {
		cc.hold()
	}
	cc.conn.Write(r.wire)
}

// detach unlinks the in-flight request from the connection.
func (cc *clientConn) detach() {
	if cc.req != nil {
		cc.req.conn = nil
		cc.req = nil
	}
}

// ReceiveData feeds the parser. Bytes on an idle connection, or after a
// complete response, are not a reply to anything: the connection closes.
func (cc *clientConn) ReceiveData(conn *reactor.Conn, data []byte) {
	r := cc.req
	if r == nil {
		conn.Close()
		return
	}
	if cc.stalled { // not expected (a held Conn is not read), but keep the order
		cc.held = append(cc.held, data...)
		return
	}
	cc.parse(r, data)
}

// parse feeds data to the parser for r and acts on the outcome: the
// response completed, failed, or a callback paused r (the bytes not parsed
// are kept for resume) or cancelled it.
func (cc *clientConn) parse(r *ClientRequest, data []byte) {
	n, err := cc.parser.feed(data)
	if err == errClientStop || cc.req != r {
		return // a callback cancelled the request (or closed the client)
	}
	switch {
	case err == errClientPause:
		cc.stalled = true
		if n < len(data) {
			cc.held = append([]byte(nil), data[n:]...)
		}
		return
	case err != nil:
		cc.detach()
		cc.conn.Close()
		r.finish(nil, err)
		return
	}
	if cc.parser.done() {
		reusable := n == len(data) && cc.parser.keepAlive() && !r.out.Close && cc.c.cfg.keepAlive
		cc.complete(r, reusable)
	}
}

// Unbind ends the connection: a close-delimited body completes, a request
// cut short fails (or, on a reused connection the server had already given
// up on, is sent again once), queued requests get a new connection.
func (cc *clientConn) Unbind(_ *reactor.Conn, reason error) {
	cc.c.connGone(cc)
	r := cc.req
	if r != nil && cc.stalled && reason == io.EOF {
		// Bytes held at a pause came before the end: the pause cannot hold
		// them any longer (the parser ignores it on a closed Conn).
		cc.parseHeld(r)
		r = cc.req // nil if that completed or failed the request
	}
	if r == nil {
		cc.c.pump(cc.host)
		return
	}
	var eofErr error
	if reason == io.EOF {
		if eofErr = cc.parser.eof(); eofErr == nil {
			cc.complete(r, false)
			return
		}
	}
	cc.detach()
	if cc.retryable(r, reason) {
		r.retried = true
		cc.c.start(r, true, false)
	} else {
		r.finish(nil, cc.unbindError(reason, eofErr))
	}
	cc.c.pump(cc.host)
}

// complete hands a finished response to its request: a redirect to follow
// starts the next attempt, anything else runs the callback. While the
// callback runs, requests for this host queue for this connection; after
// it, the connection serves them or waits idle, or closes.
func (cc *clientConn) complete(r *ClientRequest, reusable bool) {
	cc.detach()
	cc.served++
	if cc.conn.Paused() { // freed by a paused request (a redirect it follows): read again
		cc.unhold()
	}
	resp := r.resp
	resp.Body = r.collected()
	if tr := cc.parser.trailer(); tr != nil {
		resp.Trailer = tr
	}
	if r.discard {
		cc.recycle(reusable)
		r.redirect(resp)
		return
	}
	h := cc.host
	h.finishing++
	ok := false
	defer func() {
		h.finishing--
		if ok && reusable && !cc.conn.Closed() {
			cc.c.release(cc)
		} else {
			cc.conn.Close()
		}
		cc.c.pump(h) // requests the callback queued beyond the one this connection took
	}()
	r.finish(resp, r.finalErr())
	ok = true
}

// recycle frees the connection after a redirect response: it serves the
// next request or waits idle, or closes (and its queued requests get new
// connections).
func (cc *clientConn) recycle(reusable bool) {
	if reusable && !cc.conn.Closed() {
		cc.c.release(cc)
		return
	}
	cc.conn.Close()
	cc.c.pump(cc.host)
}

// retryable reports whether a request that failed on a kept-alive
// connection may be sent again: the server closed or reset a connection
// that had served before without a byte of this response (it gave up on
// the idle connection as the request went out), the request is replayable
// as net/http defines it, and it was not retried already.
func (cc *clientConn) retryable(r *ClientRequest, reason error) bool {
	if cc.served == 0 || cc.parser.started || r.retried {
		return false
	}
	if reason != io.EOF && !errors.Is(reason, syscall.ECONNRESET) && !errors.Is(reason, syscall.EPIPE) {
		return false
	}
	switch r.method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	h := r.out.Header
	return h.Get("Idempotency-Key") != "" || h.Get("X-Idempotency-Key") != ""
}

// unbindError says why a request failed when its connection closed.
func (cc *clientConn) unbindError(reason, eofErr error) error {
	addr := cc.host.addr
	switch {
	case errors.Is(reason, reactor.ErrConnectTimeout):
		return clientTimeoutError{fmt.Errorf("connecting to %s: no connection within %v: %w",
			addr, cc.c.cfg.connectTimeout, reason)}
	case errors.Is(reason, reactor.ErrInactivityTimeout):
		return clientTimeoutError{fmt.Errorf("waiting for %s: no traffic for %v: %w",
			addr, cc.c.cfg.inactivity, reason)}
	case eofErr != nil:
		return fmt.Errorf("reading the response from %s: %w", addr, eofErr)
	case reason == nil:
		return fmt.Errorf("connection to %s closed locally: %w", addr, ErrClientClosed)
	case errors.Is(reason, reactor.ErrTLSHandshakeTimeout):
		return clientTimeoutError{fmt.Errorf("connecting to %s: %w", addr, reason)}
	case !cc.connected || cc.handshaking():
		return fmt.Errorf("connecting to %s: %w", addr, reason)
	default:
		return fmt.Errorf("reading the response from %s: %w", addr, reason)
	}
}

// onHead is the parser's head event: it makes the ClientResponse, decides
// whether this response is a redirect to follow, and sets the body bound
// once OnHeaders has run (it may register Stream).
func (cc *clientConn) onHead(hr *http.Response) error {
	r := cc.req
	resp := clientNewResponse(hr, r.out, r.redirects)
	resp.TLS = cc.tlsState
	r.resp = resp
	if cc.c.isRedirect(resp) && r.redirects < cc.c.cfg.redirects {
		r.discard = true
	} else if r.onHeaders != nil {
		r.onHeaders(resp)
		if cc.req != r {
			return errClientStop
		}
	}
	cc.setBodyLimit(r)
	return cc.pausedErr(r)
}

// setBodyLimit bounds the body about to arrive: a streamed one by
// WithClientMaxBodyBytes alone, one collected (or discarded, a redirect's)
// by the collected-body bound too.
func (cc *clientConn) setBodyLimit(r *ClientRequest) {
	p, cfg := &cc.parser, &cc.c.cfg
	if r.stream != nil && !r.discard {
		p.maxBody, p.bodyNote = cfg.maxBody, " (WithClientMaxBodyBytes)"
		return
	}
	p.maxBody, p.bodyNote = cfg.maxBuffered, clientBufferedNote
	if cfg.maxBuffered != cfg.maxBody {
		p.bodyNote = clientDefaultNote
	}
}

// The notes a too-large error gives after the bound.
const (
	clientBufferedNote = ", the bound on a body collected in memory (WithClientMaxBodyBytes)"
	clientDefaultNote  = ", the default bound on a body collected in memory " +
		"(ClientDefaultMaxBodyBytes; Stream the body, or set WithClientMaxBodyBytes)"
)

// onBody is the parser's body event: the bytes go to the Stream callback,
// into the response's Body, or nowhere (a redirect being followed).
func (cc *clientConn) onBody(b []byte) error {
	r := cc.req
	switch {
	case r.discard:
		return cc.pausedErr(r)
	case r.stream != nil:
		r.stream(b)
		if cc.req != r {
			return errClientStop
		}
		return cc.pausedErr(r)
	default:
		r.collect(b, cc.parser.maxBody)
	}
	return nil
}
