package reactor_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/evmachine/evmachine/reactor"
)

// TestIteratorConcurrencyNeverExceeded finishes each item from a timer with
// a pseudo-random delay, so completions come out of order, and tracks the
// largest number in flight.
func TestIteratorConcurrencyNeverExceeded(t *testing.T) {
	const n, limit = 200, 7
	r, _ := asyncStart(t)
	items := make([]int, n)
	for i := range items {
		items[i] = i
	}
	var order []int
	inFlight, maxInFlight, afters := 0, 0, 0
	finished := make(chan struct{})
	asyncOnLoop(t, r, func() {
		it := reactor.NewIterator(r, items, limit)
		it.Each(func(v int, next func()) {
			order = append(order, v)
			inFlight++
			maxInFlight = max(maxInFlight, inFlight)
			assert.Equal(t, inFlight, it.InFlight())
			delay := time.Duration((v*7919)%5) * time.Millisecond
			r.AddTimer(delay, func() {
				inFlight--
				next()
				next() // a second call has no effect
			})
		}, func() {
			afters++
			close(finished)
		})
	})
	asyncWait(t, finished, "the iterator's final callback")
	asyncOnLoop(t, r, func() {
		assert.Equal(t, limit, maxInFlight, "the limit is reached and never exceeded")
		assert.Zero(t, inFlight)
		assert.Equal(t, 1, afters)
		assert.Equal(t, items, order, "items are handed out in order")
	})
}

// TestIteratorConcurrencyChangedWhileRunning holds every item until the
// test releases it, so the number in flight is exact at each step.
func TestIteratorConcurrencyChangedWhileRunning(t *testing.T) {
	r, _ := asyncStart(t)
	var pending []func()
	started, afters := 0, 0
	var it *reactor.Iterator[int]
	n := 0
	asyncOnLoop(t, r, func() {
		it = reactor.NewIteratorFunc(r, func() (int, bool) { // a pull function of 10 items
			n++
			return n, n <= 10
		}, 2)
		it.Each(func(_ int, next func()) {
			started++
			pending = append(pending, next)
		}, func() { afters++ })
	})
	release := func(k int) {
		for range k {
			next := pending[0]
			pending = pending[1:]
			next()
		}
	}
	asyncOnLoop(t, r, func() {
		assert.Equal(t, 2, started)
		it.SetConcurrency(5) // more slots now
		assert.Equal(t, 5, started)
		assert.Equal(t, 5, it.InFlight())
		it.SetConcurrency(1) // fewer: takes effect as items finish
		release(3)
		assert.Equal(t, 5, started, "3 finished of 5 in flight at limit 1: nothing new")
		release(2)
		assert.Equal(t, 6, started, "back under the limit: one at a time")
		assert.Equal(t, 1, it.InFlight())
		assert.Panics(t, func() { it.SetConcurrency(0) }, "EventMachine: concurrency must be bigger than zero")
		assert.Equal(t, 1, it.Concurrency())
		it.SetConcurrency(10)
		assert.Equal(t, 10, started)
		assert.Zero(t, afters)
		release(len(pending))
		assert.Equal(t, 1, afters)
		assert.True(t, it.Done())
	})
}

func TestIteratorEmptyAndSynchronousNext(t *testing.T) {
	r, _ := asyncStart(t)
	afters := 0
	sum := 0
	done := make(chan struct{}, 2)
	asyncOnLoop(t, r, func() {
		reactor.NewIterator[int](r, nil, 3).Each(func(int, func()) {
			t.Error("no items")
		}, func() { afters++; done <- struct{}{} })

		// 100,000 items finished synchronously: no recursion, no stack blow-up.
		big := make([]int, 100_000)
		for i := range big {
			big[i] = 1
		}
		reactor.NewIterator(r, big, 4).Each(func(v int, next func()) {
			sum += v
			next()
		}, func() { afters++; done <- struct{}{} })
	})
	asyncWait(t, done, "first final callback")
	asyncWait(t, done, "second final callback")
	asyncOnLoop(t, r, func() {
		assert.Equal(t, 2, afters)
		assert.Equal(t, 100_000, sum)
	})
}

func TestIteratorPanicFinishesItemAndMap(t *testing.T) {
	var panics []any
	r, _ := asyncStart(t, reactor.WithPanicHandler(func(v any, _ []byte) { panics = append(panics, v) }))
	got := make(chan []string, 1)
	afterPanic := make(chan struct{})
	asyncOnLoop(t, r, func() {
		reactor.NewIterator(r, []int{1, 2, 3}, 1).Each(func(v int, next func()) {
			if v == 2 {
				panic("item 2")
			}
			next()
		}, func() { close(afterPanic) })

		words := []string{"a", "b", "c", "d"}
		it := reactor.NewIterator(r, words, 2)
		reactor.MapIterator(it, func(w string, done func(string)) {
			// Finish later items sooner, so results arrive out of order.
			r.AddTimer(time.Duration(len(words)-int(w[0]-'a'))*time.Millisecond, func() { done(w + w) })
		}, func(res []string) { got <- res })
	})
	asyncWait(t, afterPanic, "the walk past a panicking item")
	assert.Equal(t, []string{"aa", "bb", "cc", "dd"}, asyncWait(t, got, "map results"))
	asyncOnLoop(t, r, func() { assert.Equal(t, []any{"item 2"}, panics) })
}

func TestIteratorEachTwicePanics(t *testing.T) {
	r, _ := asyncStart(t)
	asyncOnLoop(t, r, func() {
		it := reactor.NewIterator(r, []int{1}, 1)
		it.Each(func(_ int, next func()) { next() }, nil)
		assert.Panics(t, func() { it.Each(func(int, func()) {}, nil) })
	})
}
