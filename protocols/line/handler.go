package line

import (
	"crypto/tls"
	"log/slog"
	"regexp"

	"github.com/evmachine/evmachine/reactor"
)

// Receiver is what a line protocol implements: it gets each line of its
// connection. A Receiver may also implement BinaryReceiver and
// ErrorReceiver, and any of the reactor.Handler lifecycle methods
// (PostInit, ConnectionCompleted, Unbind) and reactor.Drainer, which the
// Handler forwards. Its methods run on the reactor goroutine.
type Receiver interface {
	// ReceiveLine gets one line without its delimiter; line is valid only
	// during the call.
	ReceiveLine(c *reactor.Conn, line []byte)
}

// BinaryReceiver is implemented by Receivers that use binary mode.
// Without it, binary data is dropped.
type BinaryReceiver interface {
	// ReceiveBinaryData gets a sized binary block whole, or the next
	// piece of a streamed or unsized one; data is valid only during the
	// call.
	ReceiveBinaryData(c *reactor.Conn, data []byte)
	// ReceiveEndOfBinaryData runs after the last piece of a sized block;
	// the Handler is back in line mode already.
	ReceiveEndOfBinaryData(c *reactor.Conn)
}

// ErrorReceiver is implemented by Receivers that want to handle a line or
// a sized block longer than the maximum themselves (answer an error and go
// on, for example): err wraps ErrLineTooLong or ErrBinaryTooLong. Framing
// then resumes after the next delimiter, or after the block. Without it,
// the Handler closes the connection and Unbind gets the error.
type ErrorReceiver interface {
	LineError(c *reactor.Conn, err error)
}

// ReceiverFunc is a Receiver made of a function.
type ReceiverFunc func(c *reactor.Conn, line []byte)

// ReceiveLine calls f.
func (f ReceiverFunc) ReceiveLine(c *reactor.Conn, line []byte) { f(c, line) }

// Handler is the reactor.Handler that frames one connection's stream into
// lines for a Receiver, as a Ruby connection that includes LineText2. Make
// one per connection with NewHandler, in the function given to Listen or
// for Connect. Its methods must be called on the reactor goroutine.
type Handler struct {
	recv Receiver
	bin  BinaryReceiver // nil if recv has none
	p    Parser
	c    *reactor.Conn
	err  error // why the Handler closed the Conn, for Unbind

	flushing bool // Unbind hands over a block cut short
}

// NewHandler returns a Handler that hands recv the lines of its
// connection.
func NewHandler(recv Receiver, opts ...Option) *Handler {
	h := &Handler{recv: recv}
	h.bin, _ = recv.(BinaryReceiver)
	h.p.init((*handlerSink)(h), opts)
	return h
}

// Conn returns the connection (nil before PostInit).
func (h *Handler) Conn() *reactor.Conn { return h.c }

// SetDelimiter changes the delimiter from the next line on (LineText2's
// set_delimiter with a string).
func (h *Handler) SetDelimiter(d string) { h.p.SetDelimiter(d) }

// SetDelimiterRegexp makes a regular expression the delimiter from the next
// line on (LineText2's set_delimiter with a Regexp); see
// Parser.SetDelimiterRegexp.
func (h *Handler) SetDelimiterRegexp(re *regexp.Regexp) { h.p.SetDelimiterRegexp(re) }

// SetMaxLineLength changes the maximum line length.
func (h *Handler) SetMaxLineLength(n int) { h.p.SetMaxLineLength(n) }

// SetMaxBinaryLength changes the longest sized block collected into one
// ReceiveBinaryData call; past it the connection is closed with an error
// wrapping ErrBinaryTooLong (or the Receiver's LineError gets it and the
// block is skipped).
func (h *Handler) SetMaxBinaryLength(n int64) { h.p.SetMaxBinaryLength(n) }

// SetStreamingBinary makes sized blocks started from now on arrive in
// pieces as they are read (on) or whole in one call (off, the default).
func (h *Handler) SetStreamingBinary(on bool) { h.p.SetStreamingBinary(on) }

// SetBinaryMode hands the next n bytes to ReceiveBinaryData, in one call
// unless streaming, then calls ReceiveEndOfBinaryData and returns to line
// mode (LineText2's set_binary_mode(n), set_text_mode(n)); n == Unbounded
// hands everything over as it arrives until SetLineMode; n == 0 is
// SetLineMode. Called from ReceiveLine, it applies to the bytes right after
// that line.
func (h *Handler) SetBinaryMode(n int64) { h.p.SetBinaryMode(n) }

