package http

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/evmachine/evmachine/reactor"
)

var (
	// ErrResponseEnded is returned by a Response's Write after End.
	ErrResponseEnded = errors.New("http server: write after End")
	// errServerConnClosed is returned by a Response's Write once its
	// connection has closed.
	errServerConnClosed = fmt.Errorf("http server: connection closed: %w", reactor.ErrClosed)
)

// Response is the answer to one request, completed by the Handler now or
// later: set the status and headers, write the body, End. It implements
// http.ResponseWriter and http.Flusher, so net/http helpers (http.Error,
// json.NewEncoder(w), http.ServeContent, ...) work with it.
//
// A body written before End is sent in one piece with a Content-Length.
// Flush sends the status and headers at once and streams what follows:
// chunked for an HTTP/1.1 client unless the handler set a Content-Length,
// close-delimited for an HTTP/1.0 one. Answers go out in request order: a
// Response completed before the ones ahead of it on a pipelined connection
// is held until they are done.
//
// Its methods must be called on the reactor goroutine; code on another
// goroutine uses r.NextTick. After the client disconnected, Write returns
// an error wrapping reactor.ErrClosed and End does nothing; the request's
// context (req.Context()) is cancelled then.
type Response struct {
	sc       *serverConn
	req      *http.Request // nil for the server's own refusals
	header   http.Header
	status   int
	written  int64     // body bytes the handler wrote
	declared int64     // Content-Length the head announced; -1 for none
	body     []byte    // body written before the head went out (for HEAD: its first 512 bytes, to sniff)
	held     []byte    // bytes ready while earlier answers are not done
	mem      int64     // body memory the request holds (given back at End)
	progress time.Time // the handler last made progress: the answer timeout counts from here

	onDrained func()
	onClose   func(error)

	wroteHeader bool // the status is fixed
	started     bool // the head went out (or is held): the body streams
	chunked     bool
	ended       bool
	closeAfter  bool // close the connection after this answer
	isHead      bool // a HEAD request: no body is sent
	http10      bool // the client speaks HTTP/1.0
	routed      bool // a ServeMux found a Handler for the request

	small [serverSmallBody]byte // the first bytes of body, without an allocation
}

// serverSmallBody is how much body a Response holds before it allocates.
const serverSmallBody = 64

// serverSniffLen is how much of a body http.DetectContentType looks at.
const serverSniffLen = 512

func newResponse(sc *serverConn, req *http.Request) *Response {
	w := &Response{sc: sc, req: req, declared: -1}
	if req == nil {
		w.closeAfter = true
		return w
	}
	w.closeAfter = req.Close || sc.s.shuttingDown.Load()
	w.isHead = req.Method == http.MethodHead
	w.http10 = !req.ProtoAtLeast(1, 1)
	return w
}

// Reactor returns the reactor the connection runs on, for the timers,
// Defers and ticks that complete the answer later.
func (w *Response) Reactor() *reactor.Reactor { return w.sc.c.Reactor() }

// Request returns the request this Response answers (nil for the server's
// own error answers).
func (w *Response) Request() *http.Request { return w.req }

// Header returns the header map that WriteHeader (or the first Write,
// Flush or End) sends; changing it afterwards has no effect.
func (w *Response) Header() http.Header {
	if w.header == nil {
		w.header = make(http.Header)
	}
	return w.header
}

// Status returns the status code set so far (0 before WriteHeader).
func (w *Response) Status() int { return w.status }

// OutboundSize returns how many bytes of this connection's answers are
// waiting to be sent: this answer's, held behind earlier ones, and those
// the peer has not read yet. A handler streaming a large body writes more
// when it is low (from a timer or a NextTick), as EventMachine's
// FileStreamer does with get_outbound_data_size.
func (w *Response) OutboundSize() int {
	if w.sc.closed {
		return 0
	}
	n := len(w.held) + w.sc.c.OutboundSize()
	if w.sc.batch != nil {
		n += len(*w.sc.batch)
	}
	return n
}

// Ended reports whether End was called.
func (w *Response) Ended() bool { return w.ended }

// WriteHeader sets the status code (the first call wins, as in net/http).
// A 1xx code other than 101 sends an interim response at once (for example
// 103 Early Hints with the Link headers set so far) and may be repeated.
// An invalid code is logged and replaced by 500.
func (w *Response) WriteHeader(code int) {
	if w.ended || w.wroteHeader {
		return
	}
	if code < 100 || code > 999 {
		w.sc.lim.log.Error("http server: invalid status code; sending 500", "code", code)
		code = http.StatusInternalServerError
	}
	if code < 200 && code != http.StatusSwitchingProtocols {
		if !w.started && !w.http10 {
			buf := serverGetBuf()
			*buf = w.appendInterim(*buf, code)
			w.emit(*buf)
			serverPutBuf(buf)
		}
		return
	}
	w.status, w.wroteHeader = code, true
}

