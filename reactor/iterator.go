package reactor

import "runtime/debug"

// Iterator is EventMachine's EM::Iterator: it walks items with at most
// Concurrency of them in flight. Each item is handed to a callback together
// with a next function; the item counts as in flight until next is called,
// typically from an asynchronous completion (a Defer's done, a timer, a
// response). When every item has been handed out and finished, the final
// callback runs once.
//
// All methods must be called on the reactor goroutine, and next must be
// called there too (from another goroutine: r.NextTick(next)). Calling next
// more than once for the same item has no further effect. Items are handed
// out in order. A panic in foreach is recovered and reported, and counts as
// that item's next; a panic in the final callback is recovered and reported.
type Iterator[T any] struct {
	r           *Reactor
	pull        func() (T, bool)
	concurrency int
	inFlight    int
	exhausted   bool // pull returned false
	started     bool
	finished    bool // after has run (or is running)
	pumping     bool // inside pump: next calls only count down
	foreach     func(item T, next func())
	after       func()
}

// NewIterator returns an iterator over items with at most concurrency in
// flight; a concurrency below 1 panics, as EM::Iterator raises
// ArgumentError (a silent 1 would hide the bug). The slice is read as the walk goes, so it must
// not change until the walk ends. Must be called on the reactor goroutine
// (or before Run).
func NewIterator[T any](r *Reactor, items []T, concurrency int) *Iterator[T] {
	i := 0
	return NewIteratorFunc(r, func() (T, bool) {
		if i >= len(items) {
			var zero T
			return zero, false
		}
		i++
		return items[i-1], true
	}, concurrency)
}

// NewIteratorFunc returns an iterator over the items pull returns, until it
// returns false (EM::Iterator over a Proc). pull runs on the reactor
// goroutine, whenever a slot is free, and is not called again once it has
// returned false. Must be called on the reactor goroutine (or before Run).
func NewIteratorFunc[T any](r *Reactor, pull func() (T, bool), concurrency int) *Iterator[T] {
	checkConcurrency(concurrency)
	return &Iterator[T]{r: r, pull: pull, concurrency: concurrency}
}

func checkConcurrency(n int) {
	if n < 1 {
		panic("reactor: Iterator concurrency must be at least 1 (EventMachine: concurrency must be bigger than zero)")
	}
}

// Each starts the walk, as EM::Iterator#each: from the next tick on,
// foreach(item, next) runs for each item while fewer than Concurrency are in
// flight, and after (if not nil) runs once when every item has finished,
// also when there are none. Each may be called only once per Iterator; a
// second call panics. Must be called on the reactor goroutine.
func (it *Iterator[T]) Each(foreach func(item T, next func()), after func()) {
	if it.started {
		panic("reactor: Iterator.Each called twice")
	}
	if foreach == nil {
		panic("reactor: Iterator.Each with a nil foreach")
	}
	it.started = true
	it.foreach, it.after = foreach, after
	it.r.NextTick(it.pump)
}

// SetConcurrency changes how many items may be in flight, as
// EM::Iterator#concurrency= (below 1 panics, as NewIterator). A larger value starts more items at once; a
// smaller one takes effect as items finish. Must be called on the reactor
// goroutine.
func (it *Iterator[T]) SetConcurrency(n int) {
	checkConcurrency(n)
	it.concurrency = n
	if it.started {
		it.pump()
	}
}

// Concurrency returns the current limit. Must be called on the reactor
// goroutine.
func (it *Iterator[T]) Concurrency() int { return it.concurrency }

// InFlight returns the number of items handed out whose next has not been
// called yet. Must be called on the reactor goroutine.
func (it *Iterator[T]) InFlight() int { return it.inFlight }

// Done reports whether the walk has finished (after has run or is
// running). Must be called on the reactor goroutine.
func (it *Iterator[T]) Done() bool { return it.finished }

// pump hands out items while there is room, then runs after if the walk is
// over. A next called synchronously from foreach only counts down; the loop
// here picks up the freed slot, so a long walk of synchronous items does
// not recurse.
func (it *Iterator[T]) pump() {
	if it.pumping || it.finished {
		return
	}
	it.pumping = true
	for !it.exhausted && it.inFlight < it.concurrency {
		v, ok := it.pull()
		if !ok {
			it.exhausted = true
			it.pull = nil
			break
		}
		it.inFlight++
		next := it.nextFunc()
		if !it.call(v, next) {
			next() // a foreach that panicked has finished its item
		}
	}
	it.pumping = false
	if it.exhausted && it.inFlight == 0 {
		it.finished = true
		if it.after != nil {
			it.r.safeCall(it.after)
		}
	}
}

// call runs foreach for one item and reports whether it returned normally;
// a panic is recovered and reported.
func (it *Iterator[T]) call(v T, next func()) (ok bool) {
	defer func() {
		if !ok {
			it.r.reportPanic(recover(), debug.Stack(), nil)
		}
	}()
	it.foreach(v, next)
	return true
}

// nextFunc returns the next function of one item: the first call frees the
// item's slot, later calls do nothing.
func (it *Iterator[T]) nextFunc() func() {
	called := false
	return func() {
		if called {
			return
		}
		called = true
		it.inFlight--
		it.pump()
	}
}

// MapIterator walks it like Each, with fn producing one result per item
// through its done function (which also frees the item's slot), and calls
// after with the results in the order of the items, as EM::Iterator#map.
// Must be called on the reactor goroutine.
func MapIterator[T, R any](it *Iterator[T], fn func(item T, done func(R)), after func([]R)) {
	var results []R
	index := 0
	it.Each(func(item T, next func()) {
		i := index
		index++
		results = append(results, *new(R))
		called := false
		fn(item, func(v R) {
			if !called {
				called = true
				results[i] = v
				next()
			}
		})
	}, func() {
		if after != nil {
			after(results)
		}
	})
}

// Inject walks it like Each, folding the items into a value, as
// EM::Iterator#inject: fn gets the value so far and an item, and hands the
// new value to done (which also frees the item's slot); after gets the
// final value once every item is done. With a concurrency above 1, items in
// flight at once each see the value as it was when they started, as in
// EventMachine. Must be called on the reactor goroutine.
func Inject[T, M any](it *Iterator[T], memo M, fn func(memo M, item T, done func(M)), after func(M)) {
	it.Each(func(item T, next func()) {
		called := false
		fn(memo, item, func(v M) {
			if !called {
				called = true
				memo = v
				next()
			}
		})
	}, func() {
		if after != nil {
			after(memo)
		}
	})
}
