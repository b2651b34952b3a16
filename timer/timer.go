package timer

import (
	"math"
	"time"
)

// state is where a Timer is in its life. Only the owning Queue changes it.
type state uint8

const (
	stateIdle    state = iota // not armed: new, fired (one-shot) or cancelled
	stateQueued               // waiting in the heap
	stateDue                  // taken out of the heap by the current Run, not yet called
	stateRunning              // its callback is running now
)

// Timer is one deadline in a Queue. Its methods must be called on the
// goroutine that owns the Queue (the reactor's loop goroutine).
type Timer struct {
	q      *Queue
	fn     func()
	when   int64         // deadline, nanoseconds since q.base
	period time.Duration // > 0 for a periodic timer
	seq    uint64        // tie-breaker: order of arming
	index  int32         // position in q.heap while stateQueued (int32 keeps a Timer at 48 bytes)
	state  state
}

// minPeriod is the smallest interval a periodic timer may have; smaller and
// negative intervals are raised to it so the catch-up arithmetic terminates.
const minPeriod = time.Nanosecond

// Cancel stops the timer from firing again and reports whether that stopped
// anything, that is what Active reported: true for a timer that was waiting
// (also one due later in the current Run) and for a periodic timer cancelled
// from its own callback; false for a fired one-shot or an already cancelled
// timer. Cancel is idempotent and safe on a timer in any state.
func (t *Timer) Cancel() bool {
	active := t.Active()
	switch t.state {
	case stateQueued:
		t.q.remove(t)
		t.state = stateIdle
	case stateDue, stateRunning:
		t.state = stateIdle
	}
	return active
}

// Reset re-arms the timer to fire d from now (the Queue's clock), whether it
// was waiting, had fired or had been cancelled, and reports what Cancel
// would have: whether a future firing was replaced. A d <= 0 is due at once.
// For a periodic timer d also becomes the new interval (raised to one
// nanosecond, as in AddPeriodic) and the first deadline is d from now. A
// timer reset from a callback during a Run, even one due at once, fires in
// the next Run, not in the current one; a periodic timer reset from its own
// callback keeps the reset deadline instead of re-arming itself.
func (t *Timer) Reset(d time.Duration) bool {
	active := t.Active()
	if t.period > 0 {
		t.period = max(d, minPeriod)
		d = t.period
	}
	t.when = t.q.deadline(d)
	if t.state == stateQueued {
		t.q.seq++
		t.seq = t.q.seq
		t.q.heap[t.index].when = t.when
		t.q.fix(int(t.index))
	} else {
		t.q.push(t)
	}
	return active
}

// Active reports whether the timer will fire again if left alone: it is
// waiting, it is due later in the current Run, or it is a periodic timer
// whose callback is running (it re-arms when the callback returns).
func (t *Timer) Active() bool {
	switch t.state {
	case stateQueued, stateDue:
		return true
	case stateRunning:
		return t.period > 0
	}
	return false
}

// Deadline returns when the timer fires next (meaningful while Active).
func (t *Timer) Deadline() time.Time { return t.q.base.Add(time.Duration(t.when)) }

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
