package timer

import "time"

// Handle names one arming of a timer made with Queue.Schedule or
// Queue.SchedulePeriodic, as a signature names a timer in EventMachine. It
// is live from then until the timer is cancelled or, for a one-shot, until
// its callback returns; after that it is dead, and a dead Handle is
// harmless: its methods do nothing and report false even when the queue has
// reused its storage for a later timer. A Handle is a small value that
// arming does not allocate; the zero Handle names no timer. Its methods must
// be called on the goroutine that owns the Queue.
type Handle struct {
	q    *Queue
	slot uint32
	gen  uint32
}

// live returns the handle's slot while the handle is live.
func (h Handle) live() (*slot, bool) {
	if h.q == nil {
		return nil, false
	}
	s := &h.q.slots[h.slot]
	return s, s.gen == h.gen
}

// Active reports whether the timer will fire again if left alone: it is
// waiting, it is due later in the current Run, or it is a periodic timer
// whose callback is running (it re-arms when the callback returns).
func (h Handle) Active() bool {
	s, ok := h.live()
	return ok && s.active()
}

// Cancel stops the timer from firing again and reports whether that stopped
// anything (what Active reported). Cancelling kills the handle; a one-shot
// cancelled from its own callback has nothing left to stop and reports
// false. Cancel is idempotent.
func (h Handle) Cancel() bool {
	s, ok := h.live()
	if !ok || !s.active() {
		return false
	}
	if q := h.q; s.state == stateQueued {
		if last := len(q.heap) - 1; int(q.pos[h.slot]) == last {
			q.heap = q.heap[:last] // remove's usual case, written out: nothing moves
		} else {
			q.remove(h.slot)
		}
	}
	// A due or running slot is still named by the Run's batch; the batch
	// checks the generation, so releasing it now is safe.
	h.q.release(h.slot)
	return true
}

// Reset re-arms the timer to fire d from now (the Queue's clock) and
// reports whether it did: false, doing nothing, when the handle is dead. A
// d <= 0 is due at once. For a periodic timer d also becomes the interval
// (raised to one nanosecond). A timer reset from a callback during a Run
// fires in a later Run, and a one-shot may reset itself from its own
// callback to fire again.
func (h Handle) Reset(d time.Duration) bool {
	s, ok := h.live()
	if !ok {
		return false
	}
	if s.period > 0 {
		s.period = max(d, minPeriod)
		d = s.period
	}
	h.q.rearm(h.slot, h.q.deadline(d))
	return true
}

// Deadline returns when the timer fires next, and false when the handle is
// dead.
func (h Handle) Deadline() (time.Time, bool) {
	s, ok := h.live()
	if !ok {
		return time.Time{}, false
	}
	return h.q.base.Add(time.Duration(s.when)), true
}

// Schedule arms a one-shot timer that calls fn once, d from now, and returns
// its Handle. It is Add without the *Timer: once the queue has grown to its
// peak number of timers, Schedule allocates nothing. A d <= 0 is due at once.
func (q *Queue) Schedule(d time.Duration, fn func()) Handle {
	return q.arm(q.deadline(d), fn, 0)
}

// SchedulePeriodic arms a timer that calls fn every d, first d from now, as
// AddPeriodic does, and returns its Handle.
func (q *Queue) SchedulePeriodic(d time.Duration, fn func()) Handle {
	d = max(d, minPeriod)
	return q.arm(q.deadline(d), fn, d)
}
