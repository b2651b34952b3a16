package deferpool

import (
	"errors"
	"fmt"
)

// The sentinel errors are compared with errors.Is, from any goroutine.
var (
	// ErrQueueFull is handed to done when Submit found the queue full; the
	// operation did not run.
	ErrQueueFull = errors.New("deferpool: queue full")

	// ErrClosed is handed to done when the operation was submitted after
	// Close, or was still queued when Close was called; it did not run.
	ErrClosed = errors.New("deferpool: pool closed")

	// ErrPanic matches (errors.Is) every *PanicError.
	ErrPanic = errors.New("deferpool: operation panicked")

	// ErrGraceExpired is wrapped by the error Close returns when workers were
	// still running operations at the end of the grace period.
	ErrGraceExpired = errors.New("deferpool: close grace period expired")

	// errGoexit is the PanicError value of an operation that called
	// runtime.Goexit (t.FailNow in a test, for example).
	errGoexit = errors.New("deferpool: operation called runtime.Goexit")
)

// PanicError is the error handed to done when an operation panicked (or
// called runtime.Goexit). errors.Is(err, ErrPanic) holds for it, and so does
// errors.Is(err, v) when the panic value v is itself an error. It is not
// changed after it is made: any goroutine may read it.
type PanicError struct {
	Value any    // the value passed to panic
	Stack []byte // the worker's stack at the panic, as debug.Stack formats it
}

// Error returns the panic value, prefixed with the package name. The stack is
// not included; read it from Stack.
func (e *PanicError) Error() string {
	return fmt.Sprintf("deferpool: operation panicked: %v", e.Value)
}

// Unwrap returns ErrPanic, and the panic value too when it is an error.
func (e *PanicError) Unwrap() []error {
	if err, ok := e.Value.(error); ok {
		return []error{ErrPanic, err}
	}
	return []error{ErrPanic}
}
