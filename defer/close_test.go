package deferpool_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	deferpool "github.com/evmachine/evmachine/defer"
)

// TestQueueFull fills a queue of two behind a blocked worker. The third
// Submit, made on the loop, must return at once and its done must not have
// run by then: ErrQueueFull arrives on a later tick.
func TestQueueFull(t *testing.T) {
	checkLeaks(t)
	l := newLoop(t)
	p := newPool(t, l, deferpool.WithWorkers(1), deferpool.WithQueueSize(2))

	g := newGate()
	results := make(chan result, 3)
	p.Submit(g.op(false), l.collect(results))
	wait(t, g.started, "op start")

	var calledInside bool // loop goroutine only
	var rejected error
	got := make(chan struct{})
	checked := make(chan struct{})
	l.post(func() {
		p.Submit(func(context.Context) (any, error) { return 1, nil }, l.collect(results))
		p.Submit(func(context.Context) (any, error) { return 2, nil }, l.collect(results))
		p.Submit(func(context.Context) (any, error) { return 3, nil }, func(_ any, err error) {
			calledInside = true
			rejected = err
			close(got)
		})
		assert.False(t, calledInside, "done ran inside Submit")
		close(checked)
	})
	wait(t, checked, "the submitting tick")
	wait(t, got, "the rejection")
	assert.ErrorIs(t, rejected, deferpool.ErrQueueFull)

	close(g.release)
	for range 3 {
		assert.NoError(t, wait(t, results, "done").err)
	}
	assert.Equal(t, uint64(1), p.Stats().Rejected)
}

func TestSubmitAfterClose(t *testing.T) {
	checkLeaks(t)
	l := newLoop(t)
	p := newPool(t, l)
	require.NoError(t, p.Close(watchdog), "closing an unused pool")

	var calledInside bool // loop goroutine only
	results := make(chan result, 1)
	checked := make(chan struct{})
	l.post(func() {
		done := l.collect(results)
		p.Submit(func(context.Context) (any, error) {
			t.Error("op ran after Close")
			return nil, nil
		}, func(res any, err error) { calledInside = true; done(res, err) })
		assert.False(t, calledInside, "done ran inside Submit")
		close(checked)
	})
	wait(t, checked, "the submitting tick")
	assert.ErrorIs(t, wait(t, results, "done").err, deferpool.ErrClosed)
	assert.Zero(t, p.Stats().Workers, "Submit after Close starts no workers")
}

// TestCloseCancelsAndRejects: Close cancels the running operation's
// context and hands ErrClosed to the ones still queued.
func TestCloseCancelsAndRejects(t *testing.T) {
	checkLeaks(t)
	l := newLoop(t)
	p := newPool(t, l, deferpool.WithWorkers(1))

	g := newGate()
	running := make(chan result, 1)
	p.Submit(g.op(true), l.collect(running))
	wait(t, g.started, "op start")
	queued := make(chan result, 3)
	for range 3 {
		p.Submit(func(context.Context) (any, error) {
			t.Error("a queued op ran after Close")
			return nil, nil
		}, l.collect(queued))
	}

	require.NoError(t, p.Close(watchdog))
	assert.ErrorIs(t, wait(t, running, "the running op's done").err, context.Canceled)
	for range 3 {
		assert.ErrorIs(t, wait(t, queued, "a queued op's done").err, deferpool.ErrClosed)
	}
	s := p.Stats()
	assert.Equal(t, deferpool.Stats{Failed: 1, Rejected: 3}, s)
}

// TestCloseGraceExpires: an operation that ignores its context outlives the
// grace period; Close says so, and a second Close waits for it.
func TestCloseGraceExpires(t *testing.T) {
	checkLeaks(t)
	l := newLoop(t)
	p := newPool(t, l, deferpool.WithWorkers(3))

	g := newGate()
	results := make(chan result, 1)
	p.Submit(g.op(false), l.collect(results))
	wait(t, g.started, "op start")

	start := time.Now()
	err := p.Close(20 * time.Millisecond)
	require.ErrorIs(t, err, deferpool.ErrGraceExpired)
	assert.Contains(t, err.Error(), "1 workers still running")
	assert.GreaterOrEqual(t, time.Since(start), 20*time.Millisecond, "Close waited the grace period")
	assert.ErrorIs(t, p.Close(0), deferpool.ErrGraceExpired, "Close(0) does not wait")

	close(g.release)
	require.NoError(t, p.Close(watchdog))
	r := wait(t, results, "the late op's done")
	assert.NoError(t, r.err, "a late operation still delivers its result")
	assert.Equal(t, "released", r.res)
}

// TestDetachDrops: after the owner detaches, completions are counted as
// dropped and never posted.
func TestDetachDrops(t *testing.T) {
	checkLeaks(t)
	l := newLoop(t)
	p := newPool(t, l, deferpool.WithWorkers(1))

	g := newGate()
	var calls int // loop goroutine only
	count := func(any, error) { calls++ }
	p.Submit(g.op(false), count)
	wait(t, g.started, "op start")
	ran := make(chan struct{})
	p.Submit(func(context.Context) (any, error) { close(ran); return nil, nil }, count)

	p.Detach()
	close(g.release)
	wait(t, ran, "the second op")
	require.NoError(t, p.Close(watchdog))                                   // the workers have returned: both drops are counted
	p.Submit(func(context.Context) (any, error) { return nil, nil }, count) // ErrClosed, dropped

	s := p.Stats()
	assert.Equal(t, uint64(3), s.Dropped)
	assert.Equal(t, uint64(2), s.Completed)
	assert.Equal(t, uint64(1), s.Rejected)
	ticked := make(chan struct{})
	l.post(func() { calls += 100; close(ticked) }) // after the drops, so any post would have run
	wait(t, ticked, "a tick")
	l.stop()
	assert.Equal(t, 100, calls, "no done ran after Detach")
}
