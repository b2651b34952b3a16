package http

import (
	"fmt"
	"io"
	"net/http"

	"github.com/evmachine/evmachine/reactor"
)

// Client is an evented HTTP/1.1 client in the spirit of em-http-request:
// each request takes a callback that runs on the reactor goroutine when the
// response is complete (or failed), and the loop goes on meanwhile.
//
// It fetches http:// and https:// URLs. It keeps connections alive and
// reuses them per scheme, host and port, TLS connections included, with at
// most WithClientMaxConnsPerHost connections to one of them at a time
// (requests beyond wait in a queue); resolves host names off the loop
// (through reactor.Connect); decodes Content-Length, chunked and
// close-delimited bodies; bounds a body collected in memory
// (ClientDefaultMaxBodyBytes, 64 MiB; a streamed one is not bounded by
// default); applies a connect timeout (default 5 s), an inactivity timeout
// (default 10 s) and, if set, an overall per-request timeout
// (WithClientTimeout); and, when asked, follows redirects up to a limit,
// between http and https too.
//
// https is verified by default: the server's certificate must chain to the
// system's roots (or WithClientTLSConfig's RootCAs) and name the URL's
// host, with TLS 1.2 at least; nothing in the client turns that off. The
// TLS handshake runs off the loop (reactor.WithTLS) and is bounded by
// reactor.DefaultTLSHandshakeTimeout. A failed verification fails the
// request as a failed connect does: a *url.Error whose chain holds
// crypto/x509's error (x509.UnknownAuthorityError, x509.HostnameError,
// x509.CertificateInvalidError; errors.As finds it) or crypto/tls's.
//
// NewClient may be called on any goroutine; every other method of Client
// and ClientRequest must be called on the reactor goroutine (from another
// goroutine, use r.NextTick(func() { c.Get(...) })). Callbacks never run
// inside the call that made the request.
type Client struct {
	r      *reactor.Reactor
	cfg    clientConfig
	hosts  map[string]*clientHost
	closed bool
}

// NewClient returns a Client that runs its requests on r. Safe for
// concurrent use (it touches nothing of r).
func NewClient(r *reactor.Reactor, opts ...ClientOption) *Client {
	cfg := clientDefaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	return &Client{r: r, cfg: cfg, hosts: make(map[string]*clientHost)}
}

// Get requests url with GET, as net/http's Client.Get, and calls cb with
// the response. Must be called on the reactor goroutine.
func (c *Client) Get(url string, cb func(*ClientResponse, error)) *ClientRequest {
	return c.send(http.MethodGet, url, "", nil, cb)
}

// Head requests url with HEAD: the response has headers (Content-Length
// included) but no body. Must be called on the reactor goroutine.
func (c *Client) Head(url string, cb func(*ClientResponse, error)) *ClientRequest {
	return c.send(http.MethodHead, url, "", nil, cb)
}

// Post sends body to url with POST and the given Content-Type (none if
// ""). body is not copied: do not change it until cb runs. Must be called
// on the reactor goroutine.
func (c *Client) Post(url, contentType string, body []byte, cb func(*ClientResponse, error)) *ClientRequest {
	return c.send(http.MethodPost, url, contentType, body, cb)
}

// Put sends body to url with PUT, as Post. Must be called on the reactor
// goroutine.
func (c *Client) Put(url, contentType string, body []byte, cb func(*ClientResponse, error)) *ClientRequest {
	return c.send(http.MethodPut, url, contentType, body, cb)
}

// Delete requests url with DELETE. Must be called on the reactor goroutine.
func (c *Client) Delete(url string, cb func(*ClientResponse, error)) *ClientRequest {
	return c.send(http.MethodDelete, url, "", nil, cb)
}

func (c *Client) send(method, url, contentType string, body []byte, cb func(*ClientResponse, error)) *ClientRequest {
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		cr := &ClientRequest{c: c, cb: cb, method: method, rawURL: url}
		cr.finishLater(fmt.Errorf("%w: %w", ErrClientBadRequest, err))
		return cr
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.cfg.userAgent != "" {
		req.Header.Set("User-Agent", c.cfg.userAgent)
	}
	cr := c.newRequest(req, cb)
	if !cr.done {
		cr.begin(body)
	}
	return cr
}

// Do sends req, a standard *http.Request (http.NewRequest or
// NewRequestWithContext builds one), and calls cb with the response, as
// net/http's Client.Do. The request's context cancels it: cb then gets the
// context's error. A body is read in full before the request is sent: the
// in-memory bodies http.NewRequest recognises (bytes and strings readers
// and buffers, which set GetBody) at once, any other io.Reader on a
// separate goroutine, so the loop never blocks on it. req must not be
// changed until cb runs. Must be called on the reactor goroutine.
func (c *Client) Do(req *http.Request, cb func(*ClientResponse, error)) *ClientRequest {
	cr := c.newRequest(req, cb)
	if cr.done {
		return cr
	}
	switch {
	case req.Body == nil || req.Body == http.NoBody:
		cr.begin(nil)
	case req.GetBody != nil:
		body, err := clientReadBody(req.GetBody)
		req.Body.Close()
		if err != nil {
			cr.finishLater(err)
			return cr
		}
		cr.begin(body)
	default:
		go func() {
			body, err := io.ReadAll(req.Body)
			req.Body.Close()
			c.r.NextTick(func() {
				if cr.done {
					return
				}
				if err != nil {
					cr.finish(nil, fmt.Errorf("%w: reading the body: %w", ErrClientBadRequest, err))
					return
				}
				cr.begin(body)
			})
		}()
	}
	return cr
}

func clientReadBody(get func() (io.ReadCloser, error)) ([]byte, error) {
	rc, err := get()
	if err != nil {
		return nil, fmt.Errorf("%w: reading the body: %w", ErrClientBadRequest, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("%w: reading the body: %w", ErrClientBadRequest, err)
	}
	return b, nil
}

// CloseIdleConnections closes the kept-alive connections that carry no
// request. Must be called on the reactor goroutine.
func (c *Client) CloseIdleConnections() {
	for _, h := range c.hosts {
		for _, cc := range h.idle {
			cc.conn.Close()
		}
	}
}

// Close fails every queued and in-flight request with ErrClientClosed
// (their callbacks run later on the loop), closes every connection, and
// makes later requests fail the same way. Must be called on the reactor
// goroutine.
func (c *Client) Close() {
	c.closed = true
	for _, h := range c.hosts {
		for _, cr := range h.queue {
			if cr != nil {
				cr.queued = nil
				cr.finishLater(ErrClientClosed)
			}
		}
		h.queue, h.qhead = nil, 0
		for cc := range h.conns {
			if cr := cc.req; cr != nil {
				cc.detach()
				cr.finishLater(ErrClientClosed)
			}
			cc.conn.Close()
		}
	}
}
