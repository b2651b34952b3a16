// Package http is evmachine's HTTP/1.1: an evented server whose handlers
// may answer at any later time on the reactor goroutine, and a client in the
// spirit of em-http-request. Import it under another name next to net/http,
// for example:
//
//	import (
//		"net/http"
//		evhttp "github.com/evmachine/evmachine/protocols/http"
//	)
//
// # Server
//
// A Server is a reactor protocol: Server.Listen (or r.Listen with
// Server.NewHandler) gives every accepted connection an HTTP/1.x handler.
// For each request the Server calls its Handler with the request as an
// *http.Request (net/http's type, parsed by net/http's own parser, so the
// usual helpers apply) and a *Response. The handler may complete the
// Response before it returns, or later on the loop: after a timer, after
// a Defer, after another connection answered. Answering later is the normal
// case, not an exception:
//
//	srv := &evhttp.Server{Handler: evhttp.HandlerFunc(func(w *evhttp.Response, req *http.Request) {
//		r.AddTimer(300*time.Millisecond, func() {
//			w.Header().Set("Content-Type", "application/json")
//			w.Write(body)
//			w.End()
//		})
//	})}
//	if _, err := srv.Listen(r, "tcp", "127.0.0.1:8085"); err != nil {
//		return err // in Run's setup: stops the reactor, and Run returns it
//	}
//
// Server.ListenTLS serves HTTPS: every accepted connection speaks TLS with
// the given tls.Config (cloned, "http/1.1" added to its ALPN protocols as
// net/http's ServeTLS does, TLS 1.2 at least) through the reactor's TLS
// stage (reactor.WithTLS), its handshake off the loop. A request that came
// over TLS has req.TLS set, as net/http sets it; req.URL.Scheme stays
// empty for an ordinary request, as with net/http's server.
//
// A Response is an http.ResponseWriter and an http.Flusher: set the status
// and headers, Write the body in one piece (it is sent with a
// Content-Length when End is called) or Flush to stream it (chunked for
// HTTP/1.1 clients), then End. An answer that makes no progress for
// AnswerTimeout (60 s) is ended for the handler: 503 if nothing went out,
// else the connection closes, and a warning names the route.
//
// NewServeMux routes evented handlers with net/http's own patterns
// ("GET /items/{id}", req.PathValue("id")), 404, 405 and redirects
// included; its routes may answer later. Sync ends the answer when a
// handler returns, as net/http does; Inline does the same for an
// http.Handler that does not block, and Adapt runs one that may block on
// the reactor's Defer pool.
//
// A handler that streams a large answer writes while Response.OutboundSize
// is below its mark and goes on from Response.OnDrained, which runs when
// the backlog has gone to the kernel; Response.OnClose says that the client
// went away. RequestBody gives a buffered request body without a copy.
// Server.Shutdown stops gracefully: listeners close, idle connections
// close, answers under way complete.
//
// Request bodies are read completely before the handler runs, within
// MaxBodyBytes, and all the bodies a Server buffers at once share
// MaxBodyMemory (64 MiB): a connection whose body does not fit waits,
// unread, until others are answered, so a flood of large uploads cannot
// take the server's memory. A Handler that is a BodyStreamer (StreamBody
// wraps one; a ServeMux route registered with one) gets its bodies as
// they arrive instead: it is called at the head, and RequestStream(req)
// delivers the body in runs (OnData, OnEnd) with Pause and Resume to hold
// the client back.
//
// The Server speaks HTTP/1.0 and 1.1: keep-alive, pipelined requests
// (handled as they arrive, answered in order), Content-Length and chunked
// request bodies, Expect: 100-continue, HEAD and Connection: close.
// Request heads are parsed by net/http's ReadRequest, then checked as
// net/http's server and RFC 9112 require: header names must be tokens (a
// "Content-Length : 5" is refused, not ignored), Transfer-Encoding in
// HTTP/1.0 is refused, a request with both Content-Length and
// Transfer-Encoding is answered and its connection closed, and at most
// two empty lines may precede a request. Every limit ends in a clear
// response and a closed connection, never a crash: an oversized request
// head (431), an oversized body (413), a malformed request or one cut
// short by the client (400), an unsupported version (505), a request that
// arrives too slowly (408). A new connection has ReadHeaderTimeout to
// start its first request, a kept-alive one IdleTimeout for each next one,
// and a connection with MaxPipelined requests awaiting their answers is
// not read until one is answered. A panic in a handler is logged and
// answered with 500; the server goes on.
//
// # Client
//
// A Client (NewClient) makes requests from the loop, as em-http-request:
// Get, Head, Post, Put, Delete and Do take a callback that runs on the
// reactor goroutine with the *ClientResponse once it is complete. It
// fetches http:// and https:// URLs, keeps connections alive per scheme,
// host and port (TLS connections too), resolves names off the loop, and
// applies connect and inactivity timeouts and, with WithClientTimeout, an
// overall one per request; see Client. https is verified by default: the
// server's certificate must chain to the system's roots, or to the RootCAs
// of WithClientTLSConfig, and name the URL's host; a failure is reported
// as a failed connect whose error chain holds crypto/x509's error
// (x509.UnknownAuthorityError, x509.HostnameError). ClientResponse.TLS
// holds the connection's TLS state. With WithClientRedirects, redirects
// between http and https are followed both ways (credentials are not sent
// to another host, nor from https down to http). A body collected into
// ClientResponse.Body is bounded (ClientDefaultMaxBodyBytes, 64 MiB, unless
// WithClientMaxBodyBytes): past it the request fails with
// ErrClientResponseTooLarge. A larger body is for ClientRequest.Stream,
// which gets it in pieces; a consumer that cannot keep up calls
// ClientRequest.Pause, which stops reading the connection so that TCP
// holds the server back, and Resume when it has room.
//
// # Goroutines
//
// Like everything built on the reactor, the Server, its Responses and its
// handlers belong to the reactor goroutine: handlers are called there and
// Response methods must be called there. Code on another goroutine reaches
// a Response with r.NextTick(func() { w.Write(b); w.End() }). The fields of
// a Server must not change once it serves.
package http
