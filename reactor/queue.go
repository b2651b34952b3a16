package reactor

import "sync"

// Queue is EventMachine's EM::Queue: items pushed from any goroutine are
// handed, one each and in order, to callbacks registered with Pop, which run
// on the reactor goroutine. A Pop with nothing queued waits until an item
// arrives; waiting Pops are served first come, first served.
//
// Push, Pop, Size, Empty and NumWaiting are safe for concurrent use. Pop's
// callback always runs on the reactor goroutine, in a later tick (never
// inside Pop), so a callback may Pop again without recursion. Items pushed
// after the reactor stopped stay queued; their callbacks never run.
type Queue[T any] struct {
	r         *Reactor
	mu        sync.Mutex
	items     []T // items[head:] are queued
	head      int
	waiters   []func(T) // waiters[whead:] wait, oldest first
	whead     int
	scheduled bool // a serve tick is queued
	serveFn   func()
}

// NewQueue returns an empty queue whose callbacks run on r. Safe for
// concurrent use.
func NewQueue[T any](r *Reactor) *Queue[T] {
	q := &Queue[T]{r: r}
	q.serveFn = q.serve
	return q
}

// Push appends items to the queue, as EM::Queue#push. On the reactor
// goroutine they are queued at once; from another goroutine (or before Run)
// the push itself is scheduled onto the loop, as EventMachine's
// EM.schedule does, so Empty may still be true right after it returns.
// Waiting Pops get the items on the reactor goroutine in the next tick.
// Safe for concurrent use.
func (q *Queue[T]) Push(items ...T) {
	if len(items) == 0 {
		return
	}
	if !q.r.onLoop() {
		own := append([]T(nil), items...)
		if !q.r.post(func() { q.push(own) }) {
			q.push(own) // the reactor has stopped: they stay queued
		}
		return
	}
	q.push(items)
}

func (q *Queue[T]) push(items []T) {
	q.mu.Lock()
	q.items = append(q.items, items...)
	q.scheduleLocked()
	q.mu.Unlock()
}

// Pop registers fn to receive the next item, as EM::Queue#pop: fn runs on
// the reactor goroutine in a later tick, at once if an item is queued,
// otherwise when one is pushed. A nil fn is ignored. Safe for concurrent
// use.
func (q *Queue[T]) Pop(fn func(item T)) {
	if fn == nil {
		return
	}
	q.mu.Lock()
	q.waiters = append(q.waiters, fn)
	q.scheduleLocked()
	q.mu.Unlock()
}

// Size returns the number of items queued and not yet handed to a Pop
// callback. Safe for concurrent use.
func (q *Queue[T]) Size() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items) - q.head
}

// Empty reports whether no item is queued. Safe for concurrent use.
func (q *Queue[T]) Empty() bool { return q.Size() == 0 }

// NumWaiting returns the number of Pop callbacks waiting for an item, as
// EM::Queue#num_waiting. Safe for concurrent use.
func (q *Queue[T]) NumWaiting() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.waiters) - q.whead
}

// scheduleLocked queues one serve tick when there is an item and a waiter
// to pair. The caller holds q.mu.
func (q *Queue[T]) scheduleLocked() {
	if q.scheduled || len(q.items) == q.head || len(q.waiters) == q.whead {
		return
	}
	q.scheduled = true
	q.r.NextTick(q.serveFn)
}

// serve pairs items with waiters, in order, and runs the callbacks outside
// the lock. Pairs formed by Pops and Pushes that callbacks make are served
// in the next tick.
func (q *Queue[T]) serve() {
	q.mu.Lock()
	q.scheduled = false
	n := min(len(q.items)-q.head, len(q.waiters)-q.whead)
	items := make([]T, n)
	fns := make([]func(T), n)
	copy(items, q.items[q.head:])
	copy(fns, q.waiters[q.whead:])
	q.items, q.head = compact(q.items, q.head, q.head+n)
	q.waiters, q.whead = compact(q.waiters, q.whead, q.whead+n)
	q.mu.Unlock()
	for i, fn := range fns {
		v := items[i]
		q.r.safeCall(func() { fn(v) })
	}
}

// compact consumes s[from:head] (s[:from] is consumed already): it zeroes
// the consumed elements so they can be collected, and slides the rest to the
// front once half the slice is consumed, so a long-lived queue does not grow
// without bound.
func compact[E any](s []E, from, head int) ([]E, int) {
	clear(s[from:head])
	if head == len(s) {
		return s[:0], 0
	}
	if head > len(s)/2 {
		n := copy(s, s[head:])
		clear(s[n:])
		return s[:n], 0
	}
	return s, head
}
