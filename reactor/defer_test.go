package reactor_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	deferpool "github.com/evmachine/evmachine/defer"
	"github.com/evmachine/evmachine/reactor"
)

// TestDefer10000CompleteOnceOnLoop submits 10,000 operations, half through
// r.Defer and half through the generic Defer, and counts each completion in
// a plain slice that only the loop touches: a done run anywhere else is a
// data race under -race, and the goroutine probe checks it directly too.
func TestDefer10000CompleteOnceOnLoop(t *testing.T) {
	const n = 10_000
	r, _ := asyncStart(t)
	loop := asyncLoopGID(t, r)
	counts := make([]int, n) // loop-only, no locks
	total, offLoop, errs := 0, 0, 0
	all := make(chan struct{})
	record := func(i int, err error) {
		if asyncGID() != loop {
			offLoop++
		}
		if err != nil {
			errs++
		}
		counts[i]++
		total++
		if total == n {
			close(all)
		}
	}
	asyncOnLoop(t, r, func() {
		for i := range n {
			if i%2 == 0 {
				r.Defer(func(context.Context) (any, error) { return i, nil }, func(v any, err error) {
					record(v.(int), err)
				})
				continue
			}
			reactor.Defer(r, func(context.Context) (int, error) { return i, nil }, record)
		}
	})
	asyncWait(t, all, "10,000 completions")
	asyncOnLoop(t, r, func() {}) // a later iteration: a duplicate would have run by now
	asyncOnLoop(t, r, func() {
		assert.Zero(t, offLoop, "every done runs on the loop goroutine")
		assert.Zero(t, errs)
		assert.Equal(t, n, total)
		for i, c := range counts {
			if c != 1 {
				assert.Failf(t, "done count", "operation %d completed %d times", i, c)
				break
			}
		}
	})
	s := r.DeferStats()
	assert.Equal(t, uint64(n), s.Completed)
	assert.Equal(t, 20, s.Workers, "the default pool size")
	assert.Zero(t, s.Queued+s.Running)
}

func TestDeferPanicBecomesErrorAndWorkerSurvives(t *testing.T) {
	r, _ := asyncStart(t, reactor.WithDeferPoolSize(1))
	type result struct {
		v   int
		err error
	}
	results := make(chan result, 2)
	asyncOnLoop(t, r, func() {
		reactor.Defer(r, func(context.Context) (int, error) { panic("boom") },
			func(v int, err error) { results <- result{v, err} })
		reactor.Defer(r, func(context.Context) (int, error) { return 42, nil },
			func(v int, err error) { results <- result{v, err} })
	})
	first := asyncWait(t, results, "the panicking op's done")
	require.Error(t, first.err)
	assert.ErrorIs(t, first.err, deferpool.ErrPanic)
	var pe *deferpool.PanicError
	require.ErrorAs(t, first.err, &pe)
	assert.Equal(t, "boom", pe.Value)
	assert.Contains(t, string(pe.Stack), "defer_test.go", "the stack of the panic")
	second := asyncWait(t, results, "the next op on the same (only) worker")
	assert.NoError(t, second.err)
	assert.Equal(t, 42, second.v)
	s := r.DeferStats()
	assert.Equal(t, uint64(1), s.Failed)
	assert.Equal(t, uint64(1), s.Completed)
	assert.Equal(t, 1, s.Workers)
}

// TestDeferPanicInDoneOthersStillRun panics in some done callbacks: each
// panic is reported, and every other done still runs exactly once.
func TestDeferPanicInDoneOthersStillRun(t *testing.T) {
	const n = 200
	var panics []any // loop-only
	r, _ := asyncStart(t, reactor.WithPanicHandler(func(v any, _ []byte) { panics = append(panics, v) }))
	counts := make([]int, n)
	total := 0
	all := make(chan struct{})
	asyncOnLoop(t, r, func() {
		for i := range n {
			reactor.Defer(r, func(context.Context) (int, error) { return i, nil }, func(v int, err error) {
				assert.NoError(t, err)
				counts[v]++
				total++
				if total == n {
					close(all)
				}
				if v%50 == 7 {
					panic(v)
				}
			})
		}
	})
	asyncWait(t, all, "every done")
	asyncOnLoop(t, r, func() {}) // a later iteration: a duplicate would have run by now
	asyncOnLoop(t, r, func() {
		assert.Len(t, panics, n/50)
		for i, c := range counts {
			if c != 1 {
				assert.Failf(t, "done count", "operation %d completed %d times", i, c)
				break
			}
		}
	})
}

