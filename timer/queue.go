package timer

import "time"

// Queue holds timers in deadline order. It is not safe for concurrent use:
// every method must be called on the goroutine that owns it (the reactor's
// loop goroutine). It has no locks and starts no goroutines.
type Queue struct {
	clock Clock
	real  bool      // clock is RealClock: read it with time.Since(base)
	base  time.Time // deadlines are stored as nanoseconds since base
	heap  []entry   // 4-ary min-heap on (when, seq)
	seq   uint64

	// Timer storage (slot.go): slots[i] is one timer and pos[i] its index
	// in heap while queued. Free slots are chained through pos: free is 1 +
	// the first free slot, pos[i] of a free slot 1 + the next (0 ends the
	// list). The tables grow to the peak number of timers armed at once and
	// are reused from then on.
	slots []slot
	pos   []int32
	free  uint32

	batch   []ref // due timers collected by the current Run
	running bool

	// Call, when set, runs each callback (the reactor sets it to recover
	// and log panics). When nil the callback is called directly.
	Call func(fn func())
}

// ref names one use of a slot, as a Handle does, without the queue.
type ref struct{ slot, gen uint32 }

// NewQueue returns an empty queue that reads deadlines from c (RealClock
// when c is nil).
func NewQueue(c Clock) *Queue {
	if c == nil {
		c = RealClock{}
	}
	q := &Queue{clock: c, base: c.Now()}
	switch c.(type) {
	case RealClock, *RealClock:
		q.real = true
	}
	return q
}

// Clock returns the queue's clock.
func (q *Queue) Clock() Clock { return q.clock }

// Len returns the number of timers waiting (not counting those collected
// by a Run that is in progress).
func (q *Queue) Len() int { return len(q.heap) }

// Add arms a one-shot timer that calls fn once, d from now. A d <= 0 is due
// at once (in the next Run, if called from a callback during a Run); a
// negative d is treated as 0, so it does not jump ahead of timers already due.
func (q *Queue) Add(d time.Duration, fn func()) *Timer {
	return &Timer{h: q.arm(q.deadline(d), fn, 0), fn: fn}
}

// AddAt arms a one-shot timer that calls fn once at deadline.
func (q *Queue) AddAt(deadline time.Time, fn func()) *Timer {
	return &Timer{h: q.arm(q.since(deadline), fn, 0), fn: fn}
}

// AddPeriodic arms a timer that calls fn every d, first d from now. The next
// deadline is the previous one plus d, so the timer does not drift. If the
// owner fell behind by several intervals, fn runs once and the next deadline
// is the first in the series after "now". Intervals below one nanosecond are
// raised to one nanosecond.
func (q *Queue) AddPeriodic(d time.Duration, fn func()) *Timer {
	d = max(d, minPeriod)
	return &Timer{h: q.arm(q.deadline(d), fn, d), fn: fn, period: d}
}

// Next returns the earliest deadline, and false when no timer is waiting.
func (q *Queue) Next() (time.Time, bool) {
	if len(q.heap) == 0 {
		return time.Time{}, false
	}
	return q.base.Add(time.Duration(q.heap[0].when)), true
}

// Run calls every timer due at now (deadline <= now) in deadline order,
// equal deadlines in the order they were armed, and returns how many ran.
// All due timers are collected before the first runs: a timer armed or reset
// by a callback runs in a later Run even if already due, and a due timer
// cancelled by an earlier callback of the same Run does not run. A nested
// call from inside a callback does nothing and returns 0.
func (q *Queue) Run(now time.Time) int {
	if q.running || len(q.heap) == 0 {
		return 0
	}
	nowNs := q.since(now)
	if q.heap[0].when > nowNs {
		return 0
	}
	for len(q.heap) > 0 && q.heap[0].when <= nowNs {
		i := q.heap[0].slot
		q.remove(i)
		s := &q.slots[i]
		s.state = stateDue
		q.batch = append(q.batch, ref{i, s.gen})
	}
	q.running = true
	ran, k := 0, 0
	defer func() { q.finishRun(k, nowNs) }()
	for ; k < len(q.batch); k++ {
		r := q.batch[k]
		s := &q.slots[r.slot]
		if s.gen != r.gen || s.state != stateDue {
			continue // cancelled or reset by an earlier callback
		}
		s.state = stateRunning
		if q.Call != nil {
			q.Call(s.fn)
		} else {
			s.fn()
		}
		ran++
		q.afterFire(r, nowNs)
	}
	return ran
}

// afterFire re-arms a periodic timer that is still running (not cancelled
// or reset by its callback) and retires a one-shot one. The callback may
// have grown the slot table, so the slot is looked up again.
func (q *Queue) afterFire(r ref, nowNs int64) {
	s := &q.slots[r.slot]
	if s.gen != r.gen || s.state != stateRunning {
		return
	}
	if s.period <= 0 {
		q.release(r.slot)
		return
	}
	next := addSat(s.when, s.period)
	if next <= nowNs {
		// Fell behind: skip to the first deadline of the series after now.
		// Unsigned, because nowNs-s.when overflows int64 when s.when is far
		// in the past; nowNs-rem cannot go below s.when.
		rem := (uint64(nowNs) - uint64(s.when)) % uint64(s.period)
		next = addSat(nowNs-int64(rem), s.period)
	}
	s.when = next
	q.push(r.slot)
}

// finishRun clears the batch. It runs deferred, so when a callback panics
// (with no Call hook to recover it) the panicking timer is retired or
// re-armed and the due timers not yet run go back to the heap for the next
// Run instead of being lost.
func (q *Queue) finishRun(k int, nowNs int64) {
	if k < len(q.batch) {
		q.afterFire(q.batch[k], nowNs)
		for _, r := range q.batch[k+1:] {
			if s := &q.slots[r.slot]; s.gen == r.gen && s.state == stateDue {
				q.reinsert(r.slot) // keeps its sequence: ties stay in arming order
			}
		}
	}
	q.batch = q.batch[:0]
	q.running = false
}

func (q *Queue) since(t time.Time) int64 { return int64(t.Sub(q.base)) }

// deadline turns a duration from now into a deadline. A d <= 0 means now, so
// that everything due at once runs in the order it was armed.
func (q *Queue) deadline(d time.Duration) int64 {
	var now int64
	if q.real {
		// time.Since reads only the monotonic clock; Now().Sub(base) would
		// read the wall clock too, and in a VM each read costs tens of ns.
		now = int64(time.Since(q.base))
	} else {
		now = q.since(q.clock.Now())
	}
	if d <= 0 {
		return now
	}
	return addSat(now, d)
}
