package reactor

import (
	"errors"
	"net"
	"os"
	"syscall"
)

// Sentinel errors. Unbind reasons and method errors wrap these, so test them
// with errors.Is.
var (
	// ErrClosed is returned by Write, Close and the other Conn methods once
	// the Conn is closed or closing.
	ErrClosed = errors.New("reactor: connection closed")
	// ErrStopped is the Unbind reason of every Conn closed by Stop.
	ErrStopped = errors.New("reactor: reactor stopped")
	// ErrConnectTimeout is the cause of an outbound connect that did not
	// complete within the pending-connect timeout (the Unbind reason is a
	// *net.OpError wrapping it). It is a net.Error whose Timeout is true,
	// so os.IsTimeout holds, and errors.Is matches it with
	// os.ErrDeadlineExceeded and syscall.ETIMEDOUT (EventMachine reports
	// Errno::ETIMEDOUT).
	ErrConnectTimeout error = &timeoutError{"reactor: connect timed out"}
	// ErrInactivityTimeout is the Unbind reason of a Conn that saw no
	// traffic in either direction for its inactivity timeout. Like
	// ErrConnectTimeout it is a timeout net.Error that matches
	// os.ErrDeadlineExceeded and syscall.ETIMEDOUT.
	ErrInactivityTimeout error = &timeoutError{"reactor: inactivity timeout"}
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
	// ErrDetached is the Unbind reason of a Conn handed to Go code by
	// Detach: the socket lives on as the net.Conn Detach returned.
	ErrDetached = errors.New("reactor: connection detached")
)

// timeoutError is a timeout shaped like net's: a net.Error whose Timeout
// is true, matching os.ErrDeadlineExceeded (what net.Conn deadlines give)
// and syscall.ETIMEDOUT (what EventMachine gives) under errors.Is, while
// errors.Is(err, ErrConnectTimeout) still names which one it was.
type timeoutError struct{ msg string }

func (e *timeoutError) Error() string   { return e.msg }
func (e *timeoutError) Timeout() bool   { return true }
func (e *timeoutError) Temporary() bool { return true }
func (e *timeoutError) Is(target error) bool {
	return target == os.ErrDeadlineExceeded || target == syscall.ETIMEDOUT
}

var _ net.Error = (*timeoutError)(nil)
