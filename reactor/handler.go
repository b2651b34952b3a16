package reactor

// Handler receives a Conn's events. The loop calls its methods on the
// reactor goroutine, one at a time. A program embeds BaseHandler and
// overrides what it needs, as an EventMachine program subclasses
// EM::Connection.
type Handler interface {
	// PostInit runs when the Conn exists: just accepted, or an outbound
	// connect just started.
	PostInit(c *Conn)
	// ConnectionCompleted runs when an outbound connect succeeded. It is
	// never called for accepted connections.
	ConnectionCompleted(c *Conn)
	// ReceiveData gets bytes read from the connection. data is valid only
	// during the call: copy what you keep.
	ReceiveData(c *Conn, data []byte)
	// Unbind runs exactly once per Conn, after its fd is closed, with the
	// reason: nil for a local Close, io.EOF when the peer closed, a wrapped
	// syscall.Errno, ErrConnectTimeout, ErrInactivityTimeout, ErrStopped,
	// ErrPanic or ErrDetached (Detach: the socket lives on).
	Unbind(c *Conn, reason error)
}

// Drainer is implemented by handlers that want to know when a non-empty
// outbound buffer has been completely written (the backpressure signal).
type Drainer interface {
	OutboundDrained(c *Conn)
}

// HalfCloser is implemented by handlers that want to keep a Conn open for
// writing after the peer closed its write side (sent FIN). Reading stops;
// the Conn stays open until the handler closes it. Without it, queued
// output is flushed and the Conn closes with io.EOF.
type HalfCloser interface {
	PeerClosedWrite(c *Conn)
}

// BaseHandler implements Handler with methods that do nothing, for
// embedding.
type BaseHandler struct{}

func (BaseHandler) PostInit(*Conn)            {}
func (BaseHandler) ConnectionCompleted(*Conn) {}
func (BaseHandler) ReceiveData(*Conn, []byte) {}
func (BaseHandler) Unbind(*Conn, error)       {}

// HandlerFuncs implements Handler with closures; nil fields do nothing.
type HandlerFuncs struct {
	OnPostInit, OnConnectionCompleted func(*Conn)
	OnReceiveData                     func(*Conn, []byte)
	OnUnbind                          func(*Conn, error)
}

func (h HandlerFuncs) PostInit(c *Conn) {
	if h.OnPostInit != nil {
		h.OnPostInit(c)
	}
}

func (h HandlerFuncs) ConnectionCompleted(c *Conn) {
	if h.OnConnectionCompleted != nil {
		h.OnConnectionCompleted(c)
	}
}

func (h HandlerFuncs) ReceiveData(c *Conn, data []byte) {
	if h.OnReceiveData != nil {
		h.OnReceiveData(c, data)
	}
}

func (h HandlerFuncs) Unbind(c *Conn, reason error) {
	if h.OnUnbind != nil {
		h.OnUnbind(c, reason)
	}
}
