package websocket

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	stdhttp "net/http"
	"net/url"
	"strings"

	"github.com/evmachine/evmachine/reactor"
)

// maxResponseHead bounds a server's handshake answer.
const maxResponseHead = 16 << 10

// ErrBadHandshake is wrapped by the error a client reports when the
// server's answer is not a valid WebSocket handshake.
var ErrBadHandshake = errors.New("websocket: bad handshake")

// clientHandshake is a client's state until the server's 101 arrives.
type clientHandshake struct {
	req      []byte
	key      string
	head     []byte
	deflate  bool
	failed   bool
	protos   []string
	resp     *stdhttp.Response
	reported bool
}

// Dial opens a WebSocket client connection to rawURL (ws:// or wss://)
// on r and returns its Conn at once; OnOpen runs when the handshake
// completed. A failure that can be known at once (a malformed URL) is
// returned; any later one (refused, TLS, a refused handshake) reaches
// OnError and no OnClose. opts are passed to reactor.Connect (for
// timeouts); wss:// adds reactor.WithTLS(cfg.TLSConfig). Must be called on
// the reactor goroutine.
func Dial(r *reactor.Reactor, rawURL string, cfg *Config, opts ...reactor.ConnOption) (*Conn, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("websocket: %w", err)
	}
	port := "80"
	switch u.Scheme {
	case "ws":
	case "wss":
		port = "443"
		tc := &tls.Config{}
		if cfg.TLSConfig != nil {
			tc = cfg.TLSConfig.Clone()
		}
		if tc.ServerName == "" {
			tc.ServerName = u.Hostname()
		}
		opts = append(opts, reactor.WithTLS(tc))
	default:
		return nil, fmt.Errorf("websocket: unsupported URL scheme %q (ws or wss)", u.Scheme)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("websocket: URL %q has no host", rawURL)
	}
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), port)
	}
	c := newConn(cfg, RoleClient)
	c.hs = newClientHandshake(u, cfg)
	rc, err := r.Connect("tcp", addr, c, opts...)
	if err != nil {
		return nil, err
	}
	c.rc = rc
	return c, nil
}

func newClientHandshake(u *url.URL, cfg *Config) *clientHandshake {
	var k [16]byte
	rand.Read(k[:])
	hs := &clientHandshake{key: base64.StdEncoding.EncodeToString(k[:]), deflate: cfg.Compression, protos: cfg.Subprotocols}
	path := u.RequestURI()
	var b strings.Builder
	fmt.Fprintf(&b, "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n", path, u.Host, hs.key)
	if len(cfg.Subprotocols) > 0 {
		fmt.Fprintf(&b, "Sec-WebSocket-Protocol: %s\r\n", strings.Join(cfg.Subprotocols, ", "))
	}
	if cfg.Compression {
		fmt.Fprintf(&b, "Sec-WebSocket-Extensions: %s\r\n", deflateOffer(cfg.CompressionNoContextTakeover))
	}
	for k, vs := range cfg.Header {
		for _, v := range vs {
			fmt.Fprintf(&b, "%s: %s\r\n", k, strings.NewReplacer("\r", "", "\n", "").Replace(v))
		}
	}
	b.WriteString("\r\n")
	hs.req = []byte(b.String())
	return hs
}

// sendClientHead writes the handshake request once connected.
func (c *Conn) sendClientHead() { c.rc.Write(c.hs.req) }

// clientHead collects the server's answer; once it is whole and valid the
// Conn opens and the bytes after it are returned (the first frames).
func (c *Conn) clientHead(data []byte) []byte {
	hs := c.hs
	start := max(0, len(hs.head)-3)
	hs.head = append(hs.head, data...)
	i := bytes.Index(hs.head[start:], []byte("\r\n\r\n"))
	if i < 0 {
		if len(hs.head) > maxResponseHead {
			c.handshakeFailed(fmt.Errorf("%w: answer head longer than %d bytes", ErrBadHandshake, maxResponseHead))
		}
		return nil
	}
	end := start + i + 4
	rest := hs.head[end:]
	resp, err := stdhttp.ReadResponse(bufio.NewReader(bytes.NewReader(hs.head[:end])), nil)
	if err == nil {
		err = c.checkAnswer(resp)
	}
	if err != nil {
		c.handshakeFailed(err)
		return nil
	}
	hs.resp = resp
	c.hs = nil
	c.open()
	return rest
}

// checkAnswer validates the server's answer (RFC 6455 4.2.2 and 4.1).
func (c *Conn) checkAnswer(resp *stdhttp.Response) error {
	hs := c.hs
	switch {
	case resp.StatusCode != stdhttp.StatusSwitchingProtocols:
		return fmt.Errorf("%w: status %s", ErrBadHandshake, resp.Status)
	case !headerHasToken(resp.Header, "Upgrade", "websocket") || !headerHasToken(resp.Header, "Connection", "upgrade"):
		return fmt.Errorf("%w: no Upgrade: websocket / Connection: Upgrade", ErrBadHandshake)
	case resp.Header.Get("Sec-WebSocket-Accept") != AcceptKey(hs.key):
		return fmt.Errorf("%w: wrong Sec-WebSocket-Accept", ErrBadHandshake)
	}
	if p := resp.Header.Get("Sec-WebSocket-Protocol"); p != "" {
		ok := false
		for _, o := range hs.protos {
			ok = ok || o == p
		}
		if !ok {
			return fmt.Errorf("%w: subprotocol %q was not offered", ErrBadHandshake, p)
		}
		c.proto = p
	}
	d, ok := clientDeflate(resp.Header, hs.deflate, c.cfg.CompressionNoContextTakeover)
	if !ok {
		return fmt.Errorf("%w: extensions %q not acceptable", ErrBadHandshake, resp.Header.Values("Sec-WebSocket-Extensions"))
	}
	if d != nil {
		c.pmd, c.rd.AllowRSV1 = d, true
	}
	return nil
}

// handshakeFailed reports a failed handshake and closes.
func (c *Conn) handshakeFailed(err error) {
	c.hs.failed = true
	c.hs.reported = true
	if h := c.cfg.OnError; h != nil {
		h(c, err)
	}
	c.rc.Close()
}

// fail is called from Unbind for a client that never opened.
func (hs *clientHandshake) fail(c *Conn, reason error) {
	if hs.reported {
		return
	}
	hs.reported = true
	if reason == nil {
		reason = fmt.Errorf("%w: connection closed during the handshake", ErrBadHandshake)
	}
	if h := c.cfg.OnError; h != nil {
		h(c, reason)
	}
}
