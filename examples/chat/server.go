package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"

	"github.com/evmachine/evmachine/protocols/line"
	"github.com/evmachine/evmachine/reactor"
)

// config is the server's limits.
type config struct {
	maxLine     int // longest line a client may send, in bytes
	maxOutbound int // bytes queued for one client before it is dropped as too slow
}

// message is one broadcast: every client except from receives text.
type message struct {
	from *client
	text []byte
}

// server is the chat room. All of its state lives on the reactor goroutine.
type server struct {
	r       *reactor.Reactor
	log     *slog.Logger
	cfg     config
	room    *reactor.Channel[message]
	names   map[string]*client
	guests  int
	closing bool // Shutdown announced: no more broadcasts
}

// client is one member of the room, behind its transport: a TCP
// connection, whose bytes a line.Handler frames into lines (the client is
// its line.Receiver), or a browser's WebSocket (web.go).
type client struct {
	s    *server
	c    transport
	name string
	sub  uint64
	quit bool // /quit or a bad line: ignore the rest of the input
	slow bool // dropped for not reading
}

var nickRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

// newServer creates the room on r. Must be called on r's goroutine (or
// before Run).
func newServer(r *reactor.Reactor, log *slog.Logger, cfg config) *server {
	return &server{
		r:     r,
		log:   log,
		cfg:   cfg,
		room:  reactor.NewChannel[message](r),
		names: make(map[string]*client),
	}
}

// listen accepts chat clients on addr ("127.0.0.1:0" picks a port). Each
// connection is framed into lines by protocols/line, and the reactor closes
// it with reactor.ErrOutboundLimit once more than maxOutbound bytes wait for
// it: one reader that stops reading cannot make the server buffer without
// bound. Must be called on r's goroutine (or before Run).
func (s *server) listen(addr string) (*reactor.Listener, error) {
	return s.r.Listen("tcp", addr, func(*reactor.Conn) reactor.Handler {
		return line.NewHandler(&client{s: s}, line.WithMaxLineLength(s.cfg.maxLine))
	}, reactor.WithMaxOutbound(s.cfg.maxOutbound))
}

// shutdown tells every client the server is going away and stops the
// reactor gracefully: queued output is flushed, then the connections close.
// Safe for concurrent use; it returns when the reactor has stopped.
func (s *server) shutdown(ctx context.Context) error {
	s.r.NextTick(func() {
		s.closing = true
		for _, cl := range s.names {
			cl.send([]byte("* server shutting down\n"))
		}
	})
	return s.r.Shutdown(ctx)
}

// broadcast sends text to every client but from, through the room channel
// (delivered in the next tick, in join order).
func (s *server) broadcast(from *client, format string, args ...any) {
	if !s.closing {
		s.room.Push(message{from: from, text: fmt.Appendf(nil, format, args...)})
	}
}

// PostInit joins a TCP client.
func (cl *client) PostInit(c *reactor.Conn) { cl.join(tcpTransport{c}) }

// join names the new client and lets the room know.
func (cl *client) join(c transport) {
	s := cl.s
	cl.c = c
	for {
		s.guests++
		cl.name = fmt.Sprintf("guest%d", s.guests)
		if s.names[cl.name] == nil {
			break
		}
	}
	s.names[cl.name] = cl
	cl.sub = s.room.Subscribe(func(m message) {
		if m.from != cl {
			cl.send(m.text)
		}
	})
	cl.sendf("* welcome to evmachine chat, you are %s; commands: /nick NAME, /who, /quit\n", cl.name)
	s.broadcast(cl, "* %s joined\n", cl.name)
	s.log.Debug("chat: joined", "name", cl.name, "remote", c.remote())
}

// ReceiveLine handles one line of a TCP client (without its "\n", or
// "\r\n").
func (cl *client) ReceiveLine(c *reactor.Conn, line []byte) {
	if cl.quit || c.Closed() {
		return
	}
	cl.handleLine(line)
}

