package reactor_test

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/evmachine/evmachine/reactor"
)

// Blocking work runs on the worker pool; its result comes back on the loop.
func ExampleDefer() {
	err := reactor.Run(func(r *reactor.Reactor) {
		exampleWatchdog(r)
		reactor.Defer(r, func(ctx context.Context) (int, error) {
			return len("blocking work"), nil // e.g. a database query
		}, func(n int, err error) {
			fmt.Println("done on the loop:", n, err)
			r.Stop()
		})
	})
	if err != nil {
		fmt.Println("Run:", err)
	}
	// Output: done on the loop: 13 <nil>
}

func ExampleReactor_System() {
	err := reactor.Run(func(r *reactor.Reactor) {
		exampleWatchdog(r)
		r.System(exec.Command("sh", "-c", "echo hello; exit 2"), func(out []byte, err error) {
			var exit *exec.ExitError
			fmt.Printf("%q %v\n", out, errors.As(err, &exit) && exit.ExitCode() == 2)
			r.Stop()
		})
	})
	if err != nil {
		fmt.Println("Run:", err)
	}
	// Output: "hello\n" true
}

func ExampleDeferrable() {
	err := reactor.Run(func(r *reactor.Reactor) {
		exampleWatchdog(r)
		d := reactor.NewDeferrable[string](r).Timeout(time.Minute)
		d.Callback(func(v string) { fmt.Println("got", v) })
		d.Errback(func(err error) { fmt.Println("failed:", err) })
		r.AddTimer(time.Millisecond, func() {
			d.Succeed("answer")
			d.Fail(nil) // too late: the first outcome wins
			r.Stop()
		})
	})
	if err != nil {
		fmt.Println("Run:", err)
	}
	// Output: got answer
}

func ExampleQueue() {
	err := reactor.Run(func(r *reactor.Reactor) {
		exampleWatchdog(r)
		q := reactor.NewQueue[string](r)
		go q.Push("from", "another", "goroutine")
		var words []string
		var pop func(string)
		pop = func(w string) {
			words = append(words, w)
			if len(words) == 3 {
				fmt.Println(strings.Join(words, " "))
				r.Stop()
				return
			}
			q.Pop(pop)
		}
		q.Pop(pop)
	})
	if err != nil {
		fmt.Println("Run:", err)
	}
	// Output: from another goroutine
}

func ExampleChannel() {
	err := reactor.Run(func(r *reactor.Reactor) {
		exampleWatchdog(r)
		ch := reactor.NewChannel[string](r)
		ch.Subscribe(func(m string) { fmt.Println("a got", m) })
		id := ch.Subscribe(func(m string) { fmt.Println("b got", m) })
		ch.Push("one")
		r.AddTimer(time.Millisecond, func() {
			ch.Unsubscribe(id)
			ch.Push("two")
			r.AddTimer(time.Millisecond, r.Stop)
		})
	})
	if err != nil {
		fmt.Println("Run:", err)
	}
	// Output:
	// a got one
	// b got one
	// a got two
}

func ExampleIterator() {
	err := reactor.Run(func(r *reactor.Reactor) {
		exampleWatchdog(r)
		urls := []string{"a", "b", "c", "d", "e"}
		it := reactor.NewIterator(r, urls, 2) // at most 2 fetches at a time
		reactor.MapIterator(it, func(u string, done func(int)) {
			reactor.Defer(r, func(context.Context) (int, error) {
				return len(u) * 10, nil // e.g. fetch u
			}, func(n int, _ error) { done(n) })
		}, func(sizes []int) {
			fmt.Println(sizes)
			r.Stop()
		})
	})
	if err != nil {
		fmt.Println("Run:", err)
	}
	// Output: [10 10 10 10 10]
}

// exampleWatchdog stops an example's reactor if it has not stopped by
// itself in time, so a broken example fails instead of hanging. (Stop on a
// stopped reactor does nothing, so the timer may outlive the example.)
func exampleWatchdog(r *reactor.Reactor) { time.AfterFunc(asyncWatchdog, r.Stop) }
