package reactor

import (
	"errors"
	"fmt"
	"time"

	"github.com/evmachine/evmachine/timer"
)

var (
	// ErrDeferrableTimeout is wrapped by the error a Deferrable fails with
	// when its Timeout expires before it was settled.
	ErrDeferrableTimeout = errors.New("reactor: deferrable timed out")
	// ErrDeferrableFailed is the error a Deferrable fails with when Fail is
	// given a nil error (EventMachine's fail with no arguments).
	ErrDeferrableFailed = errors.New("reactor: deferrable failed")
)

// DeferrableState is where a Deferrable is in its life.
type DeferrableState uint8

const (
	// DeferrablePending: neither Succeed nor Fail has been called yet.
	DeferrablePending DeferrableState = iota
	// DeferrableSucceeded: Succeed settled it; callbacks run with the value.
	DeferrableSucceeded
	// DeferrableFailed: Fail (or the timeout) settled it; errbacks run with the error.
	DeferrableFailed
)

// String returns "pending", "succeeded" or "failed".
func (s DeferrableState) String() string {
	switch s {
	case DeferrableSucceeded:
		return "succeeded"
	case DeferrableFailed:
		return "failed"
	default:
		return "pending"
	}
}

// Deferrable is EventMachine's EM::Deferrable: a result that will be known
// later. Callbacks (for success) and errbacks (for failure) may be added
// before or after the outcome; the first Succeed or Fail settles it, and
// every callback or errback then runs exactly once, in the order added, on
// the reactor goroutine. One added after the outcome runs at once, inside
// Callback/Errback. Callbacks of the side that did not happen are discarded.
//
// Deferrable is not safe for concurrent use: all its methods must be called
// on the reactor goroutine. Another goroutine settles one with
// r.NextTick(func() { d.Succeed(v) }). A panic in a callback is recovered
// and reported as any other callback panic; the remaining callbacks still
// run.
type Deferrable[T any] struct {
	r         *Reactor
	state     DeferrableState
	val       T
	err       error
	callbacks []func(T)
	errbacks  []func(error)
	running   bool // inside the settle loop: new callbacks queue instead of running
	timeout   *timer.Timer
}

// NewDeferrable returns a pending Deferrable whose timeout uses r's timers.
// Must be called on the reactor goroutine (or before Run).
func NewDeferrable[T any](r *Reactor) *Deferrable[T] {
	return &Deferrable[T]{r: r}
}

// Callback adds fn to run with the value once the Deferrable succeeds; if it
// already has, fn runs now. It returns d, so calls chain. A nil fn is
// ignored. Must be called on the reactor goroutine.
func (d *Deferrable[T]) Callback(fn func(v T)) *Deferrable[T] {
	if fn == nil || d.state == DeferrableFailed {
		return d
	}
	d.callbacks = append(d.callbacks, fn)
	if d.state == DeferrableSucceeded {
		d.flush()
	}
	return d
}

// Errback adds fn to run with the error once the Deferrable fails; if it
// already has, fn runs now. It returns d, so calls chain. A nil fn is
// ignored. Must be called on the reactor goroutine.
func (d *Deferrable[T]) Errback(fn func(err error)) *Deferrable[T] {
	if fn == nil || d.state == DeferrableSucceeded {
		return d
	}
	d.errbacks = append(d.errbacks, fn)
	if d.state == DeferrableFailed {
		d.flush()
	}
	return d
}

// Succeed settles the Deferrable with v and runs the callbacks, unless it
// was already settled; it reports whether this call settled it (the first
// Succeed or Fail wins). Inside one of this Deferrable's own callbacks or
// errbacks, though, Succeed re-settles it, as EventMachine's
// set_deferred_status does: the callbacks still to run get v (the idiom
// by which a callback changes what the later ones receive). A pending
// timeout is cancelled. Must be called on the reactor goroutine.
func (d *Deferrable[T]) Succeed(v T) bool {
	if d.state != DeferrablePending && !d.running {
		return false
	}
	d.state, d.val = DeferrableSucceeded, v
	d.settled()
	return true
}