// Write adds p to the body: buffered until End, or sent at once after
// Flush. It returns http.ErrBodyNotAllowed for a status without a body
// (1xx, 204, 304), ErrResponseEnded after End, and an error wrapping
// reactor.ErrClosed once the client is gone. For a HEAD request the bytes
// are counted (for Content-Length) and dropped.
func (w *Response) Write(p []byte) (int, error) {
	switch {
	case w.ended:
		return 0, ErrResponseEnded
	case w.sc.closed:
		return 0, errServerConnClosed
	}
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if !serverBodyAllowed(w.status) {
		return 0, http.ErrBodyNotAllowed
	}
	if w.isHead {
		if room := serverSniffLen - len(w.body); room > 0 && !w.started {
			w.body = append(w.body, p[:min(len(p), room)]...) // for the sniffed Content-Type
		}
		w.written += int64(len(p))
		return len(p), nil
	}
	if !w.started {
		if w.body == nil && len(p) <= len(w.small) {
			w.body = w.small[:0]
		}
		w.body = append(w.body, p...)
		w.written += int64(len(p))
		return len(p), nil
	}
	var err error
	if w.declared >= 0 && w.written+int64(len(p)) > w.declared {
		p, err = p[:w.declared-w.written], http.ErrContentLength
	}
	w.written += int64(len(p))
	w.progress = w.sc.c.Reactor().Now()
	w.send(p)
	return len(p), err
}

// WriteString is Write for a string.
func (w *Response) WriteString(s string) (int, error) { return w.Write([]byte(s)) }

// Flush sends the status, the headers and the body written so far now,
// and makes the rest of the body stream: each later Write is sent as it
// comes (as a chunk, for an HTTP/1.1 client without a Content-Length).
func (w *Response) Flush() {
	if w.ended || w.sc.closed {
		return
	}
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if w.started {
		return
	}
	w.started = true
	w.progress = w.sc.c.Reactor().Now()
	buf := serverGetBuf()
	*buf = w.appendHead(*buf, false)
	w.emit(*buf)
	serverPutBuf(buf)
	body := w.body
	w.body = nil
	if len(body) > 0 && !w.isHead {
		w.send(body)
	}
}

// End completes the answer: a buffered body is sent with its
// Content-Length, a streamed one is terminated. End without any Write
// sends an empty 200 (or the status set). Calling End again does nothing.
func (w *Response) End() {
	if w.ended {
		return
	}
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	w.ended = true
	w.releaseBody()
	if w.sc.closed {
		return
	}
	if b := w.sc.stream; b != nil && b.w == w {
		// Answered before its body arrived: the rest of the body is not
		// read, so the connection cannot carry another request.
		w.closeAfter, w.sc.cont = true, false
	}
	switch {
	case !w.started:
		w.started = true
		buf := serverGetBuf()
		*buf = w.appendHead(*buf, true)
		if !w.isHead && serverBodyAllowed(w.status) {
			*buf = append(*buf, w.body...)
		}
		w.body = nil
		w.emit(*buf)
		serverPutBuf(buf)
	case w.chunked:
		w.emit([]byte("0\r\n\r\n"))
	case w.declared >= 0 && w.written < w.declared && !w.isHead && serverBodyAllowed(w.status):
		w.sc.lim.log.Warn("http server: body shorter than its Content-Length; closing the connection",
			"declared", w.declared, "written", w.written)
		w.closeAfter = true
	}
	if len(w.sc.queue) > 0 && w.sc.queue[0] == w {
		w.sc.advance()
	}
}

// send writes body bytes of a streaming answer, framed as a chunk if
// chunked.
func (w *Response) send(p []byte) {
	if len(p) == 0 {
		return
	}
	if !w.chunked {
		w.emit(p)
		return
	}
	buf := serverGetBuf()
	b := strconv.AppendInt(*buf, int64(len(p)), 16)
	b = append(b, "\r\n"...)
	b = append(b, p...)
	*buf = append(b, "\r\n"...)
	w.emit(*buf)
	serverPutBuf(buf)
}

// emit hands serialised bytes to the connection if this is the oldest
// answer, or holds them (copied) until it is.
func (w *Response) emit(b []byte) {
	sc := w.sc
	if sc.closed {
		return
	}
	if len(w.held) == 0 && len(sc.queue) > 0 && sc.queue[0] == w {
		sc.write(b)
		return
	}
	w.held = append(w.held, b...)
}

var _ interface {
	http.ResponseWriter
	http.Flusher
} = (*Response)(nil)
