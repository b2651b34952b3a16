package http

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"

	"github.com/evmachine/evmachine/reactor"
)

// clientHost is the connection pool and request queue of one
// scheme://host:port: http://a:443 and https://a:443 are two hosts. Every
// connection open or opening counts against the per-host limit, idle or
// busy.
type clientHost struct {
	key   string                   // scheme://host:port, its key in Client.hosts
	addr  string                   // host:port, the address dialled
	tls   *tls.Config              // for https: the config of its connections; nil for http
	conns map[*clientConn]struct{} // open or opening
	idle  []*clientConn            // kept alive, waiting for a request; most recent last
	queue []*ClientRequest         // waiting for a connection, first in first out
	qhead int                      // queue[:qhead] were taken
	// finishing counts connections whose completion callback is running:
	// each frees up right after it, so new requests queue for it rather
	// than open a connection (sequential requests made from callbacks then
	// reuse one connection).
	finishing int
}

func (h *clientHost) qlen() int { return len(h.queue) - h.qhead }

func (h *clientHost) push(r *ClientRequest, front bool) {
	r.queued = h
	if front {
		if h.qhead > 0 {
			h.qhead--
			h.queue[h.qhead] = r
			return
		}
		h.queue = slices.Insert(h.queue, 0, r)
		return
	}
	h.queue = append(h.queue, r)
}

// pop takes the next queued request, or nil.
func (h *clientHost) pop() *ClientRequest {
	if h.qhead == len(h.queue) {
		return nil
	}
	r := h.queue[h.qhead]
	h.queue[h.qhead] = nil
	h.qhead++
	if h.qhead == len(h.queue) {
		h.queue, h.qhead = h.queue[:0], 0
	}
	r.queued = nil
	return r
}

// remove takes a cancelled request out of the queue.
func (h *clientHost) remove(r *ClientRequest) {
	if i := slices.Index(h.queue[h.qhead:], r); i >= 0 {
		h.queue = slices.Delete(h.queue, h.qhead+i, h.qhead+i+1)
	}
	r.queued = nil
}

// popIdle takes the most recently used idle connection still open, or nil.
func (h *clientHost) popIdle() *clientConn {
	for len(h.idle) > 0 {
		cc := h.idle[len(h.idle)-1]
		h.idle[len(h.idle)-1] = nil
		h.idle = h.idle[:len(h.idle)-1]
		if !cc.conn.Closed() {
			return cc
		}
	}
	return nil
}

// clientHostKey returns the pool key for u (scheme://host:port) and the
// address to dial (host:port); the port defaults to 80 for http and 443
// for https.
func clientHostKey(u *url.URL) (key, addr string) {
	scheme := strings.ToLower(u.Scheme)
	port := u.Port()
	if port == "" {
		port = "80"
		if scheme == "https" {
			port = "443"
		}
	}
	addr = net.JoinHostPort(strings.ToLower(u.Hostname()), port)
	return scheme + "://" + addr, addr
}

func (c *Client) hostFor(u *url.URL) *clientHost {
	key, addr := clientHostKey(u)
	h := c.hosts[key]
	if h == nil {
		h = &clientHost{key: key, addr: addr, conns: make(map[*clientConn]struct{})}
		if strings.EqualFold(u.Scheme, "https") {
			h.tls = c.tlsConfig(strings.ToLower(u.Hostname()))
		}
		c.hosts[key] = h
	}
	return h
}

// tlsConfig returns the TLS config of connections to host: a clone of
// WithClientTLSConfig's (or an empty one: the system roots) with
// ServerName host and TLS 1.2 at least where it leaves them empty, and
// ALPN offering http/1.1 alone. Made once per pool, not per connection.
func (c *Client) tlsConfig(host string) *tls.Config {
	cfg := &tls.Config{}
	if c.cfg.tls != nil {
		cfg = c.cfg.tls.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = host
	}
	if cfg.MinVersion == 0 {
		cfg.MinVersion = tls.VersionTLS12
	}
	cfg.NextProtos = []string{"http/1.1"}
	return cfg
}

// start sends r's current attempt: on an idle connection of its host, on a
// new one if the host is below its limit, else it queues (at the front for
// a retry). later says the program's own call is on the stack, so a
// failure must be reported in a later tick.
func (c *Client) start(r *ClientRequest, front, later bool) {
	if c.closed {
		r.fail(ErrClientClosed, later)
		return
	}
	h := c.hostFor(r.out.URL)
	if cc := h.popIdle(); cc != nil {
		cc.send(r)
		return
	}
	if h.finishing > 0 || len(h.conns) >= c.cfg.maxPerHost {
		h.push(r, front)
		return
	}
	if err := c.dial(h, r); err != nil {
		r.fail(err, later)
	}
}

// dial opens a connection to h for r. Connect resolves a host name on
// another goroutine; the request is written at once and sent by the
// reactor when the connect completes (for https, when the TLS handshake
// that follows it completes).
func (c *Client) dial(h *clientHost, r *ClientRequest) error {
	cc := &clientConn{c: c, host: h}
	cc.parser.maxHeader = c.cfg.maxHeader // the body bound is set per response (onHead)
	cc.parser.onHead, cc.parser.onBody = cc.onHead, cc.onBody
	h.conns[cc] = struct{}{}
	opts := []reactor.ConnOption{
		reactor.WithPendingConnectTimeout(c.cfg.connectTimeout),
		reactor.WithInactivityTimeout(c.cfg.inactivity),
	}
	if h.tls != nil {
		opts = append(opts, reactor.WithTLS(h.tls))
	}
	conn, err := c.r.Connect("tcp", h.addr, cc, opts...)
	if err != nil {
		delete(h.conns, cc)
		c.forget(h)
		if errors.Is(err, reactor.ErrNotRunning) { // so that every request cut by Stop says so alike
			err = fmt.Errorf("%w (%w)", reactor.ErrStopped, err)
		}
		return fmt.Errorf("connecting to %s: %w", h.addr, err)
	}
	cc.conn = conn
	cc.send(r)
	return nil
}

// release makes a connection whose response completed serve the next
// queued request of its host, or wait idle for one.
func (c *Client) release(cc *clientConn) {
	if c.closed {
		cc.conn.Close()
		return
	}
	h := cc.host
	if r := h.pop(); r != nil {
		cc.send(r)
		return
	}
	cc.conn.SetInactivityTimeout(c.cfg.idleTimeout)
	h.idle = append(h.idle, cc)
}

// connGone forgets a connection that closed.
func (c *Client) connGone(cc *clientConn) {
	h := cc.host
	delete(h.conns, cc)
	if i := slices.Index(h.idle, cc); i >= 0 {
		h.idle = slices.Delete(h.idle, i, i+1)
	}
}

// pump opens connections for queued requests while the host is below its
// limit, and forgets a host with nothing left. It runs after a connection
// closed or a completion callback returned.
func (c *Client) pump(h *clientHost) {
	for !c.closed && h.qlen() > h.finishing && len(h.conns) < c.cfg.maxPerHost {
		r := h.pop()
		if err := c.dial(h, r); err != nil {
			r.fail(err, false)
		}
	}
	c.forget(h)
}

// forget drops an empty host from the map.
func (c *Client) forget(h *clientHost) {
	if len(h.conns) == 0 && h.qlen() == 0 && h.finishing == 0 && c.hosts[h.key] == h {
		delete(c.hosts, h.key)
	}
}