// Fail settles the Deferrable with err (ErrDeferrableFailed if err is nil)
// and runs the errbacks, unless it was already settled; it reports whether
// this call settled it. Inside one of its own callbacks or errbacks it
// re-settles it, as Succeed does (a callback that fails it discards the
// callbacks still to run and runs the errbacks). A pending timeout is
// cancelled. Must be called on the reactor goroutine.
func (d *Deferrable[T]) Fail(err error) bool {
	if d.state != DeferrablePending && !d.running {
		return false
	}
	if err == nil {
		err = ErrDeferrableFailed
	}
	d.state, d.err = DeferrableFailed, err
	d.settled()
	return true
}

// Timeout makes the Deferrable fail with an error wrapping
// ErrDeferrableTimeout if it is still pending after dur (as
// EM::Deferrable#timeout). A reason, if given, is what the errbacks get,
// as EM's timeout(seconds, *args) passes its args: the error then wraps
// both the reason and ErrDeferrableTimeout. A second call replaces the
// first timeout. It does nothing once the Deferrable is settled. It
// returns d. Must be called on the reactor goroutine.
func (d *Deferrable[T]) Timeout(dur time.Duration, reason ...error) *Deferrable[T] {
	if d.state != DeferrablePending {
		return d
	}
	d.CancelTimeout()
	d.timeout = d.r.AddTimer(dur, func() {
		d.timeout = nil
		if len(reason) > 0 && reason[0] != nil {
			d.Fail(fmt.Errorf("%w (%w after %v)", reason[0], ErrDeferrableTimeout, dur))
			return
		}
		d.Fail(fmt.Errorf("%w after %v", ErrDeferrableTimeout, dur))
	})
	return d
}

// CancelTimeout cancels a pending timeout (as EM's cancel_timeout) and
// reports whether there was one. Must be called on the reactor goroutine.
func (d *Deferrable[T]) CancelTimeout() bool {
	if d.timeout == nil {
		return false
	}
	t := d.timeout
	d.timeout = nil
	return t.Cancel()
}

// State returns DeferrablePending, DeferrableSucceeded or DeferrableFailed. Must be called on the
// reactor goroutine.
func (d *Deferrable[T]) State() DeferrableState { return d.state }

// Result returns the value (after success) and the error (after failure);
// both are zero while pending. Must be called on the reactor goroutine.
func (d *Deferrable[T]) Result() (T, error) { return d.val, d.err }

// settled cancels the timeout and runs the callbacks of the side that
// happened; those of the other side are dropped once they have run (so a
// callback that fails the Deferrable still reaches the errbacks, as in
// EventMachine).
func (d *Deferrable[T]) settled() {
	d.CancelTimeout()
	d.flush()
}

// flush runs queued callbacks in order, each once. Callbacks added while it
// runs are appended and run by the same loop, not recursively; a
// re-settling inside one switches the loop to the new side and value.
func (d *Deferrable[T]) flush() {
	if d.running {
		return
	}
	d.running = true
	defer func() {
		d.running = false
		if d.state == DeferrableSucceeded {
			d.errbacks = nil
		} else {
			d.callbacks = nil
		}
	}()
	for {
		switch {
		case d.state == DeferrableSucceeded && len(d.callbacks) > 0:
			fn := d.callbacks[0]
			d.callbacks[0] = nil
			d.callbacks = d.callbacks[1:]
			d.r.safeCall(func() { fn(d.val) })
		case d.state == DeferrableFailed && len(d.errbacks) > 0:
			fn := d.errbacks[0]
			d.errbacks[0] = nil
			d.errbacks = d.errbacks[1:]
			d.r.safeCall(func() { fn(d.err) })
		default:
			return
		}
	}
}
