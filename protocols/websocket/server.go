package websocket

import (
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	stdhttp "net/http"
	"strings"

	"github.com/evmachine/evmachine/protocols/http"
	"github.com/evmachine/evmachine/reactor"
)

// acceptGUID is RFC 6455's magic string for Sec-WebSocket-Accept.
const acceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// AcceptKey computes Sec-WebSocket-Accept for a Sec-WebSocket-Key.
func AcceptKey(key string) string {
	h := sha1.Sum([]byte(key + acceptGUID))
	return base64.StdEncoding.EncodeToString(h[:])
}

// HandshakeError is a refused upgrade: the HTTP status it was answered
// with and why.
type HandshakeError struct {
	Status int
	Reason string
}

func (e *HandshakeError) Error() string {
	return fmt.Sprintf("websocket: handshake refused (%d): %s", e.Status, e.Reason)
}

// IsUpgrade reports whether req asks for a WebSocket upgrade.
func IsUpgrade(req *stdhttp.Request) bool {
	return headerHasToken(req.Header, "Connection", "upgrade") && headerHasToken(req.Header, "Upgrade", "websocket")
}

func headerHasToken(h stdhttp.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// Upgrade answers req, a request served by protocols/http's Server, with a
// 101 and makes its connection a WebSocket Conn driven by cfg's Handlers
// (OnOpen runs before Upgrade returns). The request went through the HTTP
// server's parser and limits, and TLS if its listener has it (wss://). A
// request that is no valid WebSocket handshake, whose Origin cfg refuses,
// or that offers none of cfg's subprotocols is answered (400, 403, 426)
// and a *HandshakeError returned. It must be called during the Handler's
// Serve of req (see http.Response.Hijack), on the reactor goroutine.
func Upgrade(w *http.Response, req *stdhttp.Request, cfg *Config) (*Conn, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	head, c, herr := answerHandshake(req, cfg)
	if herr != nil {
		refuse(w, herr)
		return nil, herr
	}
	rc, rest, err := w.Hijack(c)
	if err != nil {
		refuse(w, &HandshakeError{Status: stdhttp.StatusInternalServerError, Reason: err.Error()})
		return nil, err
	}
	c.req = req
	c.rc = rc
	rc.Write(head)
	c.open()
	if len(rest) > 0 {
		c.frames(rest)
	}
	return c, nil
}

func refuse(w *http.Response, e *HandshakeError) {
	if e.Status == stdhttp.StatusUpgradeRequired {
		w.Header().Set("Sec-WebSocket-Version", "13")
	}
	stdhttp.Error(w, e.Reason, e.Status)
	w.End()
}

// answerHandshake checks req (RFC 6455 4.2.1) and builds the 101 answer
// and the Conn.
func answerHandshake(req *stdhttp.Request, cfg *Config) ([]byte, *Conn, *HandshakeError) {
	bad := func(status int, format string, args ...any) ([]byte, *Conn, *HandshakeError) {
		return nil, nil, &HandshakeError{Status: status, Reason: fmt.Sprintf(format, args...)}
	}
	switch {
	case req.Method != stdhttp.MethodGet:
		return bad(stdhttp.StatusMethodNotAllowed, "a WebSocket handshake is a GET")
	case !req.ProtoAtLeast(1, 1):
		return bad(stdhttp.StatusBadRequest, "a WebSocket handshake needs HTTP/1.1")
	case !IsUpgrade(req):
		return bad(stdhttp.StatusUpgradeRequired, "not a WebSocket upgrade (Connection: Upgrade, Upgrade: websocket)")
	case req.Header.Get("Sec-WebSocket-Version") != "13":
		return bad(stdhttp.StatusUpgradeRequired, "unsupported Sec-WebSocket-Version (13 is)")
	}
	key := req.Header.Get("Sec-WebSocket-Key")
	if k, err := base64.StdEncoding.DecodeString(key); err != nil || len(k) != 16 {
		return bad(stdhttp.StatusBadRequest, "invalid Sec-WebSocket-Key")
	}
	if cfg.CheckOrigin != nil && !cfg.CheckOrigin(req.Header.Get("Origin"), req) {
		return bad(stdhttp.StatusForbidden, "origin not allowed")
	}
	c := newConn(cfg, RoleServer)
	if len(cfg.Subprotocols) > 0 {
		c.proto = chooseSubprotocol(cfg.Subprotocols, req.Header.Values("Sec-WebSocket-Protocol"))
		if c.proto == "" {
			return bad(stdhttp.StatusBadRequest, "none of the offered subprotocols is spoken here")
		}
	}
	head := []byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + AcceptKey(key) + "\r\n")
	if c.proto != "" {
		head = append(head, "Sec-WebSocket-Protocol: "+c.proto+"\r\n"...)
	}
	if cfg.Compression {
		if answer, d := acceptDeflate(req.Header, cfg.CompressionNoContextTakeover); d != nil {
			c.pmd, c.rd.AllowRSV1 = d, true
			head = append(head, "Sec-WebSocket-Extensions: "+answer+"\r\n"...)
		}
	}
	return append(head, "\r\n"...), c, nil
}

func chooseSubprotocol(ours, offers []string) string {
	for _, p := range ours {
		for _, line := range offers {
			for o := range strings.SplitSeq(line, ",") {
				if strings.TrimSpace(o) == p {
					return p
				}
			}
		}
	}
	return ""
}

// open marks the Conn open and runs OnOpen.
func (c *Conn) open() {
	c.opened = true
	if h := c.cfg.OnOpen; h != nil {
		h(c)
	}
}

// Handler returns a protocols/http Handler that upgrades every request to
// a WebSocket Conn with cfg (and answers those that are no handshake
// with 426). Mount it on an http.ServeMux path next to plain routes.
func Handler(cfg *Config) http.Handler {
	return http.HandlerFunc(func(w *http.Response, req *stdhttp.Request) {
		Upgrade(w, req, cfg)
	})
}

// Listen serves WebSocket alone on network and addr: an http.Server (its
// parsing, limits and timeouts for the handshake) whose every request is
// upgraded with cfg. Pass reactor.WithTLS for wss://. Shut it down with
// the returned Server's Shutdown (open WebSocket connections are the
// program's to Close). Must be called on the reactor goroutine.
func Listen(r *reactor.Reactor, network, addr string, cfg *Config, opts ...reactor.ConnOption) (*http.Server, *reactor.Listener, error) {
	if cfg == nil {
		return nil, nil, errors.New("websocket: Listen with a nil Config")
	}
	srv := &http.Server{Handler: Handler(cfg), Logger: cfg.Logger}
	l, err := srv.Listen(r, network, addr, opts...)
	if err != nil {
		return nil, nil, err
	}
	return srv, l, nil
}
