package deferpool_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	deferpool "github.com/evmachine/evmachine/defer"
)

// TestEveryOpCompletesOnce submits 10,000 operations from the loop, as the
// reactor does, and counts their completions on the loop without locks:
// -race proves that every done ran on that one goroutine.
func TestEveryOpCompletesOnce(t *testing.T) {
	checkLeaks(t)
	l := newLoop(t)
	p := newPool(t, l)

	const n = 10_000
	seen := make([]int, n) // loop goroutine only
	var delivered, wrong int
	all := make(chan struct{})
	l.post(func() {
		for i := range n {
			p.Submit(func(context.Context) (any, error) { return i, nil },
				func(res any, err error) {
					l.mustBeOnLoop()
					if err != nil || res != i {
						wrong++
					}
					seen[i]++
					if delivered++; delivered == n {
						close(all)
					}
				})
		}
	})
	wait(t, all, "10,000 completions")
	require.NoError(t, p.Close(watchdog))
	l.stop()

	assert.Zero(t, wrong, "completions with a wrong result or an error")
	for i, c := range seen {
		if c != 1 {
			t.Fatalf("op %d completed %d times", i, c)
		}
	}
	s := p.Stats()
	assert.Equal(t, uint64(n), s.Completed)
	assert.Zero(t, s.Failed+s.Rejected+s.Dropped)
	assert.Zero(t, s.Queued+s.Running+s.Workers)
}

// TestConcurrentSubmitters checks that Submit is safe from many goroutines
// and that every done still runs once, on the loop.
func TestConcurrentSubmitters(t *testing.T) {
	checkLeaks(t)
	l := newLoop(t)
	p := newPool(t, l, deferpool.WithWorkers(4))

	const submitters, each = 8, 1_000
	var count int // loop goroutine only
	all := make(chan struct{})
	done := func(_ any, err error) {
		l.mustBeOnLoop()
		assert.NoError(t, err)
		if count++; count == submitters*each {
			close(all)
		}
	}
	var wg sync.WaitGroup
	for range submitters {
		wg.Go(func() {
			for range each {
				p.Submit(func(context.Context) (any, error) { return nil, nil }, done)
			}
		})
	}
	wg.Wait()
	wait(t, all, "completions from concurrent submitters")
	assert.Equal(t, uint64(submitters*each), p.Stats().Completed)
}

func TestErrorReachesDone(t *testing.T) {
	checkLeaks(t)
	l := newLoop(t)
	p := newPool(t, l)
	errBoom := errors.New("boom")

	results := make(chan result, 1)
	p.Submit(func(context.Context) (any, error) { return 7, errBoom }, l.collect(results))
	r := wait(t, results, "done")
	assert.Equal(t, 7, r.res, "the result is passed on with the error")
	assert.ErrorIs(t, r.err, errBoom)
	assert.Equal(t, uint64(1), p.Stats().Failed)
}

func TestNilDoneRunsOpAndPostsNothing(t *testing.T) {
	checkLeaks(t)
	var posts int
	var mu sync.Mutex
	p := deferpool.New(func(func()) { mu.Lock(); posts++; mu.Unlock() })
	ran := make(chan struct{})
	p.Submit(func(context.Context) (any, error) { close(ran); return nil, nil }, nil)
	wait(t, ran, "op")
	require.NoError(t, p.Close(watchdog))
	mu.Lock()
	defer mu.Unlock()
	assert.Zero(t, posts)
	assert.Equal(t, uint64(1), p.Stats().Completed)
}

func TestNewAndSubmitRejectNil(t *testing.T) {
	assert.Panics(t, func() { deferpool.New(nil) })
	p := deferpool.New(func(func()) {})
	assert.Panics(t, func() { p.Submit(nil, func(any, error) {}) })
	assert.NoError(t, p.Close(0))
}

// TestStats follows the counters through one blocked operation, two queued
// ones, a failure and a rejection.
func TestStats(t *testing.T) {
	checkLeaks(t)
	l := newLoop(t)
	p := newPool(t, l, deferpool.WithWorkers(1), deferpool.WithQueueSize(2))
	assert.Equal(t, deferpool.Stats{}, p.Stats(), "nothing started before the first Submit")

	g := newGate()
	results := make(chan result, 4)
	p.Submit(g.op(false), l.collect(results))
	wait(t, g.started, "op start")
	p.Submit(func(context.Context) (any, error) { return nil, nil }, l.collect(results))
	p.Submit(func(context.Context) (any, error) { return nil, errors.New("x") }, l.collect(results))
	p.Submit(func(context.Context) (any, error) { return nil, nil }, l.collect(results))
	assert.ErrorIs(t, wait(t, results, "rejection").err, deferpool.ErrQueueFull)

	assert.Equal(t, deferpool.Stats{Workers: 1, Queued: 2, Running: 1, Rejected: 1}, p.Stats())
	close(g.release)
	for range 3 {
		wait(t, results, "done")
	}
	assert.Equal(t, deferpool.Stats{Workers: 1, Completed: 2, Failed: 1, Rejected: 1}, p.Stats())
	require.NoError(t, p.Close(watchdog))
	assert.Zero(t, p.Stats().Workers)
}
