package http

import (
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// serverBodyAllowed reports whether a status may have a body (RFC 9110:
// not 1xx, 204 or 304).
func serverBodyAllowed(status int) bool {
	return status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified
}

// appendHead appends the status line and headers. final is true when End
// sends the whole answer at once (its length is known), false when Flush
// starts a stream.
func (w *Response) appendHead(b []byte, final bool) []byte {
	h := w.header
	cl := w.frame(final)
	b = serverAppendStatus(b, w.status)
	for k, vv := range h {
		switch k {
		case "Content-Length", "Transfer-Encoding", "Connection":
			continue // the server writes these
		}
		if !isToken(k) {
			continue
		}
		for _, v := range vv {
			b = serverAppendField(b, k, v)
		}
	}
	if _, ok := h["Date"]; !ok {
		b = append(b, "Date: "...)
		b = append(b, serverDate(w.sc.c.Reactor().Now())...)
		b = append(b, "\r\n"...)
	}
	if _, ok := h["Content-Type"]; !ok && serverBodyAllowed(w.status) && len(w.body) > 0 {
		b = serverAppendField(b, "Content-Type", http.DetectContentType(w.body[:min(len(w.body), 512)]))
	}
	switch {
	case w.chunked:
		b = append(b, "Transfer-Encoding: chunked\r\n"...)
	case cl >= 0:
		b = append(b, "Content-Length: "...)
		b = strconv.AppendInt(b, cl, 10)
		b = append(b, "\r\n"...)
	}
	switch {
	case w.closeAfter:
		b = append(b, "Connection: close\r\n"...)
	case w.http10:
		b = append(b, "Connection: keep-alive\r\n"...)
	}
	return append(b, "\r\n"...)
}

// frame decides the framing of the body and whether the connection stays
// open, and returns the Content-Length to send (-1 for none): the body's
// length when End sends it whole; the handler's Content-Length, else
// chunked (HTTP/1.1) or close-delimited (HTTP/1.0), for a stream; the
// length a GET would have for HEAD; none for a status without a body.
func (w *Response) frame(final bool) int64 {
	h := w.header
	if v := h["Connection"]; len(v) > 0 && strings.EqualFold(v[0], "close") {
		w.closeAfter = true
	}
	if w.sc.s.shuttingDown.Load() {
		w.closeAfter = true
	}
	cl := int64(-1)
	if v := h["Content-Length"]; len(v) > 0 && v[0] != "" { // as net/http's header.get: Set canonicalizes
		if n, err := strconv.ParseInt(v[0], 10, 64); err == nil && n >= 0 {
			cl = n
		} else {
			w.sc.lim.log.Warn("http server: ignoring an invalid Content-Length set by the handler", "value", v[0])
		}
	}
	switch {
	case !serverBodyAllowed(w.status):
		cl = -1
	case final && !w.isHead:
		cl = int64(len(w.body))
	case final && cl < 0 && w.written > 0: // HEAD: what GET would send
		cl = w.written
	case !final && cl < 0 && !w.isHead:
		if w.http10 {
			w.closeAfter = true // the body ends when the connection does
		} else {
			w.chunked = true
		}
	}
	w.declared = cl
	return cl
}

// appendInterim appends a 1xx interim answer with the headers set so far.
func (w *Response) appendInterim(b []byte, code int) []byte {
	b = serverAppendStatus(b, code)
	for k, vv := range w.header {
		if isToken(k) {
			for _, v := range vv {
				b = serverAppendField(b, k, v)
			}
		}
	}
	return append(b, "\r\n"...)
}

func serverAppendStatus(b []byte, code int) []byte {
	b = append(b, "HTTP/1.1 "...)
	b = strconv.AppendInt(b, int64(code), 10)
	b = append(b, ' ')
	if text := http.StatusText(code); text != "" {
		b = append(b, text...)
	} else {
		b = append(b, "status code "...)
		b = strconv.AppendInt(b, int64(code), 10)
	}
	return append(b, "\r\n"...)
}

// serverAppendField appends "key: value\r\n", with CR and LF in the value
// replaced by spaces (as net/http does) so that a value cannot inject
// headers.
func serverAppendField(b []byte, k, v string) []byte {
	b = append(b, k...)
	b = append(b, ": "...)
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == '\r' || c == '\n' {
			c = ' '
		}
		b = append(b, c)
	}
	return append(b, "\r\n"...)
}

// serverDateCache is the Date header value of the current second.
type serverDateCache struct {
	sec int64
	val string
}

var serverDateNow atomic.Pointer[serverDateCache]

// serverDate returns the current time in the format of the Date header,
// formatted at most once per second.
func serverDate(now time.Time) string {
	if d := serverDateNow.Load(); d != nil && d.sec == now.Unix() {
		return d.val
	}
	d := &serverDateCache{sec: now.Unix(), val: now.UTC().Format(http.TimeFormat)}
	serverDateNow.Store(d)
	return d.val
}
