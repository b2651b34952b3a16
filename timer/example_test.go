package timer_test

import (
	"fmt"
	"time"

	"github.com/evmachine/evmachine/timer"
)

// A loop owns a Queue: it arms timers, asks Next how long it may wait, and
// calls Run with the current time. A FakeClock stands in for the real clock
// so the example runs instantly and prints the same thing every time.
func Example() {
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := timer.NewFakeClock(start)
	q := timer.NewQueue(clock) // timer.NewQueue(nil) uses the real clock

	q.Add(250*time.Millisecond, func() { fmt.Println("one-shot at", clock.Now().Sub(start)) })
	ticks := 0
	var tick *timer.Timer
	tick = q.AddPeriodic(100*time.Millisecond, func() {
		ticks++
		fmt.Println("tick", ticks, "at", clock.Now().Sub(start))
		if ticks == 3 {
			tick.Cancel()
		}
	})

	for {
		next, ok := q.Next()
		if !ok {
			break // nothing left: a real loop would now wait for I/O only
		}
		clock.Advance(next.Sub(clock.Now())) // a real loop sleeps in epoll_wait here
		q.Run(clock.Now())
	}
	// Output:
	// tick 1 at 100ms
	// tick 2 at 200ms
	// one-shot at 250ms
	// tick 3 at 300ms
}

// Reset pushes a deadline back, the usual way to implement an inactivity
// timeout: every sign of life re-arms the timer, so it fires only after a
// full quiet period.
func ExampleTimer_Reset() {
	clock := timer.NewFakeClock(time.Unix(0, 0))
	q := timer.NewQueue(clock)
	idle := q.Add(time.Second, func() { fmt.Println("idle timeout") })

	for range 3 {
		clock.Advance(600 * time.Millisecond)
		q.Run(clock.Now())
		idle.Reset(time.Second) // data arrived
		fmt.Println("activity; still waiting:", idle.Active())
	}
	clock.Advance(time.Second)
	q.Run(clock.Now())
	// Output:
	// activity; still waiting: true
	// activity; still waiting: true
	// activity; still waiting: true
	// idle timeout
}

// A Call hook wraps every callback; the reactor uses it to recover and log
// panics so that one bad timer cannot stop the loop.
func ExampleQueue_Call() {
	clock := timer.NewFakeClock(time.Unix(0, 0))
	q := timer.NewQueue(clock)
	q.Call = func(fn func()) {
		defer func() {
			if v := recover(); v != nil {
				fmt.Println("recovered:", v)
			}
		}()
		fn()
	}
	q.Add(0, func() { panic("bad timer") })
	q.Add(0, func() { fmt.Println("next timer still runs") })
	fmt.Println("ran", q.Run(clock.Now()))
	// Output:
	// recovered: bad timer
	// next timer still runs
	// ran 2
}
