package deferpool_test

import (
	"context"
	"errors"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	deferpool "github.com/evmachine/evmachine/defer"
)

// TestBoundedMemory floods a pool with a million blocked operations: the
// queue holds only its limit, the rest get ErrQueueFull, and the heap stays
// near what the queue's entries need.
func TestBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("a million submissions")
	}
	checkLeaks(t)
	const n, queue = 1_000_000, deferpool.DefaultQueueSize
	r := floodPool(t, n, queue)
	t.Logf("%d submitted, %d accepted, %d rejected; peak heap %.1f MiB above the start (%.0f bytes per accepted op)",
		n, r.accepted, r.rejected, float64(r.peakHeap)/(1<<20), float64(r.peakHeap)/float64(r.accepted))

	assert.GreaterOrEqual(t, r.accepted, uint64(queue))
	assert.LessOrEqual(t, r.accepted, uint64(queue+deferpool.DefaultWorkers),
		"only the queue and the blocked workers hold operations")
	assert.Equal(t, uint64(n), r.accepted+r.rejected)
	assert.Equal(t, r.rejected, r.full, "every rejection was ErrQueueFull")
	assert.Less(t, r.peakHeap, uint64(64<<20), "the heap grew far beyond the queue's needs")
}

type floodResult struct {
	accepted, rejected, full uint64
	peakHeap                 uint64 // HeapInuse peak minus HeapInuse at the start
}

// floodPool submits n blocking operations from the loop, in ticks of 1,000
// submissions each (a reactor runs callbacks, not one endless one), samples
// the heap at every tick, checks the pool's Stats once everything is
// submitted, then releases the operations and waits for every done.
func floodPool(tb testing.TB, n, queue int) floodResult {
	const perTick = 1_000
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse

	l := newLoop(tb)
	p := deferpool.New(l.post, deferpool.WithQueueSize(queue))
	release := make(chan struct{})
	op := func(context.Context) (any, error) { <-release; return nil, nil }

	var r floodResult
	var submitted, finished int // loop goroutine only
	submittedAll, finishedAll := make(chan struct{}), make(chan struct{})
	done := func(_ any, err error) {
		if errors.Is(err, deferpool.ErrQueueFull) {
			r.full++
		}
		if finished++; finished == n {
			close(finishedAll)
		}
	}
	var tick func()
	tick = func() {
		for i := 0; i < perTick && submitted < n; i++ {
			p.Submit(op, done)
			submitted++
		}
		runtime.ReadMemStats(&ms)
		r.peakHeap = max(r.peakHeap, ms.HeapInuse-min(ms.HeapInuse, base))
		if submitted < n {
			l.post(tick)
		} else {
			close(submittedAll)
		}
	}
	l.post(tick)
	wait(tb, submittedAll, "a million submissions")
	s := p.Stats()
	require.LessOrEqual(tb, s.Queued, queue)
	require.LessOrEqual(tb, s.Running, deferpool.DefaultWorkers)
	close(release)
	wait(tb, finishedAll, "a million completions")
	require.NoError(tb, p.Close(watchdog))
	l.stop() // r was written on the loop; reading it is safe from here on

	s = p.Stats()
	r.accepted, r.rejected = s.Completed, s.Rejected
	return r
}
