package http

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/evmachine/evmachine/timer"
)

// ClientRequest is a request made by a Client: the handle Get, Post, Do and
// the others return, as em-http-request's HttpClient. Before the response
// arrives (that is, on the same callback that made the request or any
// later one until its completion) a program may register OnHeaders and
// Stream callbacks on it, or Cancel it; while it is under way, Pause and
// Resume it. Its methods must be called on the reactor goroutine.
type ClientRequest struct {
	c         *Client
	orig      *http.Request // as given by the program
	out       *http.Request // the attempt on the wire (differs after a redirect)
	method    string
	rawURL    string // the current attempt's URL, for errors
	body      []byte
	wire      []byte // out serialized
	cb        func(*ClientResponse, error)
	onHeaders func(*ClientResponse)
	stream    func([]byte)

	resp      *ClientResponse // being received
	parts     [][]byte        // blocks of a collected body of unknown length, before resp.Body (client_body.go)
	partsLen  int             // bytes in parts
	redirects int             // redirects followed so far
	retried   bool            // already re-sent once after a stale keep-alive connection
	discard   bool            // the response being received is a redirect to follow
	conn      *clientConn     // the connection carrying it, while in flight
	queued    *clientHost     // the host queue it waits in, while queued
	paused    bool            // Pause: its connection is not read
	done      bool
	deadline  *timer.Timer  // WithClientTimeout's; nil when off
	finished  chan struct{} // closed when done; only when the context can be cancelled
}

// OnHeaders registers fn to run once the final response's status and
// headers have arrived, before its body (em-http-request's headers
// callback). Redirects that are followed do not reach it. fn may still
// register Stream, for example when the Content-Length is large: the body
// bound is chosen after fn returns. It returns r. Must be called on the
// reactor goroutine.
func (r *ClientRequest) OnHeaders(fn func(*ClientResponse)) *ClientRequest {
	r.onHeaders = fn
	return r
}

// Stream registers fn to receive the final response's body in pieces as
// they arrive (em-http-request's stream callback) instead of collecting it:
// the completion callback's ClientResponse then has a nil Body. chunk is
// valid only during the call: copy what you keep. A streamed body is not
// bounded by ClientDefaultMaxBodyBytes (only by WithClientMaxBodyBytes, when
// set).
//
// The completion callback ends the stream: with a nil error once the
// body is complete, or with an error if it cannot be: when the server goes
// away mid-body (the connection closes or breaks before the end: the error
// wraps io.ErrUnexpectedEOF or the connection's error, such as
// syscall.ECONNRESET), on a timeout, a Cancel or a cancelled context. A
// consumer that cannot keep up calls Pause, and Resume once it has room.
// It returns r. Must be called on the reactor goroutine.
func (r *ClientRequest) Stream(fn func(chunk []byte)) *ClientRequest {
	r.stream = fn
	return r
}

// Cancel abandons the request: a queued request leaves its queue, an
// in-flight one closes its connection. The callback runs later on the loop
// with an error wrapping ErrClientCanceled. Cancel after completion does
// nothing. Must be called on the reactor goroutine (from elsewhere, cancel
// the request's context or use NextTick).
func (r *ClientRequest) Cancel() { r.abort(ErrClientCanceled, true) }

// Done reports whether the request has completed (its callback has run or
// is about to). Must be called on the reactor goroutine.
func (r *ClientRequest) Done() bool { return r.done }

// ClientResponse is a complete response, or the head of one being streamed.
// It is plain data: once its callback has run, the program may hand it to
// any goroutine.
type ClientResponse struct {
	Status           string // e.g. "200 OK"
	StatusCode       int    // e.g. 200
	Proto            string // e.g. "HTTP/1.1"
	ProtoMajor       int
	ProtoMinor       int
	Header           http.Header
	Trailer          http.Header // trailers of a chunked body, once complete
	ContentLength    int64       // as declared; -1 when unknown (chunked or close-delimited)
	TransferEncoding []string
	// Body is the whole body; nil for a HEAD request, a body-less status or
	// when the request had a Stream callback.
	Body []byte
	// Request is the request this response answers: after redirects, the
	// last one sent.
	Request *http.Request
	// Redirects is the number of redirects followed to get here.
	Redirects int
	// TLS is the state of the TLS connection the response came on (the
	// negotiated version, cipher suite, ALPN protocol and the server's
	// verified certificate chains), or nil for http. Responses from one
	// connection share it: do not modify it.
	TLS *tls.ConnectionState
}

// Response returns the response as a net/http *http.Response whose Body
// reads Body, for code written against net/http. Safe on any goroutine
// that owns r.
func (r *ClientResponse) Response() *http.Response {
	return &http.Response{
		Status: r.Status, StatusCode: r.StatusCode,
		Proto: r.Proto, ProtoMajor: r.ProtoMajor, ProtoMinor: r.ProtoMinor,
		Header: r.Header, Trailer: r.Trailer,
		Body:          io.NopCloser(bytes.NewReader(r.Body)),
		ContentLength: r.ContentLength, TransferEncoding: r.TransferEncoding,
		Request: r.Request, TLS: r.TLS,
	}
}

func clientNewResponse(hr *http.Response, req *http.Request, redirects int) *ClientResponse {
	return &ClientResponse{
		Status: hr.Status, StatusCode: hr.StatusCode,
		Proto: hr.Proto, ProtoMajor: hr.ProtoMajor, ProtoMinor: hr.ProtoMinor,
		Header: hr.Header, Trailer: hr.Trailer,
		ContentLength: hr.ContentLength, TransferEncoding: hr.TransferEncoding,
		Request: req, Redirects: redirects,
	}
}

