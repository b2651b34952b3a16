package timer

import "time"

// Queue holds timers in deadline order. It is not safe for concurrent use:
// every method must be called on the goroutine that owns it (the reactor's
// loop goroutine). It has no locks and starts no goroutines.
type Queue struct {
	clock   Clock
	real    bool      // clock is RealClock: read it with time.Since(base)
	base    time.Time // deadlines are stored as nanoseconds since base
	heap    []entry   // 4-ary min-heap on (when, seq)
	seq     uint64
	batch   []*Timer // due timers collected by the current Run
	running bool

	// Call, when set, runs each callback (the reactor sets it to recover
	// and log panics). When nil the callback is called directly.
	Call func(fn func())
}

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
	t := &Timer{q: q, fn: fn, when: q.deadline(d)}
	q.push(t)
	return t
}

// AddAt arms a one-shot timer that calls fn once at deadline.
func (q *Queue) AddAt(deadline time.Time, fn func()) *Timer {
	t := &Timer{q: q, fn: fn, when: q.since(deadline)}
	q.push(t)
	return t
}

// AddPeriodic arms a timer that calls fn every d, first d from now. The next
// deadline is the previous one plus d, so the timer does not drift. If the
// owner fell behind by several intervals, fn runs once and the next deadline
// is the first in the series after "now". Intervals below one nanosecond are
// raised to one nanosecond.
func (q *Queue) AddPeriodic(d time.Duration, fn func()) *Timer {
	d = max(d, minPeriod)
	t := &Timer{q: q, fn: fn, when: q.deadline(d), period: d}
	q.push(t)
	return t
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
		t := q.heap[0].t
		q.remove(t)
		t.state = stateDue
		q.batch = append(q.batch, t)
	}
	q.running = true
	ran, i := 0, 0
	defer func() { q.finishRun(i, nowNs) }()
	for ; i < len(q.batch); i++ {
		t := q.batch[i]
		if t.state != stateDue {
			continue
		}
		t.state = stateRunning
		if q.Call != nil {
			q.Call(t.fn)
		} else {
			t.fn()
		}
		ran++
		q.afterFire(t, nowNs)
	}
	return ran
}

// afterFire re-arms a periodic timer that is still running (not cancelled
// or reset by its callback) and retires a one-shot one.
func (q *Queue) afterFire(t *Timer, nowNs int64) {
	if t.state != stateRunning {
		return
	}
	if t.period <= 0 {
		t.state = stateIdle
		return
	}
	next := addSat(t.when, t.period)
	if next <= nowNs {
		// Fell behind: skip to the first deadline of the series after now.
		// Unsigned, because nowNs-t.when overflows int64 when t.when is far
		// in the past; nowNs-rem cannot go below t.when.
		rem := (uint64(nowNs) - uint64(t.when)) % uint64(t.period)
		next = addSat(nowNs-int64(rem), t.period)
	}
	t.when = next
	q.push(t)
}

// finishRun clears the batch. It runs deferred, so when a callback panics
// (with no Call hook to recover it) the panicking timer is retired or
// re-armed and the due timers not yet run go back to the heap for the next
// Run instead of being lost.
func (q *Queue) finishRun(i int, nowNs int64) {
	if i < len(q.batch) {
		q.afterFire(q.batch[i], nowNs)
		for _, t := range q.batch[i+1:] {
			if t.state == stateDue {
				q.reinsert(t) // keeps its sequence: ties stay in arming order
			}
		}
	}
	clear(q.batch)
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