// SetLineMode returns to line mode; data, if any, is parsed as lines before
// the rest of the stream (LineText2's set_line_mode(data), the "throw
// back"). See Parser.SetLineMode.
func (h *Handler) SetLineMode(data ...[]byte) { h.p.SetLineMode(data...) }

// BinaryMode reports whether the Handler is in binary mode.
func (h *Handler) BinaryMode() bool { return h.p.BinaryMode() }

// PostInit implements reactor.Handler.
func (h *Handler) PostInit(c *reactor.Conn) {
	h.c = c
	if f, ok := h.recv.(interface{ PostInit(*reactor.Conn) }); ok {
		f.PostInit(c)
	}
}

// ConnectionCompleted implements reactor.Handler.
func (h *Handler) ConnectionCompleted(c *reactor.Conn) {
	if f, ok := h.recv.(interface{ ConnectionCompleted(*reactor.Conn) }); ok {
		f.ConnectionCompleted(c)
	}
}

// ReceiveData implements reactor.Handler: it feeds the parser, which calls
// the Receiver. Nothing more is delivered once the Conn is closed.
func (h *Handler) ReceiveData(c *reactor.Conn, data []byte) {
	h.c = c
	h.p.Feed(data)
	if rest := h.p.takeCut(); len(rest) > 0 {
		c.Unread(rest) // StartTLS: what followed the line goes to the handshake
	}
}

// StartTLS switches the Conn to TLS right after the line being handled, as
// SMTP's and IMAP's STARTTLS: call it from ReceiveLine (after writing the
// reply that invites the client's handshake). Bytes the client sent after
// that line, already read, go to the handshake; lines then go on, read
// from the decrypted stream. Must be called on the reactor goroutine.
func (h *Handler) StartTLS(cfg *tls.Config) error {
	if err := h.c.StartTLS(cfg); err != nil {
		return err
	}
	h.p.cutAfter()
	return nil
}

// Unbind implements reactor.Handler. A sized block cut short is first
// handed to ReceiveBinaryData as far as it came (without
// ReceiveEndOfBinaryData), as LineText2's unbind does. If the Handler
// closed the Conn because of a too-long line or block, the Receiver's
// Unbind gets that error instead of nil.
func (h *Handler) Unbind(c *reactor.Conn, reason error) {
	h.flushing = true
	h.p.Flush()
	h.flushing = false
	h.p.Stop()
	if reason == nil && h.err != nil {
		reason = h.err
	}
	if f, ok := h.recv.(interface{ Unbind(*reactor.Conn, error) }); ok {
		f.Unbind(c, reason)
	}
}

// OutboundDrained implements reactor.Drainer for Receivers that do.
func (h *Handler) OutboundDrained(c *reactor.Conn) {
	if d, ok := h.recv.(reactor.Drainer); ok {
		d.OutboundDrained(c)
	}
}

// handlerSink is the Handler seen as its parser's Sink, so that the Sink
// methods stay out of the Handler's API.
type handlerSink Handler

// live reports whether the Conn still takes input, and stops the parser
// once it does not.
func (s *handlerSink) live() bool {
	if s.c != nil && s.c.Closed() {
		s.p.Stop()
		return false
	}
	return true
}

func (s *handlerSink) Line(line []byte) {
	if s.live() {
		s.recv.ReceiveLine(s.c, line)
	}
}

func (s *handlerSink) BinaryData(data []byte) {
	if (s.flushing || s.live()) && s.bin != nil {
		s.bin.ReceiveBinaryData(s.c, data)
	}
}

func (s *handlerSink) EndOfBinaryData() {
	if s.live() && s.bin != nil {
		s.bin.ReceiveEndOfBinaryData(s.c)
	}
}

// LineError hands err to an ErrorReceiver, or closes the Conn.
func (s *handlerSink) LineError(err error) {
	if !s.live() {
		return
	}
	if er, ok := s.recv.(ErrorReceiver); ok {
		er.LineError(s.c, err)
		return
	}
	s.err = err
	s.p.Stop()
	if s.c != nil {
		slog.Debug("line: closing connection", "remote", s.c.RemoteAddr(), "err", err)
		s.c.Close()
	}
}

var (
	_ reactor.Handler = (*Handler)(nil)
	_ reactor.Drainer = (*Handler)(nil)
	_ Sink            = (*handlerSink)(nil)
)
