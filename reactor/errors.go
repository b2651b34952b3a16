package reactor

import "errors"

// Sentinel errors. Unbind reasons and method errors wrap these, so test them
// with errors.Is.
var (
	// ErrClosed is returned by Write, Close and the other Conn methods once
	// the Conn is closed or closing.
	ErrClosed = errors.New("reactor: connection closed")
	// ErrStopped is the Unbind reason of every Conn closed by Stop.
	ErrStopped = errors.New("reactor: reactor stopped")
	// ErrConnectTimeout is the Unbind reason of an outbound connect that did
	// not complete within the pending-connect timeout.
	ErrConnectTimeout = errors.New("reactor: connect timed out")
	// ErrInactivityTimeout is the Unbind reason of a Conn that saw no
	// traffic in either direction for its inactivity timeout.
	ErrInactivityTimeout = errors.New("reactor: inactivity timeout")
	// ErrPanic is the Unbind reason of a Conn one of whose callbacks
	// panicked; the error text carries the panic value.
	ErrPanic = errors.New("reactor: callback panicked")
	// ErrUnsupportedNetwork is returned by Listen and Connect for networks
	// other than tcp, tcp4, tcp6 and unix.
	ErrUnsupportedNetwork = errors.New("reactor: unsupported network")
	// ErrAlreadyRun is returned by Run on a reactor that is running or has
	// already run: a Reactor runs once; create another with New.
	ErrAlreadyRun = errors.New("reactor: Run called twice")
	// ErrNotRunning is returned by Listen and Connect on a reactor that has
	// stopped.
	ErrNotRunning = errors.New("reactor: not running (stopped)")
)
