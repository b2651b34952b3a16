package http

import (
	"bytes"
	"fmt"
	"net/http"
)

// serverFraming is what a request head says about its framing, read from
// the raw header lines: net/http's ReadRequest drops Content-Length when
// Transfer-Encoding is present and Transfer-Encoding in HTTP/1.0, and moves
// Host into req.Host, so these can no longer be told apart afterwards.
type serverFraming struct {
	host, contentLength, transferEncoding bool
}

// serverScanHead reads the header lines of a head that ReadRequest
// accepted (the request line is skipped, obs-fold continuations too): it
// reports whether every field name is a token (textproto keeps a name
// with a space before the colon) and which framing headers are present.
// One pass over the names, no allocation.
func serverScanHead(block []byte) (serverFraming, bool) {
	var f serverFraming
	for {
		i := bytes.IndexByte(block, '\n')
		if i < 0 || i+1 >= len(block) {
			return f, true
		}
		block = block[i+1:]
		switch block[0] {
		case '\r', '\n': // the empty line: the end
			return f, true
		case ' ', '\t': // obs-fold: a value continued
			continue
		}
		n := 0
		for n < len(block) && tokenChars[block[n]] {
			n++
		}
		if n == 0 || n == len(block) || block[n] != ':' {
			return f, false
		}
		switch name := block[:n]; n {
		case len("host"):
			f.host = f.host || equalFoldASCII(name, "host")
		case len("content-length"):
			f.contentLength = f.contentLength || equalFoldASCII(name, "content-length")
		case len("transfer-encoding"):
			f.transferEncoding = f.transferEncoding || equalFoldASCII(name, "transfer-encoding")
		}
	}
}

// hostChars marks the bytes a Host header may have (as net/http's server
// checks, with golang.org/x/net/http/httpguts).
var hostChars = func() (t [256]bool) {
	for _, c := range "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!$%&'()*+,-.:;=[]_~" {
		t[c] = true
	}
	return t
}()

// serverValidHost reports whether h only has the bytes a Host header may
// have.
func serverValidHost(h string) bool {
	for i := 0; i < len(h); i++ {
		if !hostChars[h[i]] {
			return false
		}
	}
	return true
}

// serverBody is the Body of a request the server read completely.
type serverBody struct {
	bytes.Reader
	data []byte
}

// Close does nothing; the body is in memory.
func (*serverBody) Close() error { return nil }

// RequestBody returns the body of a request received by a Server without
// copying it (nil when there is none), whatever has been read from
// req.Body. For other requests it returns nil. The caller must not modify
// it.
func RequestBody(req *http.Request) []byte {
	if b, ok := req.Body.(*serverBody); ok {
		return b.data
	}
	return nil
}

// serverRequestError is a request the server refuses: the status to
// answer, a short reason for the response body, and the cause.
type serverRequestError struct {
	status int
	reason string
	err    error
}

func (e *serverRequestError) Error() string {
	if e.err != nil {
		return fmt.Sprintf("http server: %d %s: %v", e.status, e.reason, e.err)
	}
	return fmt.Sprintf("http server: %d %s", e.status, e.reason)
}

func (e *serverRequestError) Unwrap() error { return e.err }

func serverFail(status int, reason string, err error) serverEvent {
	return serverEvent{kind: serverGotError, err: &serverRequestError{status: status, reason: reason, err: err}}
}
