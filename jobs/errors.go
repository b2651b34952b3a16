package jobs

import (
	"errors"
	"fmt"
)

// errNoClass is the error of a job without a class.
var errNoClass = errors.New("jobs: job has no class")

// errClosed is the error of a BlockingClient's calls after Close.
var errClosed = errors.New("jobs: BlockingClient is closed")

// ErrRedisGone is Shutdown's error when Redis did not answer its last
// commands (the requeue of unfinished jobs among them) in time.
var ErrRedisGone = errors.New("jobs: shutdown: Redis did not answer; unfinished jobs may not have been pushed back")

// ErrShutdownTimeout is Shutdown's error when running jobs did not finish
// in time and were pushed back onto their queues (their contexts are
// cancelled; their results, when they come, are ignored).
var ErrShutdownTimeout = errors.New("jobs: shutdown timeout: unfinished jobs were pushed back onto their queues")

// UnknownClassError is the failure of a job whose class has no handler.
type UnknownClassError struct{ Class string }

func (e *UnknownClassError) Error() string { return "jobs: no handler for class " + e.Class }

// ErrorClass returns "NameError", as Ruby names a missing class.
func (e *UnknownClassError) ErrorClass() string { return "NameError" }

// ErrorClasser is an error that names its class for Sidekiq's
// error_class field (the Web UI shows it); other errors are named by
// their Go type.
type ErrorClasser interface{ ErrorClass() string }

// PanicError is the failure of a handler that panicked: its value and
// the stack of the handler's goroutine.
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// ErrorClass returns "Panic".
func (e *PanicError) ErrorClass() string { return "Panic" }
