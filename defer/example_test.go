package deferpool_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	deferpool "github.com/evmachine/evmachine/defer"
)

// The owner hands the pool a post function that queues callbacks for its
// own goroutine; here a channel stands in for the reactor's NextTick.
func Example() {
	ticks := make(chan func(), 16)
	pool := deferpool.New(func(fn func()) { ticks <- fn }, deferpool.WithWorkers(2))

	pending := 2
	pool.Submit(func(ctx context.Context) (any, error) {
		return strings.ToUpper("blocking work"), nil // runs on a worker
	}, func(res any, err error) {
		fmt.Println(res, err) // runs on the owner's goroutine
		pending--
	})
	pool.Submit(func(ctx context.Context) (any, error) {
		panic("oops")
	}, func(res any, err error) {
		fmt.Println(res, errors.Is(err, deferpool.ErrPanic))
		pending--
	})

	for pending > 0 {
		(<-ticks)() // one posted function may deliver several results
	}
	fmt.Println(pool.Close(time.Second))
	// Unordered output:
	// BLOCKING WORK <nil>
	// <nil> true
	// <nil>
}

// When the owner's loop stops it detaches first, so that no completion is
// posted to a loop that will never run it, then closes the pool.
func ExamplePool_Detach() {
	ticks := make(chan func(), 16)
	pool := deferpool.New(func(fn func()) { ticks <- fn })

	started := make(chan struct{})
	pool.Submit(func(ctx context.Context) (any, error) {
		close(started)
		<-ctx.Done() // a well-behaved operation gives up when the pool closes
		return nil, ctx.Err()
	}, func(any, error) { fmt.Println("never printed") })
	<-started

	// The loop is stopping.
	pool.Detach()
	err := pool.Close(5 * time.Second)
	fmt.Println(err, pool.Stats().Dropped, len(ticks))
	// Output: <nil> 1 0
}
