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
	index  int           // position in q.heap while stateQueued
	state  state
}

// minPeriod is the smallest interval a periodic timer may have; smaller and
// negative intervals are raised to it so the catch-up arithmetic terminates.
const minPeriod = time.Nanosecond

// Cancel stops the timer from firing again. It reports whether a future
// firing was stopped: true for a timer that was waiting (also one that is due
// later in the current Run), or for a periodic timer cancelled from its own
// callback; false for a fired one-shot or an already cancelled timer.
// Cancel is idempotent.
func (t *Timer) Cancel() bool {
	switch t.state {
	case stateQueued:
		t.q.remove(t)
		t.state = stateIdle
		return true
	case stateDue:
		t.state = stateIdle
		return true
	case stateRunning:
		t.state = stateIdle
		return t.period > 0
	}
	return false
}

// Reset re-arms the timer to fire d from now (the Queue's clock), whether it
// was waiting, had fired or had been cancelled, and reports whether it was
// waiting before. For a periodic timer d also becomes the new interval.
// A timer reset from a callback during a Run, and due at once, fires in the
// next Run, not in the current one.
func (t *Timer) Reset(d time.Duration) bool {
	wasActive := t.state == stateQueued || t.state == stateDue
	if t.period > 0 {
		t.period = max(d, minPeriod)
	}
	when := t.q.deadline(d)
	if t.state == stateQueued {
		t.when = when
		t.q.seq++
		t.seq = t.q.seq
		t.q.fix(t.index)
		return true
	}
	t.when = when
	t.q.push(t)
	return wasActive
}

// Active reports whether the timer will fire (it is waiting, or due in the
// current Run).
func (t *Timer) Active() bool { return t.state == stateQueued || t.state == stateDue }

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
