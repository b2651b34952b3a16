package timer

import "time"

// state is where a slot's timer is in its life. Only the owning Queue
// changes it.
type state uint8

const (
	stateIdle    state = iota // free: on the free list
	stateQueued               // waiting in the heap
	stateDue                  // taken out of the heap by the current Run, not yet called
	stateRunning              // its callback is running now
)

// slot is the storage of one armed timer. Slots live in Queue.slots and are
// reused through the queue's free list, so arming a timer allocates nothing
// once the queue has grown to its peak; gen counts the reuses, so a Handle
// to an earlier use of the slot no longer matches it.
type slot struct {
	fn     func()
	period time.Duration // > 0 for a periodic timer
	when   int64         // deadline, nanoseconds since q.base
	seq    uint64        // tie-breaker: order of arming
	gen    uint32        // bumped each time the slot is released; never 0
	state  state
}

// minPeriod is the smallest interval a periodic timer may have; smaller and
// negative intervals are raised to it so the catch-up arithmetic terminates.
const minPeriod = time.Nanosecond

// alloc takes a free slot, or grows the tables by one, and returns it.
func (q *Queue) alloc() uint32 {
	if q.free > 0 {
		i := q.free - 1
		q.free = uint32(q.pos[i])
		return i
	}
	q.slots = append(q.slots, slot{gen: 1})
	q.pos = append(q.pos, 0)
	return uint32(len(q.slots) - 1)
}

// release ends the slot's current use: any Handle to it goes dead and the
// slot goes on the free list. The caller has taken it out of the heap.
func (q *Queue) release(i uint32) {
	s := &q.slots[i]
	s.fn = nil
	s.state = stateIdle
	s.gen++
	if s.gen == 0 {
		s.gen = 1 // the zero Handle must never match
	}
	q.pos[i] = int32(q.free)
	q.free = i + 1
}

// arm puts a fresh slot with fn and period in the heap at deadline when. It
// is push written out, as the hot path of Schedule and Add.
func (q *Queue) arm(when int64, fn func(), period time.Duration) Handle {
	i := q.alloc()
	s := &q.slots[i]
	s.fn, s.period, s.when = fn, period, when
	q.seq++
	s.seq = q.seq
	s.state = stateQueued
	q.heap = append(q.heap, entry{when, i})
	if n := len(q.heap) - 1; n > 0 && when <= q.heap[(n-1)/4].when {
		q.up(n) // a tie sorts after its parent: up compares the sequences
	} else {
		q.pos[i] = int32(n) // the usual case: a new deadline stays at the bottom
	}
	return Handle{q: q, slot: i, gen: s.gen}
}

// rearm moves the live slot i to deadline when, from any live state: a
// waiting timer moves in the heap, a due or running one goes back in.
func (q *Queue) rearm(i uint32, when int64) {
	s := &q.slots[i]
	s.when = when
	if s.state == stateQueued {
		q.seq++
		s.seq = q.seq
		p := int(q.pos[i])
		q.heap[p].when = when
		q.fix(p)
		return
	}
	q.push(i)
}

// active reports whether slot s will fire again if left alone.
func (s *slot) active() bool {
	switch s.state {
	case stateQueued, stateDue:
		return true
	case stateRunning:
		return s.period > 0
	}
	return false
}
