package http

import (
	"context"
	"errors"
	"net/http"
	"runtime/debug"

	deferpool "github.com/evmachine/evmachine/defer"
)

// Inline returns a Handler that runs h, an ordinary http.Handler that does
// not block, on the reactor goroutine with the Response as its
// ResponseWriter, and ends the Response when h returns. It is the cheapest
// way to serve net/http-style code that answers at once.
func Inline(h http.Handler) Handler {
	return HandlerFunc(func(w *Response, req *http.Request) {
		h.ServeHTTP(w, req)
		w.End()
	})
}

// Adapt returns a Handler that runs h, an ordinary http.Handler that may
// block (a database call, a file read), on the reactor's Defer pool (see
// reactor.Defer; WithDeferPoolSize sets how many run at once). h gets a
// ResponseWriter of its own that is safe to use from its goroutine; what
// it writes reaches the connection when h returns, or at each Flush (the
// answer then streams). A panic in h is logged and answered with 500; a
// full Defer queue is answered with 503.
func Adapt(h http.Handler) Handler {
	return HandlerFunc(func(w *Response, req *http.Request) {
		r := w.sc.c.Reactor()
		bw := &serverBlockingWriter{w: w, post: r.NextTick, header: make(http.Header)}
		r.Defer(func(context.Context) (any, error) {
			bw.run(h, req)
			return nil, nil
		}, func(_ any, err error) {
			if err == nil || w.ended {
				return
			}
			status := http.StatusInternalServerError
			if errors.Is(err, deferpool.ErrQueueFull) {
				status = http.StatusServiceUnavailable
			}
			w.sc.lim.log.Warn("http server: blocking handler did not run", "err", err, "status", status)
			w.fail(status)
		})
	})
}

// serverBlockingWriter is the http.ResponseWriter of a handler run by
// Adapt. It lives on the worker goroutine; everything it hands to the
// loop goes through post (NextTick), in order, as copies.
type serverBlockingWriter struct {
	w       *Response // touched only on the loop, in posted functions
	post    func(func())
	header  http.Header
	status  int
	body    []byte
	flushed bool // the header went to the loop
}

func (bw *serverBlockingWriter) Header() http.Header { return bw.header }

func (bw *serverBlockingWriter) WriteHeader(code int) {
	if bw.status == 0 {
		bw.status = code
	}
}

func (bw *serverBlockingWriter) Write(p []byte) (int, error) {
	if bw.status == 0 {
		bw.status = http.StatusOK
	}
	bw.body = append(bw.body, p...)
	return len(p), nil
}

// Flush hands the status, headers and body so far to the loop, which
// starts streaming the answer.
func (bw *serverBlockingWriter) Flush() { bw.hand(false) }

// hand posts what was written since the last hand-off; end completes the
// answer.
func (bw *serverBlockingWriter) hand(end bool) {
	if bw.status == 0 {
		bw.status = http.StatusOK
	}
	var header http.Header
	if !bw.flushed {
		header, bw.flushed = bw.header.Clone(), true
	}
	status, body := bw.status, bw.body
	bw.body = nil
	w := bw.w
	bw.post(func() {
		if header != nil {
			for k, v := range header {
				w.Header()[k] = v
			}
			w.WriteHeader(status)
		}
		w.Write(body)
		if end {
			w.End()
		} else {
			w.Flush()
		}
	})
}

// run calls h and hands the result over; a panic becomes a 500 (or, if
// the answer was already streaming, a closed connection).
func (bw *serverBlockingWriter) run(h http.Handler, req *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			stack := debug.Stack()
			w := bw.w
			bw.post(func() {
				w.sc.lim.log.Error("http server: handler panicked; answering 500", "method", req.Method,
					"uri", req.RequestURI, "remote", req.RemoteAddr, "panic", v, "stack", string(stack))
				w.fail(http.StatusInternalServerError)
			})
		}
	}()
	h.ServeHTTP(bw, req)
	bw.hand(true)
}
