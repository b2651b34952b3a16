package http

import (
	"crypto/tls"
	"time"
)

// ClientOption configures a Client (for NewClient). Options are plain
// values: build them on any goroutine.
type ClientOption func(*clientConfig)

type clientConfig struct {
	connectTimeout time.Duration
	inactivity     time.Duration
	idleTimeout    time.Duration
	maxPerHost     int
	redirects      int
	maxHeader      int
	maxBody        int64         // bound on a streamed body; 0: none
	maxBuffered    int64         // bound on a body collected into ClientResponse.Body; 0: none
	timeout        time.Duration // overall per-request deadline; 0: none
	keepAlive      bool
	userAgent      string
	tls            *tls.Config // WithClientTLSConfig's clone; nil: the default
}

// Client defaults. The two timeouts are em-http-request's.
const (
	ClientDefaultConnectTimeout    = 5 * time.Second
	ClientDefaultInactivityTimeout = 10 * time.Second
	ClientDefaultIdleTimeout       = 90 * time.Second
	ClientDefaultMaxConnsPerHost   = 8
	ClientDefaultMaxHeaderBytes    = 1 << 20
	ClientDefaultUserAgent         = "evmachine-http-client/1"

	// ClientDefaultMaxBodyBytes bounds a body collected into
	// ClientResponse.Body (a request without a Stream callback) unless
	// WithClientMaxBodyBytes says otherwise. Such a body is held whole in
	// memory, so without a bound one server sending an endless chunked or
	// close-delimited body can exhaust the process. 64 MiB is far above
	// the API documents and pages programs load whole (KiB to a few MiB)
	// while bounding what one request can pin; a body that may be larger
	// is for Stream, which this default does not limit.
	ClientDefaultMaxBodyBytes = 64 << 20
)

func clientDefaultConfig() clientConfig {
	return clientConfig{
		connectTimeout: ClientDefaultConnectTimeout,
		inactivity:     ClientDefaultInactivityTimeout,
		idleTimeout:    ClientDefaultIdleTimeout,
		maxPerHost:     ClientDefaultMaxConnsPerHost,
		maxHeader:      ClientDefaultMaxHeaderBytes,
		maxBuffered:    ClientDefaultMaxBodyBytes,
		keepAlive:      true,
		userAgent:      ClientDefaultUserAgent,
	}
}

// WithClientConnectTimeout bounds how long connecting, name resolution
// included, may take (default 5 s, as em-http-request's connect_timeout;
// 0 disables). A request that hits it fails with an error wrapping
// reactor.ErrConnectTimeout.
func WithClientConnectTimeout(d time.Duration) ClientOption {
	return func(c *clientConfig) { c.connectTimeout = max(d, 0) }
}

// WithClientInactivityTimeout fails a request when its connection carries
// no traffic in either direction for d (default 10 s, as em-http-request's
// inactivity_timeout; 0 disables). Every byte sent or received restarts the
// count, so a slow but steady response is never cut. The error wraps
// reactor.ErrInactivityTimeout.
func WithClientInactivityTimeout(d time.Duration) ClientOption {
	return func(c *clientConfig) { c.inactivity = max(d, 0) }
}

// WithClientIdleTimeout closes a kept-alive connection that has waited d
// for its next request (default 90 s, as net/http's IdleConnTimeout; 0
// keeps idle connections until the server closes them).
func WithClientIdleTimeout(d time.Duration) ClientOption {
	return func(c *clientConfig) { c.idleTimeout = max(d, 0) }
}

// WithClientMaxConnsPerHost limits the connections open (or opening) to one
// host:port at a time (default 8; values below 1 mean 1). Requests beyond
// the limit wait in a first-in first-out queue for a connection to free up.
func WithClientMaxConnsPerHost(n int) ClientOption {
	return func(c *clientConfig) { c.maxPerHost = max(n, 1) }
}

// WithClientRedirects makes the client follow up to n redirects per
// request (default 0: redirects are returned to the callback as ordinary
// responses, as em-http-request's redirects: 0). 301, 302 and 303 are
// followed with GET and no body (HEAD stays HEAD); 307 and 308 keep the
// method and body. When a response is still a redirect after n, the
// callback gets it together with an error wrapping
// ErrClientTooManyRedirects.
func WithClientRedirects(n int) ClientOption {
	return func(c *clientConfig) { c.redirects = max(n, 0) }
}

// WithClientMaxHeaderBytes bounds a response's status line and header
// block, and separately its chunked trailers (default 1 MiB).
func WithClientMaxHeaderBytes(n int) ClientOption {
	return func(c *clientConfig) {
		if n > 0 {
			c.maxHeader = n
		}
	}
}

// WithClientMaxBodyBytes bounds every response body as decoded, streamed
// or collected, to n bytes (n <= 0: no bound at all). Without it, a
// collected body is bounded by ClientDefaultMaxBodyBytes and a streamed
// one (Stream) is not. A larger response fails with an error wrapping
// ErrClientResponseTooLarge that names the bound, and its connection is
// closed: at once when its Content-Length says so, else as soon as the
// bytes pass the bound (chunked and close-delimited bodies alike), so at
// most about n bytes of it are ever held.
func WithClientMaxBodyBytes(n int64) ClientOption {
	return func(c *clientConfig) { c.maxBody, c.maxBuffered = max(n, 0), max(n, 0) }
}

// WithClientTimeout bounds each request as a whole, as net/http's
// Client.Timeout: from the call that makes it until its response body is
// complete, time spent queued for a connection, connecting, following
// redirects, and reading or streaming the body included (default 0: no
// bound). A request that hits it fails with a net.Error whose Timeout()
// is true and that wraps ErrClientTimeout and context.DeadlineExceeded; its
// connection is closed. It runs alongside the inactivity timeout, which
// only notices a silent connection, and a request context's deadline.
func WithClientTimeout(d time.Duration) ClientOption {
	return func(c *clientConfig) { c.timeout = max(d, 0) }
}

// WithClientKeepAlive turns connection reuse on or off (default on). Off,
// every request carries "Connection: close" and gets its own connection.
func WithClientKeepAlive(on bool) ClientOption {
	return func(c *clientConfig) { c.keepAlive = on }
}

// WithClientUserAgent sets the User-Agent sent when a request has none
// (default "evmachine-http-client/1"; "" sends net/http's default).
func WithClientUserAgent(ua string) ClientOption {
	return func(c *clientConfig) { c.userAgent = ua }
}

// WithClientTLSConfig sets the TLS configuration of https:// connections
// (default: an empty tls.Config, which verifies servers against the
// system's roots). cfg is cloned, so later changes to it have no effect.
// For each host the client fills in what cfg leaves empty: ServerName (the
// URL's host, which the certificate must name), MinVersion (TLS 1.2); and
// it offers "http/1.1" alone with ALPN, the only protocol it speaks. Give
// RootCAs to trust a private CA, Certificates for client certificates.
// The client never turns verification off; only cfg.InsecureSkipVerify
// does.
func WithClientTLSConfig(cfg *tls.Config) ClientOption {
	cfg = cfg.Clone()
	return func(c *clientConfig) { c.tls = cfg }
}
