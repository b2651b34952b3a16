package http

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
)

// serverFraming is what a request head says about its framing, read from
// the raw header lines: net/http's ReadRequest drops Content-Length when
// Transfer-Encoding is present and Transfer-Encoding in HTTP/1.0, and moves
// Host into req.Host, so these can no longer be told apart afterwards.
type serverFraming struct {
	host, contentLength, transferEncoding bool
}

// serverScanFraming reads the names of the header lines of a complete
// head (the request line is skipped).
func serverScanFraming(block []byte) serverFraming {
	var f serverFraming
	for {
		i := bytes.IndexByte(block, '\n')
		if i < 0 {
			return f
		}
		block = block[i+1:]
		name, _, ok := bytes.Cut(block[:min(len(block), len("transfer-encoding:"))], []byte(":"))
		if !ok {
			continue
		}
		switch len(name) {
		case len("host"):
			f.host = f.host || strings.EqualFold(string(name), "host")
		case len("content-length"):
			f.contentLength = f.contentLength || strings.EqualFold(string(name), "content-length")
		case len("transfer-encoding"):
			f.transferEncoding = f.transferEncoding || strings.EqualFold(string(name), "transfer-encoding")
		}
	}
}

// serverValidHost reports whether h only has the bytes a Host header may
// have (as net/http's server checks, with golang.org/x/net/http/httpguts).
func serverValidHost(h string) bool {
	for i := 0; i < len(h); i++ {
		c := h[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!$%&'()*+,-.:;=[]_~", c) >= 0:
		default:
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
