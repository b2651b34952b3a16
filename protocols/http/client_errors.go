package http

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// The client's sentinel errors. A request's callback receives a *url.Error
// (as net/http's Client returns) whose Err wraps one of these, or the
// reactor's reason: test with errors.Is. A refused connect wraps
// syscall.ECONNREFUSED; a connect timeout wraps reactor.ErrConnectTimeout;
// an inactivity timeout wraps reactor.ErrInactivityTimeout (both timeouts
// also report Timeout() == true); a connection that broke mid-response
// wraps io.ErrUnexpectedEOF; a cancelled context wraps its error; the
// overall timeout wraps ErrClientTimeout and context.DeadlineExceeded (and
// reports Timeout() == true).
var (
	// ErrClientMalformedResponse: the server sent something that is not a
	// valid HTTP/1.x response (bad status line, headers, length or chunk
	// framing). The connection is closed.
	ErrClientMalformedResponse = errors.New("http client: malformed response")
	// ErrClientResponseTooLarge: the header block exceeded the header limit
	// (WithClientMaxHeaderBytes) or the body the body limit
	// (WithClientMaxBodyBytes). The connection is closed.
	ErrClientResponseTooLarge = errors.New("http client: response too large")
	// ErrClientTooManyRedirects: following redirects was on and the limit
	// was reached; the callback also receives the last redirect response.
	ErrClientTooManyRedirects = errors.New("http client: too many redirects")
	// ErrClientBadRequest: the request cannot be sent (no URL or host, a
	// scheme other than http and https, an invalid header, an unreadable
	// body).
	ErrClientBadRequest = errors.New("http client: bad request")
	// ErrClientCanceled: ClientRequest.Cancel was called.
	ErrClientCanceled = errors.New("http client: request canceled")
	// ErrClientClosed: the Client was closed (Client.Close) before the
	// request completed, or a request was made on a closed Client.
	ErrClientClosed = errors.New("http client: client closed")
	// ErrClientTimeout: the request did not complete within the overall
	// timeout (WithClientTimeout). The error also wraps
	// context.DeadlineExceeded and reports Timeout() == true, as net/http's
	// Client.Timeout errors do. The connection is closed.
	ErrClientTimeout = errors.New("http client: request timeout")
)

// clientTimeoutError marks a timeout so that url.Error.Timeout (and
// net.Error users) see it, while errors.Is still finds the reactor's
// sentinel underneath.
type clientTimeoutError struct{ err error }

func (e clientTimeoutError) Error() string   { return e.err.Error() }
func (e clientTimeoutError) Unwrap() error   { return e.err }
func (e clientTimeoutError) Timeout() bool   { return true }
func (e clientTimeoutError) Temporary() bool { return true }

// clientDeadlineError is the error of a request that hit the overall
// timeout d.
func clientDeadlineError(d time.Duration) error {
	return clientTimeoutError{fmt.Errorf("%w: not complete within %v: %w", ErrClientTimeout, d, context.DeadlineExceeded)}
}

// clientURLError wraps err the way net/http's Client does: Op is the method
// in title case ("Get"), URL the request's URL.
func clientURLError(method, rawURL string, err error) error {
	if err == nil {
		return nil
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return err
	}
	op := "Get"
	if method != "" {
		op = method[:1] + strings.ToLower(method[1:])
	}
	return &url.Error{Op: op, URL: rawURL, Err: err}
}

// clientMalformed returns an error wrapping ErrClientMalformedResponse.
func clientMalformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrClientMalformedResponse, fmt.Sprintf(format, args...))
}

// errClientStop is returned by a parser callback to stop parsing at once
// (the request was cancelled from inside the callback).
var errClientStop = errors.New("http client: parsing stopped")

// errClientPause is returned by a parser callback to stop parsing for now
// (the request was paused from inside the callback): the parser stays
// usable, and the bytes after those consumed are fed again later.
var errClientPause = errors.New("http client: parsing paused")
