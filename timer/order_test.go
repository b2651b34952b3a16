package timer

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRunFiresInDeadlineOrder(t *testing.T) {
	q, c := newFakeQueue(t)
	var r recorder
	q.Add(30*time.Millisecond, r.fn("30ms"))
	q.Add(10*time.Millisecond, r.fn("10ms"))
	q.Add(20*time.Millisecond, r.fn("20ms"))
	q.AddAt(epoch.Add(5*time.Millisecond), r.fn("at 5ms"))
	require.Equal(t, 4, q.Len())

	assert.Equal(t, 0, advance(q, c, 4*time.Millisecond), "nothing is due yet")
	assert.Empty(t, r.take())

	assert.Equal(t, 4, advance(q, c, time.Second))
	assert.Equal(t, []string{"at 5ms", "10ms", "20ms", "30ms"}, r.take())
	assert.Equal(t, 0, q.Len())
}

func TestRunFiresOnlyDueTimers(t *testing.T) {
	q, c := newFakeQueue(t)
	var r recorder
	q.Add(10*time.Millisecond, r.fn("a"))
	q.Add(20*time.Millisecond, r.fn("b"))

	assert.Equal(t, 1, advance(q, c, 10*time.Millisecond), "deadline == now is due")
	assert.Equal(t, []string{"a"}, r.take())
	assert.Equal(t, 1, q.Len())

	assert.Equal(t, 0, q.Run(c.Now()), "running again at the same time fires nothing")
	assert.Equal(t, 1, advance(q, c, 10*time.Millisecond))
	assert.Equal(t, []string{"b"}, r.take())
}

func TestTiesRunInOrderAdded(t *testing.T) {
	q, c := newFakeQueue(t)
	var r recorder
	names := []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"}
	for _, n := range names {
		q.Add(time.Second, r.fn(n))
	}
	q.AddAt(epoch.Add(time.Second), r.fn("at"))
	q.Add(0, r.fn("zero")) // earlier deadline: goes first
	q.Add(-time.Hour, r.fn("negative"))

	advance(q, c, time.Second)
	want := append([]string{"zero", "negative"}, names...)
	assert.Equal(t, append(want, "at"), r.take(),
		"a negative duration counts as 0: it does not jump ahead of timers already due")
}

func TestTiesFollowResetOrder(t *testing.T) {
	q, c := newFakeQueue(t)
	var r recorder
	a := q.Add(time.Second, r.fn("a"))
	q.Add(time.Second, r.fn("b"))
	a.Reset(time.Second) // re-armed after b: now runs after b

	advance(q, c, time.Second)
	assert.Equal(t, []string{"b", "a"}, r.take())
}

func TestAddedDuringRunWaitsForNextRun(t *testing.T) {
	q, c := newFakeQueue(t)
	var r recorder
	q.Add(0, func() {
		r.fn("first")()
		q.Add(0, r.fn("added, due at once"))
		q.Add(-time.Second, r.fn("added, overdue"))
	})

	assert.Equal(t, 1, q.Run(c.Now()))
	assert.Equal(t, []string{"first"}, r.take(), "timers armed by a callback wait for the next Run")
	assert.Equal(t, 2, q.Len())

	assert.Equal(t, 2, q.Run(c.Now()))
	assert.Equal(t, []string{"added, due at once", "added, overdue"}, r.take())
}

func TestSelfReaddingTimerCannotSpin(t *testing.T) {
	q, c := newFakeQueue(t)
	calls := 0
	var again func()
	again = func() {
		calls++
		q.Add(0, again)
	}
	q.Add(0, again)

	for i := 1; i <= 3; i++ {
		assert.Equal(t, 1, q.Run(c.Now()), "Run %d", i)
		assert.Equal(t, i, calls)
	}
	assert.Equal(t, 1, q.Len())
}

func TestNestedRunDoesNothing(t *testing.T) {
	q, c := newFakeQueue(t)
	var r recorder
	nested := -1
	q.Add(0, func() { nested = q.Run(c.Now()) })
	q.Add(0, r.fn("second"))

	assert.Equal(t, 2, q.Run(c.Now()))
	assert.Equal(t, 0, nested)
	assert.Equal(t, []string{"second"}, r.take(), "the outer Run still ran the second timer, once")
}

func TestNext(t *testing.T) {
	q, c := newFakeQueue(t)
	_, ok := q.Next()
	assert.False(t, ok, "an empty queue has no next deadline")

	a := q.Add(20*time.Millisecond, func() {})
	next, ok := q.Next()
	require.True(t, ok)
	assert.Equal(t, epoch.Add(20*time.Millisecond), next)

	b := q.Add(5*time.Millisecond, func() {})
	next, _ = q.Next()
	assert.Equal(t, epoch.Add(5*time.Millisecond), next, "an earlier timer becomes next")

	b.Cancel()
	next, _ = q.Next()
	assert.Equal(t, epoch.Add(20*time.Millisecond), next, "cancelling the next one moves Next on")

	c.Advance(10 * time.Millisecond)
	a.Reset(time.Millisecond)
	next, _ = q.Next()
	assert.Equal(t, epoch.Add(11*time.Millisecond), next, "Reset counts from the clock's now")

	advance(q, c, time.Second)
	_, ok = q.Next()
	assert.False(t, ok)
}

func TestNextDuringRunIgnoresCollectedTimers(t *testing.T) {
	q, c := newFakeQueue(t)
	q.Add(time.Hour, func() {})
	var next time.Time
	q.Add(0, func() { next, _ = q.Next() })
	q.Add(0, func() {})

	q.Run(c.Now())
	assert.Equal(t, epoch.Add(time.Hour), next)
}

func TestTimerAccessors(t *testing.T) {
	q, c := newFakeQueue(t)
	one := q.Add(time.Second, func() {})
	per := q.AddPeriodic(time.Minute, func() {})

	assert.False(t, one.Periodic())
	assert.True(t, per.Periodic())
	assert.Equal(t, epoch.Add(time.Second), one.Deadline())
	assert.Equal(t, epoch.Add(time.Minute), per.Deadline())
	assert.True(t, one.Active())
	assert.Same(t, c, q.Clock())

	advance(q, c, time.Second)
	assert.False(t, one.Active(), "a fired one-shot is not active")
	assert.True(t, per.Active())
}

func TestNewQueueDefaultsToRealClock(t *testing.T) {
	q := NewQueue(nil)
	assert.IsType(t, RealClock{}, q.Clock())

	fired := false
	q.Add(0, func() { fired = true })
	assert.Equal(t, 1, q.Run(time.Now()), "a 0 timer on the real clock is due at once")
	assert.True(t, fired)
	checkHeap(t, q)
}

func TestFakeClock(t *testing.T) {
	c := NewFakeClock(epoch)
	assert.Equal(t, epoch, c.Now())
	assert.Equal(t, epoch.Add(time.Second), c.Advance(time.Second))
	assert.Equal(t, epoch.Add(time.Second), c.Advance(-time.Hour), "clocks do not run backwards")
	assert.Equal(t, epoch.Add(time.Second), c.Now())
}