// newRequest checks req and makes its handle; a bad request is finished
// (later) at once.
func (c *Client) newRequest(req *http.Request, cb func(*ClientResponse, error)) *ClientRequest {
	cr := &ClientRequest{c: c, cb: cb, orig: req}
	if req == nil {
		cr.finishLater(fmt.Errorf("%w: nil request", ErrClientBadRequest))
		return cr
	}
	cr.method = clientMethod(req)
	if req.URL != nil {
		cr.rawURL = req.URL.String()
	}
	if c.closed {
		cr.finishLater(ErrClientClosed)
		return cr
	}
	if err := clientCheckRequest(req); err != nil {
		cr.finishLater(err)
		return cr
	}
	if ctx := req.Context(); ctx.Done() != nil {
		cr.watch(ctx)
	}
	if d := c.cfg.timeout; d > 0 {
		cr.deadline = c.r.AddTimer(d, func() { cr.abort(clientDeadlineError(d), false) })
	}
	return cr
}

// watch cancels the request when ctx ends.
func (r *ClientRequest) watch(ctx context.Context) {
	r.finished = make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			r.c.r.NextTick(func() { r.abort(ctx.Err(), false) })
		case <-r.finished:
		}
	}()
}

// begin sends the first attempt once the body is known.
func (r *ClientRequest) begin(body []byte) {
	r.body = body
	if err := r.prepare(r.orig); err != nil {
		r.finishLater(err)
		return
	}
	r.c.start(r, false, true)
}

// prepare makes the attempt for req (the original or a redirect) and
// serializes it with net/http's Request.Write.
func (r *ClientRequest) prepare(req *http.Request) error {
	out := new(http.Request)
	*out = *req
	out.Body, out.GetBody, out.ContentLength = nil, nil, int64(len(r.body))
	if len(r.body) > 0 {
		out.Body = io.NopCloser(bytes.NewReader(r.body))
	}
	if !r.c.cfg.keepAlive {
		out.Close = true
	}
	ua := r.c.cfg.userAgent
	needUA := ua != "" && out.Header.Get("User-Agent") == ""
	needAuth := out.URL.User != nil && out.Header.Get("Authorization") == ""
	if needUA || needAuth {
		out.Header = out.Header.Clone()
		if out.Header == nil {
			out.Header = make(http.Header)
		}
		if needUA {
			out.Header.Set("User-Agent", ua)
		}
		if needAuth { // as net/http's Transport: userinfo in the URL is Basic auth
			pw, _ := out.URL.User.Password()
			out.SetBasicAuth(out.URL.User.Username(), pw)
		}
	}
	var buf bytes.Buffer
	buf.Grow(256 + len(r.body))
	if err := out.Write(&buf); err != nil {
		return fmt.Errorf("%w: %w", ErrClientBadRequest, err)
	}
	out.Body = nil // consumed; the bytes stay in r.body for a retry or a 307/308
	r.out, r.wire = out, buf.Bytes()
	r.method, r.rawURL = clientMethod(out), out.URL.String()
	return nil
}

func clientMethod(req *http.Request) string {
	if req.Method == "" {
		return http.MethodGet
	}
	return req.Method
}

// clientCheckRequest rejects what cannot be sent: no URL or host, a scheme
// other than http and https, a method or header name that is not a token
// (which would let a caller inject lines into the request).
func clientCheckRequest(req *http.Request) error {
	switch {
	case req.URL == nil:
		return fmt.Errorf("%w: nil URL", ErrClientBadRequest)
	case !strings.EqualFold(req.URL.Scheme, "http") && !strings.EqualFold(req.URL.Scheme, "https"):
		return fmt.Errorf("%w: unsupported protocol scheme %q (only http and https)", ErrClientBadRequest, req.URL.Scheme)
	case req.URL.Host == "":
		return fmt.Errorf("%w: no host in URL", ErrClientBadRequest)
	case !isToken(clientMethod(req)):
		return fmt.Errorf("%w: invalid method %q", ErrClientBadRequest, req.Method)
	}
	for k, vv := range req.Header {
		if !isToken(k) {
			return fmt.Errorf("%w: invalid header name %q", ErrClientBadRequest, k)
		}
		for _, v := range vv {
			if strings.ContainsAny(v, "\r\n\x00") {
				return fmt.Errorf("%w: invalid value for header %q", ErrClientBadRequest, k)
			}
		}
	}
	return nil
}

// settle marks the request done and lets go of what it held. It reports
// false if the request was done already.
func (r *ClientRequest) settle() bool {
	if r.done {
		return false
	}
	r.done = true
	r.conn, r.queued, r.wire, r.body = nil, nil, nil, nil
	if r.deadline != nil {
		r.deadline.Cancel()
		r.deadline = nil
	}
	if r.finished != nil {
		close(r.finished)
	}
	return true
}

// finish completes the request once: its callback runs now.
func (r *ClientRequest) finish(resp *ClientResponse, err error) {
	if !r.settle() {
		return
	}
	if err != nil {
		err = clientURLError(r.method, r.rawURL, err)
	}
	if r.cb != nil {
		r.cb(resp, err)
	}
}

// finishLater completes the request with err, its callback running in a
// later tick: for failures found inside a program's own call.
func (r *ClientRequest) finishLater(err error) {
	if !r.settle() {
		return
	}
	err = clientURLError(r.method, r.rawURL, err)
	r.c.r.NextTick(func() {
		if r.cb != nil {
			r.cb(nil, err)
		}
	})
}

// abort takes the request off its queue or connection and fails it.
func (r *ClientRequest) abort(err error, later bool) {
	if r.done {
		return
	}
	if h := r.queued; h != nil {
		h.remove(r)
	}
	if cc := r.conn; cc != nil {
		cc.detach()
		cc.conn.Close()
	}
	if later {
		r.finishLater(err)
	} else {
		r.finish(nil, err)
	}
}
