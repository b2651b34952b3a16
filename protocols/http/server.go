package http

import (
	"errors"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/evmachine/evmachine/reactor"
)

// Defaults of the Server's limits, used where a field is zero.
const (
	DefaultMaxHeaderBytes    = 64 << 10 // request line and headers
	DefaultMaxBodyBytes      = 10 << 20 // decoded request body
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultReadTimeout       = 60 * time.Second
	DefaultIdleTimeout       = 60 * time.Second
	DefaultMaxPipelined      = 16
	DefaultMaxBodyMemory     = 64 << 20 // buffered request bodies of all connections together
	DefaultAnswerTimeout     = 60 * time.Second
)

// serverHighWater is the outbound backlog beyond which a connection stops
// taking new requests until its peer reads: a client that pipelines
// requests and never reads the answers cannot make the server buffer
// without bound.
const serverHighWater = 256 << 10

// Handler answers HTTP requests on the reactor goroutine. Serve is called
// once per request, with the request's body already read (unless the
// Handler is a BodyStreamer that streams it); it must not block. It
// completes w before returning or at any later time on the loop (after a
// timer, a Defer, another connection's reply), by calling w.End; an answer
// that makes no progress for the Server's AnswerTimeout is ended for it.
type Handler interface {
	Serve(w *Response, req *http.Request)
}

// HandlerFunc is a Handler made of a function.
type HandlerFunc func(w *Response, req *http.Request)

// Serve calls f(w, req).
func (f HandlerFunc) Serve(w *Response, req *http.Request) { f(w, req) }

// Server is an evented HTTP/1.x server. Set its fields, then Listen (or
// pass NewHandler to reactor.Listen). Zero fields take the defaults; a
// negative timeout or limit disables it. The fields must not change once
// the Server serves. One Server may serve several listeners and reactors.
type Server struct {
	// Handler answers every request. It is required.
	Handler Handler
	// MaxHeaderBytes bounds the request line and headers (431 beyond).
	MaxHeaderBytes int
	// MaxBodyBytes bounds a request body, buffered or streamed (413
	// beyond).
	MaxBodyBytes int64
	// MaxBodyMemory bounds the memory the buffered request bodies of all
	// the Server's connections hold at once (default 64 MiB): from the
	// moment a body starts arriving until its answer ends. A body reserves
	// its Content-Length before it is read (a chunked one reserves as it
	// grows); a connection whose body does not fit waits, not read, until
	// others give memory back, within ReadTimeout. A chunked body that
	// cannot grow, and a body larger than MaxBodyMemory itself, are
	// refused (503, 413). Streamed bodies (BodyStreamer) do not count.
	MaxBodyMemory int64
	// ReadHeaderTimeout bounds the time from a request's first byte to the
	// end of its headers (408 and close beyond).
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds the time from a request's first byte to the end
	// of its body (408 and close beyond).
	ReadTimeout time.Duration
	// IdleTimeout closes a keep-alive connection that has answered every
	// request and received nothing new for this long.
	IdleTimeout time.Duration
	// AnswerTimeout bounds how long an answer may go without progress
	// (default 60 s): from the request until the handler's End or first
	// Flush, then between the writes of a streamed body. Past it, the
	// answer is replaced by 503 if nothing went out yet, else the
	// connection closes; either way a warning names the request and its
	// route.
	AnswerTimeout time.Duration
	// MaxPipelined bounds how many requests of one connection may await
	// their answers; further requests are not read (TCP pushes back on the
	// client) until one is answered.
	MaxPipelined int
	// Logger gets the server's messages (default slog.Default()).
	Logger *slog.Logger

	shuttingDown atomic.Bool
	mu           sync.Mutex // guards reg
	reg          serverRegistry
	setup        sync.Once // applyDefaults
	lim          serverLimits
	mem          serverMemory
}

// serverLimits are a Server's fields with the defaults applied.
type serverLimits struct {
	maxHead                        int
	maxBody                        int64
	headTimeout, readTimeout, idle time.Duration
	answer                         time.Duration
	maxPipelined                   int
	log                            *slog.Logger
}

// limits returns the Server's limits, worked out once: the fields must not
// change once it serves, and every connection shares them.
func (s *Server) limits() *serverLimits {
	s.setup.Do(s.applyDefaults)
	return &s.lim
}

// applyDefaults works out the limits and the body memory budget.
func (s *Server) applyDefaults() {
	s.mem.max = serverPick(s.MaxBodyMemory, DefaultMaxBodyMemory, 0)
	l := serverLimits{
		maxHead:      serverPick(s.MaxHeaderBytes, DefaultMaxHeaderBytes, 1<<30),
		maxBody:      serverPick(s.MaxBodyBytes, DefaultMaxBodyBytes, 1<<62),
		headTimeout:  serverPick(s.ReadHeaderTimeout, DefaultReadHeaderTimeout, 0),
		readTimeout:  serverPick(s.ReadTimeout, DefaultReadTimeout, 0),
		idle:         serverPick(s.IdleTimeout, DefaultIdleTimeout, 0),
		answer:       serverPick(s.AnswerTimeout, DefaultAnswerTimeout, 0),
		maxPipelined: serverPick(s.MaxPipelined, DefaultMaxPipelined, 1<<30),
		log:          s.Logger,
	}
	if l.log == nil {
		l.log = slog.Default()
	}
	s.lim = l
}

// serverPick returns def for 0, off for a negative v, else v.
func serverPick[T int | int64 | time.Duration](v, def, off T) T {
	switch {
	case v == 0:
		return def
	case v < 0:
		return off
	}
	return v
}

// Listen starts serving HTTP on network and addr (see reactor.Listen);
// Shutdown closes the listener. Must be called on the reactor goroutine.
func (s *Server) Listen(r *reactor.Reactor, network, addr string, opts ...reactor.ConnOption) (*reactor.Listener, error) {
	if s.Handler == nil {
		return nil, errors.New("http server: Listen with a nil Handler")
	}
	l, err := r.Listen(network, addr, s.NewHandler, opts...)
	if err == nil {
		s.track(l, r)
	}
	return l, err
}

// NewHandler returns the reactor.Handler that serves HTTP on c, for
// reactor.Listen. Must be called on the reactor goroutine.
func (s *Server) NewHandler(c *reactor.Conn) reactor.Handler {
	return newServerConn(s, c)
}

// SetKeepAlivesEnabled(false) makes every answer from now on close its
// connection, as a draining server does before it stops (answers already
// under way complete). Safe for concurrent use.
func (s *Server) SetKeepAlivesEnabled(on bool) { s.shuttingDown.Store(!on) }

// serve calls the Handler; a panic is logged and answered with 500.
func (s *Server) serve(lim *serverLimits, w *Response, req *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			lim.log.Error("http server: handler panicked; answering 500", "method", req.Method,
				"uri", req.RequestURI, "remote", req.RemoteAddr, "panic", v, "stack", string(debug.Stack()))
			w.fail(http.StatusInternalServerError)
		}
	}()
	s.Handler.Serve(w, req)
}
