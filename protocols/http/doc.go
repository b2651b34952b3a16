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
//	srv.Listen(r, "tcp", "127.0.0.1:8085")
//
// A Response is an http.ResponseWriter and an http.Flusher: set the status
// and headers, Write the body in one piece (it is sent with a
// Content-Length when End is called) or Flush to stream it (chunked for
// HTTP/1.1 clients), then End. Adapt runs an ordinary http.Handler, which
// may block, on the reactor's Defer pool; Inline runs a non-blocking one on
// the loop.
//
// A handler that streams a large body watches Response.OutboundSize and
// writes more from a timer or a NextTick when it is low, as EventMachine's
// FileStreamer does. RequestBody gives the request body without a copy.
// Server.Shutdown stops gracefully: listeners close, idle connections
// close, answers under way complete.
//
// The Server speaks HTTP/1.0 and 1.1: keep-alive, pipelined requests
// (handled as they arrive, answered in order), Content-Length and chunked
// request bodies (read completely, within MaxBodyBytes, before the handler
// runs), Expect: 100-continue, HEAD and Connection: close. Every limit ends
// in a clear response and a closed connection, never a crash: an oversized
// request head (431), an oversized body (413), a malformed request (400),
// an unsupported version (505), a request that arrives too slowly (408).
// Idle keep-alive connections are closed after IdleTimeout, and a
// connection with MaxPipelined requests awaiting their answers is not read
// until one is answered. A panic in a handler is logged and answered with
// 500; the server goes on.
//
// # Client
//
// A Client (NewClient) makes requests from the loop, as em-http-request:
// Get, Head, Post, Put, Delete and Do take a callback that runs on the
// reactor goroutine with the *ClientResponse once it is complete. It keeps
// connections alive per host, resolves names off the loop, and applies
// connect and inactivity timeouts and, with WithClientTimeout, an overall
// one per request; see Client. A body collected into ClientResponse.Body
// is bounded (ClientDefaultMaxBodyBytes, 64 MiB, unless
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
