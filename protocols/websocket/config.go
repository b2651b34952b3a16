package websocket

import (
	"crypto/tls"
	"log/slog"
	"net/http"
	"time"
)

// DefaultCloseTimeout bounds the close handshake: how long a Conn waits
// for the peer's close frame (and, on a client, for the server to close
// the TCP connection) before it closes the connection itself.
const DefaultCloseTimeout = 5 * time.Second

// Handlers are the callbacks of a Conn, em-websocket's onopen, onmessage,
// onbinary, onclose, onerror, onping and onpong, plus OnDrained for
// backpressure. Nil fields do nothing. They run on the reactor goroutine.
type Handlers struct {
	// OnOpen runs once the handshake completed; the Conn may send from then on.
	OnOpen func(c *Conn)
	// OnMessage gets each text message (valid UTF-8).
	OnMessage func(c *Conn, msg string)
	// OnBinary gets each binary message; msg is valid only during the call.
	OnBinary func(c *Conn, msg []byte)
	// OnClose runs exactly once for a Conn that was opened, when its
	// connection is gone.
	OnClose func(c *Conn, ev CloseEvent)
	// OnError gets what went wrong before an unclean close: the peer's
	// protocol error (*ProtocolError), a failed handshake, ErrCloseTimeout.
	OnError func(c *Conn, err error)
	// OnPing gets each ping's payload (the pong is sent automatically).
	OnPing func(c *Conn, payload []byte)
	// OnPong gets each pong's payload.
	OnPong func(c *Conn, payload []byte)
	// OnDrained runs when the outbound backlog that built up has been
	// handed to the kernel: a producer that stopped at its high-water mark
	// (see OutboundSize) goes on here.
	OnDrained func(c *Conn)
}

// CloseEvent describes how a Conn ended. Code and Reason are those of the
// peer's close frame (1005 when it had none); Code is 1006 when no close
// frame arrived. WasClean is true when both close frames were exchanged.
// Err is the cause of an unclean end (a *ProtocolError, ErrCloseTimeout,
// the reactor's reason such as io.EOF or a reset), nil for a clean one.
type CloseEvent struct {
	Code     uint16
	Reason   string
	WasClean bool
	Err      error
}

// Config configures a server (Upgrade, Handler, Listen) or a client
// (Dial). The zero value works with defaults; it must not change once in
// use, and may be shared by many connections.
type Config struct {
	Handlers

	// MaxFrame and MaxMessage bound a received frame's payload and a
	// message (after decompression); beyond them the connection is failed
	// with 1009. Zero means DefaultMaxFrame, DefaultMaxMessage.
	MaxFrame, MaxMessage int64
	// CloseTimeout bounds the close handshake (default DefaultCloseTimeout).
	CloseTimeout time.Duration
	// Subprotocols, for a server, are those it speaks in order of
	// preference (the first one the client also offers is chosen); for a
	// client, those it offers. A server whose list is not empty refuses a
	// client that offers none of them (400 Bad Request).
	Subprotocols []string
	// CheckOrigin, on a server, decides whether a request's Origin header
	// (empty when absent) is allowed; a refused one is answered 403. Nil
	// allows all origins (as em-websocket; browsers' cross-site requests
	// included: set it for a server that uses cookies).
	CheckOrigin func(origin string, req *http.Request) bool
	// Compression enables permessage-deflate (RFC 7692): a server accepts
	// a client's offer, a client offers it.
	Compression bool
	// CompressionNoContextTakeover asks for (client) or imposes (server)
	// no context takeover in both directions: less memory per connection,
	// a worse ratio.
	CompressionNoContextTakeover bool
	// CompressMin is the smallest message that is compressed (default 128).
	CompressMin int
	// TLSConfig is a client's TLS configuration for wss:// (nil: defaults,
	// verified). Servers get TLS from their listener (reactor.WithTLS).
	TLSConfig *tls.Config
	// Header holds extra headers a client sends with its handshake.
	Header http.Header
	// Logger gets the package's messages (default slog.Default()).
	Logger *slog.Logger
}

func (cfg *Config) closeTimeout() time.Duration {
	if cfg.CloseTimeout > 0 {
		return cfg.CloseTimeout
	}
	return DefaultCloseTimeout
}

func (cfg *Config) logger() *slog.Logger {
	if cfg.Logger != nil {
		return cfg.Logger
	}
	return slog.Default()
}
