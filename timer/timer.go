package timer

import (
	"math"
	"time"
)

// Timer is a re-armable timer of a Queue, made by Add, AddAt or AddPeriodic.
// Unlike a Handle it stays usable after it fires or is cancelled: Reset arms
// it again with the same callback. Its methods must be called on the
// goroutine that owns the Queue (the reactor's loop goroutine).
type Timer struct {
	h      Handle // the current arming; dead once fired or cancelled
	fn     func()
	period time.Duration // > 0 for a periodic timer
}

// Cancel stops the timer from firing again and reports whether that stopped
// anything, that is what Active reported: true for a timer that was waiting
// (also one due later in the current Run) and for a periodic timer cancelled
// from its own callback; false for a fired one-shot or an already cancelled
// timer. Cancel is idempotent and safe on a timer in any state.
func (t *Timer) Cancel() bool { return t.h.Cancel() }

// Reset re-arms the timer to fire d from now (the Queue's clock), whether it
// was waiting, had fired or had been cancelled, and reports what Cancel
// would have: whether a future firing was replaced. A d <= 0 is due at once.
// For a periodic timer d also becomes the new interval (raised to one
// nanosecond, as in AddPeriodic) and the first deadline is d from now. A
// timer reset from a callback during a Run, even one due at once, fires in
// the next Run, not in the current one; a periodic timer reset from its own
// callback keeps the reset deadline instead of re-arming itself.
func (t *Timer) Reset(d time.Duration) bool {
	active := t.h.Active()
	if t.period > 0 {
		t.period = max(d, minPeriod)
		d = t.period
	}
	if !t.h.Reset(d) {
		q := t.h.q
		t.h = q.arm(q.deadline(d), t.fn, t.period)
	}
	return active
}

// Active reports whether the timer will fire again if left alone: it is
// waiting, it is due later in the current Run, or it is a periodic timer
// whose callback is running (it re-arms when the callback returns).
func (t *Timer) Active() bool { return t.h.Active() }

// Deadline returns when the timer fires next while it is Active (or while
// a one-shot's callback runs), and the zero Time after it fired or was
// cancelled.
func (t *Timer) Deadline() time.Time {
	d, _ := t.h.Deadline()
	return d
}

// Periodic reports whether the timer re-arms itself after firing.
func (t *Timer) Periodic() bool { return t.period > 0 }

// addSat adds d to a nanosecond deadline, saturating instead of overflowing
// for huge durations.
func addSat(when int64, d time.Duration) int64 {
	if d > 0 && when > math.MaxInt64-int64(d) {
		return math.MaxInt64
	}
	return when + int64(d)
}