func TestDeferQueueFull(t *testing.T) {
	r, _ := asyncStart(t, reactor.WithDeferPoolSize(1), reactor.WithDeferQueueSize(1))
	started, release := make(chan struct{}), make(chan struct{})
	doneErrs := make(chan error, 3)
	var thirdRan atomic.Bool
	asyncOnLoop(t, r, func() {
		r.Defer(func(context.Context) (any, error) { // occupies the only worker
			close(started)
			<-release
			return nil, nil
		}, func(_ any, err error) { doneErrs <- err })
	})
	asyncWait(t, started, "the first op to start")
	asyncOnLoop(t, r, func() {
		r.Defer(func(context.Context) (any, error) { return nil, nil }, // fills the queue
			func(_ any, err error) { doneErrs <- err })
		inDefer := true
		r.Defer(func(context.Context) (any, error) { thirdRan.Store(true); return nil, nil },
			func(_ any, err error) {
				assert.False(t, inDefer, "ErrQueueFull is delivered in a later tick, not inside Defer")
				doneErrs <- err
			})
		inDefer = false
	})
	assert.ErrorIs(t, asyncWait(t, doneErrs, "the rejected op's done"), deferpool.ErrQueueFull)
	close(release)
	assert.NoError(t, asyncWait(t, doneErrs, "first done"))
	assert.NoError(t, asyncWait(t, doneErrs, "second done"))
	assert.False(t, thirdRan.Load(), "a rejected op never runs")
	assert.Equal(t, uint64(1), r.DeferStats().Rejected)
}

// TestDeferCancelledOnStop stops the reactor while one op blocks on its
// context and another waits in the queue: the first sees the cancellation
// and returns, neither done runs (Run has returned), and both are counted
// as dropped.
func TestDeferCancelledOnStop(t *testing.T) {
	r, runDone := asyncStart(t, reactor.WithDeferPoolSize(1), reactor.WithDeferCloseGrace(asyncWatchdog))
	started := make(chan struct{})
	var sawCancel, doneCalled atomic.Bool
	asyncOnLoop(t, r, func() {
		r.Defer(func(ctx context.Context) (any, error) {
			close(started)
			<-ctx.Done()
			sawCancel.Store(true)
			return nil, ctx.Err()
		}, func(any, error) { doneCalled.Store(true) })
		r.Defer(func(context.Context) (any, error) { return nil, nil },
			func(any, error) { doneCalled.Store(true) })
	})
	asyncWait(t, started, "the blocking op to start")
	r.Stop()
	require.NoError(t, asyncWait(t, runDone, "Run to return after Stop"))
	assert.True(t, sawCancel.Load(), "the op's context was cancelled and Stop waited for it")
	assert.False(t, doneCalled.Load(), "no done runs after the loop stopped")
	s := r.DeferStats()
	assert.Equal(t, uint64(2), s.Dropped, "the cancelled op and the queued one")
	assert.Zero(t, s.Running)
	assert.Zero(t, s.Workers, "no worker is left")
}

// TestDeferCompletionQueuedAtStopIsDropped finishes an op while the loop is
// held in a tick, then stops: the completion that was waiting for the loop
// is dropped and counted, never run.
func TestDeferCompletionQueuedAtStopIsDropped(t *testing.T) {
	r, runDone := asyncStart(t)
	var doneCalled atomic.Bool
	asyncOnLoop(t, r, func() {
		r.Defer(func(context.Context) (any, error) { return 1, nil },
			func(any, error) { doneCalled.Store(true) })
		deadline := time.Now().Add(asyncWatchdog)
		for r.DeferStats().Completed == 0 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond) // hold the loop until the op has run
		}
		r.Stop()
	})
	require.NoError(t, asyncWait(t, runDone, "Run to return"))
	assert.False(t, doneCalled.Load())
	assert.Equal(t, uint64(1), r.DeferStats().Completed)
	assert.Equal(t, uint64(1), r.DeferStats().Dropped)
}

func TestDeferBeforeRunAndAfterStop(t *testing.T) {
	r, err := reactor.New()
	require.NoError(t, err)
	got := make(chan int, 1)
	reactor.Defer(r, func(context.Context) (int, error) { return 7, nil }, func(v int, err error) {
		assert.NoError(t, err)
		got <- v
		r.Stop()
	})
	runDone := make(chan error, 1)
	go func() { runDone <- r.Run() }()
	assert.Equal(t, 7, asyncWait(t, got, "a done deferred before Run"))
	require.NoError(t, asyncWait(t, runDone, "Run to return"))

	// After Run returned: nothing runs, nothing hangs, the drop is counted.
	r.Defer(func(context.Context) (any, error) { return nil, nil }, func(any, error) { t.Error("done after Run") })
	assert.Equal(t, uint64(1), r.DeferStats().Dropped)
}

func TestDeferDeferrable(t *testing.T) {
	r, _ := asyncStart(t)
	ok, failed := make(chan string, 1), make(chan error, 1)
	boom := errors.New("boom")
	asyncOnLoop(t, r, func() {
		reactor.DeferDeferrable(r, func(context.Context) (string, error) { return "hi", nil }).
			Callback(func(v string) { ok <- v })
		reactor.DeferDeferrable(r, func(context.Context) (string, error) { return "", boom }).
			Errback(func(err error) { failed <- err })
	})
	assert.Equal(t, "hi", asyncWait(t, ok, "callback"))
	assert.ErrorIs(t, asyncWait(t, failed, "errback"), boom)
}
