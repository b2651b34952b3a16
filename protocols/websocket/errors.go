package websocket

import (
	"errors"
	"fmt"
)

// Close codes of RFC 6455 section 7.4.1 that this package sends or reports.
const (
	CloseNormal          = 1000 // the purpose of the connection is fulfilled
	CloseGoingAway       = 1001 // a server going down, a browser leaving the page
	CloseProtocolError   = 1002 // the peer broke the protocol
	CloseUnsupportedData = 1003 // a kind of data the endpoint cannot accept
	CloseNoStatus        = 1005 // reported only: the close frame had no code
	CloseAbnormal        = 1006 // reported only: the connection dropped without a close frame
	CloseInvalidPayload  = 1007 // a text message (or close reason) that is not UTF-8
	ClosePolicyViolation = 1008
	CloseTooBig          = 1009 // a frame or message beyond the limits
	CloseMandatoryExt    = 1010
	CloseInternalError   = 1011
)

// ErrClosed is returned by the send methods of a Conn whose close
// handshake has started or whose connection is gone.
var ErrClosed = errors.New("websocket: connection closed")

// ErrCloseTimeout is the Close reason reported when the peer did not answer
// a close frame (or close the TCP connection) within the close timeout.
var ErrCloseTimeout = errors.New("websocket: close handshake timed out")

// ProtocolError is a violation of RFC 6455 (or RFC 7692) by the peer, or a
// limit it exceeded: the connection is failed with Code (1002, 1007, 1009).
type ProtocolError struct {
	Code   uint16
	Reason string
}

func (e *ProtocolError) Error() string {
	return fmt.Sprintf("websocket: %s (close %d)", e.Reason, e.Code)
}

func protoErr(code uint16, format string, args ...any) *ProtocolError {
	return &ProtocolError{Code: code, Reason: fmt.Sprintf(format, args...)}
}

// CloseError is how a close the peer started (or an abnormal end) is
// reported: the code and reason of its close frame, 1005 for a close frame
// without a code, 1006 for a connection that dropped without one.
type CloseError struct {
	Code   uint16
	Reason string
}

func (e *CloseError) Error() string {
	return fmt.Sprintf("websocket: closed %d %q", e.Code, e.Reason)
}

// ValidCloseCode reports whether code may appear in a close frame on the
// wire (RFC 6455 7.4: 1000-1003, 1007-1014 and 3000-4999).
func ValidCloseCode(code uint16) bool {
	switch {
	case code >= 1000 && code <= 1003, code >= 1007 && code <= 1014:
		return true
	case code >= 3000 && code <= 4999:
		return true
	}
	return false
}
