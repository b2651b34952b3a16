package http

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
)

// serverHasHost reports whether a head has a Host header line (ReadRequest
// moves its value to req.Host and drops it, so an empty Host and a missing
// one look alike afterwards).
func serverHasHost(block []byte) bool {
	for {
		i := bytes.IndexByte(block, '\n')
		if i < 0 {
			return false
		}
		block = block[i+1:]
		if len(block) >= 5 && block[4] == ':' && strings.EqualFold(string(block[:4]), "host") {
			return true
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
