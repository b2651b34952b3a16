package proxy

import (
	"errors"
	"time"
)

// DefaultRetryDelay is how long a Router waits before it retries a failed
// backend connect when the Route gives no RetryDelay: ProxyMachine's 0.1 s.
const DefaultRetryDelay = 100 * time.Millisecond

// Route is what a CommandFunc decides for a connection from its first
// bytes: ProxyMachine's routing commands. The zero Route waits for more
// bytes ({:noop => true}); Remote connects ({:remote => "host:port"}),
// Close closes ({:close => true}, {:close => "bye"} with CloseMessage).
// Reply and Data go with either of the first two.
type Route struct {
	// Remote is the backend to connect to, "host:port" (or a path for
	// unix). The bytes buffered so far go to it once it is connected,
	// then both ways are relayed.
	Remote string
	// Data, if not nil, replaces the bytes buffered so far (the ones the
	// CommandFunc saw): with Remote, they are what the backend gets first
	// ({:data => ...}); while waiting, the next call sees Data followed by
	// the bytes that come next ([]byte{} forgets what was seen, for a
	// protocol that answers a handshake before it routes). Data is copied.
	Data []byte
	// Reply is written to the client at once, before the backend is
	// connected ({:reply => ...}) or, with no Remote, while waiting for
	// more bytes.
	Reply []byte
	// Close closes the client, after writing Reply and CloseMessage if
	// any. It wins over Remote.
	Close bool
	// CloseMessage is written to the client before the close, as
	// ProxyMachine's {:close => String}; a CloseMessage implies Close.
	CloseMessage []byte

	// ConnectTimeout bounds each connect to Remote (default
	// Options.ConnectTimeout), ProxyMachine's :connect_timeout.
	ConnectTimeout time.Duration
	// InactivityTimeout closes the backend after this long without
	// traffic (default Options.IdleTimeout), ProxyMachine's
	// :inactivity_timeout. If the backend had not sent its first byte by
	// then, the client is closed too and OnInactivity is called.
	InactivityTimeout time.Duration
	// Retries is how many times a failed connect to Remote is retried,
	// RetryDelay apart (default DefaultRetryDelay), while the client
	// waits; ProxyMachine always retries 10 times, 0.1 s apart.
	Retries    int
	RetryDelay time.Duration
	// OnConnectError is called with Remote when the connect (and every
	// retry) failed, refused or timed out, after the client is closed:
	// ProxyMachine's proxy_connect_error. It runs on the reactor
	// goroutine.
	OnConnectError func(remote string)
	// OnInactivity is called with Remote when InactivityTimeout passed
	// before the backend's first byte, after the client is closed:
	// ProxyMachine's proxy_inactivity_error. It runs on the reactor
	// goroutine. A client that leaves first is no backend error: neither
	// callback runs then.
	OnInactivity func(remote string)
}

// CommandFunc decides a connection's Route from its first bytes, as
// ProxyMachine's proxy block: first holds everything received so far (at
// most MaxPeek bytes, after any Data rewrite) and is valid only during the
// call. It is called again with more bytes while it returns a Route that
// neither connects nor closes. It runs on the reactor goroutine and must
// not block.
type CommandFunc func(first []byte) Route

// decide asks the Router's CommandFunc, or its RouteFunc seen as one: a
// backend connects, ErrNeedMore waits, another error fails the route.
func (p *Router) decide(first []byte) (Route, error) {
	if p.Commands != nil {
		return p.Commands(first), nil
	}
	addr, err := p.Route(first)
	switch {
	case err == nil && addr != "":
		return Route{Remote: addr}, nil
	case err == nil || errors.Is(err, ErrNeedMore):
		return Route{}, nil
	}
	return Route{}, err
}
