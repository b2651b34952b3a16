package timer

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPanicWithoutCallHookKeepsOtherDueTimers(t *testing.T) {
	q, c := newFakeQueue(t)
	var r recorder
	q.Add(10*time.Millisecond, r.fn("before"))
	boom := q.Add(20*time.Millisecond, func() { panic("boom") })
	q.Add(30*time.Millisecond, r.fn("after 1"))
	q.Add(30*time.Millisecond, r.fn("after 2"))
	q.Add(time.Hour, r.fn("not due"))

	now := c.Advance(time.Second)
	assert.PanicsWithValue(t, "boom", func() { q.Run(now) })
	assert.Equal(t, []string{"before"}, r.take())
	checkHeap(t, q)
	assert.False(t, boom.Active(), "the panicking one-shot is retired")
	assert.Equal(t, 3, q.Len(), "the due timers not yet run went back to the queue")

	assert.Equal(t, 2, q.Run(now), "they run in the next Run")
	assert.Equal(t, []string{"after 1", "after 2"}, r.take())
	assert.Equal(t, 1, q.Len())
}

func TestPanicKeepsTieOrderWithTimersAddedBeforeIt(t *testing.T) {
	q, c := newFakeQueue(t)
	var r recorder
	q.Add(0, func() {
		q.Add(0, r.fn("added by the panicking callback"))
		panic("boom")
	})
	q.Add(0, r.fn("armed first"))

	require.Panics(t, func() { q.Run(c.Now()) })
	checkHeap(t, q)
	q.Run(c.Now())
	assert.Equal(t, []string{"armed first", "added by the panicking callback"}, r.take(),
		"a timer put back after a panic keeps its place among equal deadlines")
}

func TestPanickingPeriodicTimerIsRearmed(t *testing.T) {
	q, c := newFakeQueue(t)
	calls := 0
	p := q.AddPeriodic(time.Second, func() {
		calls++
		panic("boom")
	})

	require.Panics(t, func() { advance(q, c, time.Second) })
	checkHeap(t, q)
	assert.True(t, p.Active())
	assert.Equal(t, epoch.Add(2*time.Second), p.Deadline())
	require.Panics(t, func() { advance(q, c, time.Second) })
	assert.Equal(t, 2, calls)
}

func TestPanicAfterCancellingItself(t *testing.T) {
	q, c := newFakeQueue(t)
	var p *Timer
	p = q.AddPeriodic(time.Second, func() {
		p.Cancel()
		panic("boom")
	})
	require.Panics(t, func() { advance(q, c, time.Second) })
	assert.False(t, p.Active(), "the cancel made inside the callback holds")
	assert.Equal(t, 0, q.Len())
}

func TestPanicSkipsTimersCancelledEarlierInTheRun(t *testing.T) {
	q, c := newFakeQueue(t)
	var r recorder
	var victim *Timer
	q.Add(0, func() { victim.Cancel() })
	q.Add(0, func() { panic("boom") })
	victim = q.Add(0, r.fn("victim"))

	require.Panics(t, func() { q.Run(c.Now()) })
	assert.Equal(t, 0, q.Len(), "a cancelled timer is not put back")
	assert.Equal(t, 0, q.Run(c.Now()))
	assert.Empty(t, r.take())
}

func TestQueueUsableAfterPanic(t *testing.T) {
	q, c := newFakeQueue(t)
	var r recorder
	q.Add(0, func() { panic("boom") })
	require.Panics(t, func() { q.Run(c.Now()) })

	q.Add(time.Second, r.fn("later"))
	assert.Equal(t, 1, advance(q, c, time.Second), "Run is not stuck in its running state")
	assert.Equal(t, []string{"later"}, r.take())
}

func TestCallHookRunsEveryCallback(t *testing.T) {
	q, c := newFakeQueue(t)
	var r recorder
	var recovered []any
	hooked := 0
	q.Call = func(fn func()) {
		hooked++
		defer func() {
			if v := recover(); v != nil {
				recovered = append(recovered, v)
			}
		}()
		fn()
	}
	q.Add(0, r.fn("a"))
	q.Add(0, func() { panic("boom") })
	q.Add(0, r.fn("b"))
	q.AddPeriodic(time.Second, r.fn("periodic"))

	assert.Equal(t, 3, q.Run(c.Now()), "a recovered panic does not stop the Run")
	assert.Equal(t, []string{"a", "b"}, r.take())
	assert.Equal(t, []any{"boom"}, recovered)
	assert.Equal(t, 3, hooked)

	advance(q, c, time.Second)
	assert.Equal(t, []string{"periodic"}, r.take())
	assert.Equal(t, 4, hooked)
}

func TestCallHookThatSkipsTheCallback(t *testing.T) {
	q, c := newFakeQueue(t)
	var r recorder
	q.Call = func(func()) {}
	one := q.Add(0, r.fn("one-shot"))
	per := q.AddPeriodic(time.Second, r.fn("periodic"))

	assert.Equal(t, 1, q.Run(c.Now()), "handed to the hook counts as run")
	advance(q, c, time.Second)
	assert.Empty(t, r.take())
	assert.False(t, one.Active())
	assert.True(t, per.Active(), "a periodic timer is re-armed either way")
}