// LineError answers a line longer than maxLine and closes the connection
// (protocols/line calls it as soon as the line passes the limit, without
// waiting for its newline).
func (cl *client) LineError(c *reactor.Conn, _ error) {
	if cl.quit {
		return
	}
	cl.quit = true
	cl.sendf("! line too long (limit %d bytes); closing\n", cl.s.cfg.maxLine)
	c.CloseAfterWriting()
}

// Unbind: a TCP client leaves the room; reactor.ErrOutboundLimit says it
// was dropped for not reading.
func (cl *client) Unbind(_ *reactor.Conn, reason error) {
	if errors.Is(reason, reactor.ErrOutboundLimit) && !cl.slow {
		cl.slow = true
		cl.s.log.Warn("chat: dropped a client that does not read", "name", cl.name, "limit", cl.s.cfg.maxOutbound)
	}
	cl.leave(reason)
}

// leave takes the client out of the room.
func (cl *client) leave(reason error) {
	s := cl.s
	s.room.Unsubscribe(cl.sub)
	delete(s.names, cl.name)
	if cl.slow {
		s.broadcast(cl, "* %s left (too slow)\n", cl.name)
		return
	}
	s.broadcast(cl, "* %s left\n", cl.name)
	s.log.Debug("chat: left", "name", cl.name, "reason", reason)
}

// handleLine runs a command or broadcasts the line.
func (cl *client) handleLine(line []byte) {
	text := string(line)
	cmd, arg, _ := strings.Cut(strings.TrimSpace(text), " ")
	switch {
	case strings.TrimSpace(text) == "":
	case cmd == "/nick":
		cl.nick(strings.TrimSpace(arg))
	case cmd == "/who":
		names := make([]string, 0, len(cl.s.names))
		for name := range cl.s.names {
			names = append(names, name)
		}
		slices.Sort(names)
		cl.sendf("* here (%d): %s\n", len(names), strings.Join(names, ", "))
	case cmd == "/quit":
		cl.quit = true
		cl.sendf("* bye\n")
		cl.c.closeAfterWriting()
	case strings.HasPrefix(cmd, "/"):
		cl.sendf("! unknown command %s; commands: /nick NAME, /who, /quit\n", cmd)
	default:
		cl.s.broadcast(cl, "%s: %s\n", cl.name, text)
	}
}

// nick renames the client if the name is valid and free.
func (cl *client) nick(name string) {
	s := cl.s
	switch {
	case !nickRE.MatchString(name):
		cl.sendf("! invalid name %q: use 1-32 letters, digits, '_' or '-'\n", name)
	case name == cl.name:
		cl.sendf("* you are already %s\n", name)
	case s.names[name] != nil:
		cl.sendf("! name %s is taken\n", name)
	default:
		old := cl.name
		delete(s.names, old)
		s.names[name] = cl
		cl.name = name
		cl.sendf("* you are now %s\n", name)
		s.broadcast(cl, "* %s is now known as %s\n", old, name)
	}
}

func (cl *client) sendf(format string, args ...any) {
	cl.send(fmt.Appendf(nil, format, args...))
}

// send queues p for the client. A TCP client past maxOutbound queued bytes
// is closed by the reactor itself (reactor.WithMaxOutbound, set in listen;
// Unbind then tells the room); a WebSocket client is checked here, with the
// same limit: one reader that stops reading cannot make the server buffer
// without bound. Close discards the queued bytes at once.
func (cl *client) send(p []byte) {
	c := cl.c
	if c.closed() {
		return
	}
	c.write(p)
	if !c.closed() && c.outbound() > cl.s.cfg.maxOutbound && !cl.slow {
		cl.slow = true
		cl.s.log.Warn("chat: dropping a client that does not read", "name", cl.name,
			"queued", c.outbound(), "limit", cl.s.cfg.maxOutbound)
		c.closeNow()
	}
}
