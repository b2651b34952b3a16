package jobs

import (
	"context"
	"errors"
	"log/slog"
	"runtime/debug"
	"time"
)

// Recover is a middleware that turns a panic of the handlers inside it
// into a *PanicError carrying the stack, so the job fails (and is
// retried) instead of the process dying. The Server already does this
// around the whole chain; Recover lets an outer middleware (Logging) see
// the failure.
func Recover() Middleware {
	return func(next HandlerFunc) HandlerFunc {
		return func(ctx context.Context, j *Job) (err error) {
			return invoke(ctx, next, j)
		}
	}
}

// Logging is a middleware that logs each job's end with its class, jid,
// queue and duration, as Sidekiq's job logger; a failure is a warning
// with the error, and a panic's stack is logged too. Put it first in Use
// and Recover second to log panics.
func Logging(log *slog.Logger) Middleware {
	return func(next HandlerFunc) HandlerFunc {
		return func(ctx context.Context, j *Job) error {
			start := time.Now()
			err := next(ctx, j)
			attrs := []any{"class", j.Class, "jid", j.JID, "queue", j.Queue,
				"elapsed", time.Since(start).Round(time.Microsecond)}
			var pe *PanicError
			switch {
			case errors.As(err, &pe):
				log.Error("jobs: panic", append(attrs, "err", err, "stack", string(pe.Stack))...)
			case err != nil:
				log.Warn("jobs: fail", append(attrs, "err", err)...)
			default:
				log.Info("jobs: done", attrs...)
			}
			return err
		}
	}
}

// invoke runs h, turning a panic into a *PanicError with the stack. It
// runs off the loop.
func invoke(ctx context.Context, h HandlerFunc, j *Job) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &PanicError{Value: v, Stack: debug.Stack()}
		}
	}()
	return h(ctx, j)
}
