package timer

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCancelWaitingTimer(t *testing.T) {
	q, c := newFakeQueue(t)
	var r recorder
	a := q.Add(time.Second, r.fn("a"))
	q.Add(time.Second, r.fn("b"))

	assert.True(t, a.Cancel(), "a waiting timer was stopped")
	assert.False(t, a.Active())
	assert.Equal(t, 1, q.Len())
	checkHeap(t, q)

	assert.False(t, a.Cancel(), "cancelling twice stops nothing more")
	assert.Equal(t, 1, q.Len())

	advance(q, c, time.Second)
	assert.Equal(t, []string{"b"}, r.take())
}

func TestCancelFiredOneShot(t *testing.T) {
	q, c := newFakeQueue(t)
	a := q.Add(time.Second, func() {})
	advance(q, c, time.Second)

	assert.False(t, a.Cancel(), "a fired one-shot has nothing left to stop")
	assert.False(t, a.Cancel())
	assert.Equal(t, 0, q.Len())
}

func TestCancelInsideCallbackStopsLaterDueTimer(t *testing.T) {
	q, c := newFakeQueue(t)
	var r recorder
	var later *Timer
	var stopped bool
	q.Add(10*time.Millisecond, func() {
		r.fn("first")()
		stopped = later.Cancel()
	})
	later = q.Add(20*time.Millisecond, r.fn("later"))
	q.Add(30*time.Millisecond, r.fn("last"))

	assert.Equal(t, 2, advance(q, c, time.Second), "the cancelled timer is not counted")
	assert.Equal(t, []string{"first", "last"}, r.take())
	assert.True(t, stopped, "cancelling a timer due later in the same Run stops a firing")
	assert.False(t, later.Active())
	assert.False(t, later.Cancel())

	assert.Equal(t, 0, advance(q, c, time.Second), "and it does not come back")
	assert.Empty(t, r.take())
}

func TestCancelOneShotFromOwnCallback(t *testing.T) {
	q, c := newFakeQueue(t)
	var self *Timer
	var stopped, active bool
	self = q.Add(0, func() {
		active = self.Active()
		stopped = self.Cancel()
	})
	q.Run(c.Now())
	assert.False(t, active, "a running one-shot will not fire again")
	assert.False(t, stopped, "so cancelling it stops nothing")
}

func TestResetWaitingTimer(t *testing.T) {
	q, c := newFakeQueue(t)
	var r recorder
	a := q.Add(time.Second, r.fn("a"))

	c.Advance(500 * time.Millisecond)
	assert.True(t, a.Reset(time.Second), "a was waiting")
	assert.Equal(t, epoch.Add(1500*time.Millisecond), a.Deadline())
	assert.Equal(t, 1, q.Len(), "Reset does not duplicate the timer")

	assert.Equal(t, 0, advance(q, c, 500*time.Millisecond), "the old deadline is gone")
	assert.Equal(t, 1, advance(q, c, 500*time.Millisecond))
	assert.Equal(t, []string{"a"}, r.take())
}

func TestResetEarlier(t *testing.T) {
	q, c := newFakeQueue(t)
	var r recorder
	q.Add(time.Second, r.fn("b"))
	a := q.Add(time.Hour, r.fn("a"))
	a.Reset(time.Millisecond)
	checkHeap(t, q)

	advance(q, c, time.Second)
	assert.Equal(t, []string{"a", "b"}, r.take())
}

func TestResetFiredAndCancelledTimers(t *testing.T) {
	q, c := newFakeQueue(t)
	var r recorder
	fired := q.Add(0, r.fn("fired"))
	cancelled := q.Add(time.Second, r.fn("cancelled"))
	q.Run(c.Now())
	require.Equal(t, []string{"fired"}, r.take())
	require.True(t, cancelled.Cancel())

	assert.False(t, fired.Reset(time.Second), "a fired one-shot was not pending")
	assert.False(t, cancelled.Reset(time.Second), "a cancelled timer was not pending")
	assert.True(t, fired.Active())
	assert.True(t, cancelled.Active())
	assert.Equal(t, 2, q.Len())

	advance(q, c, time.Second)
	assert.Equal(t, []string{"fired", "cancelled"}, r.take(), "both fire again, in reset order")
}

func TestResetRepeatedlyKeepsOneEntry(t *testing.T) {
	q, c := newFakeQueue(t)
	var r recorder
	a := q.Add(time.Second, r.fn("a"))
	for i := 0; i < 5; i++ {
		assert.True(t, a.Reset(time.Duration(i+1)*time.Second))
	}
	assert.Equal(t, 1, q.Len())
	assert.Equal(t, 1, advance(q, c, time.Hour))
	assert.Equal(t, []string{"a"}, r.take(), "fires once")
}

func TestResetOneShotFromOwnCallback(t *testing.T) {
	q, c := newFakeQueue(t)
	calls := 0
	var self *Timer
	var pending bool
	self = q.Add(time.Second, func() {
		calls++
		if calls == 1 {
			pending = self.Reset(time.Second)
		}
	})

	advance(q, c, time.Second)
	assert.False(t, pending, "a running one-shot had no firing left to replace")
	assert.True(t, self.Active(), "the reset survives the end of its callback")
	assert.Equal(t, epoch.Add(2*time.Second), self.Deadline())

	assert.Equal(t, 1, advance(q, c, time.Second))
	assert.Equal(t, 2, calls)
	assert.False(t, self.Active())
}

func TestResetToZeroFromOwnCallbackWaitsForNextRun(t *testing.T) {
	q, c := newFakeQueue(t)
	calls := 0
	var self *Timer
	self = q.Add(0, func() {
		calls++
		self.Reset(0)
	})
	for i := 1; i <= 3; i++ {
		assert.Equal(t, 1, q.Run(c.Now()))
		assert.Equal(t, i, calls)
	}
}

func TestResetDueTimerDuringRunMovesItToNextRun(t *testing.T) {
	q, c := newFakeQueue(t)
	var r recorder
	var later *Timer
	var pending bool
	q.Add(0, func() {
		r.fn("first")()
		pending = later.Reset(0) // due in this Run; re-armed, so it waits
	})
	later = q.Add(0, r.fn("later"))

	assert.Equal(t, 1, q.Run(c.Now()))
	assert.Equal(t, []string{"first"}, r.take())
	assert.True(t, pending, "it was due, so a firing was replaced")
	assert.True(t, later.Active())

	assert.Equal(t, 1, q.Run(c.Now()))
	assert.Equal(t, []string{"later"}, r.take())
}

func TestCancelThenResetDuringRun(t *testing.T) {
	q, c := newFakeQueue(t)
	var r recorder
	var later *Timer
	q.Add(0, func() {
		later.Cancel()
		later.Reset(0)
		later.Cancel()
		later.Reset(time.Second)
	})
	later = q.Add(0, r.fn("later"))

	q.Run(c.Now())
	assert.Empty(t, r.take())
	assert.Equal(t, 0, q.Run(c.Now()))
	assert.Equal(t, 1, advance(q, c, time.Second))
	assert.Equal(t, []string{"later"}, r.take(), "fires once, at the last reset's deadline")
}

func TestZeroTimerCancelIsSafe(t *testing.T) {
	var tm Timer
	assert.False(t, tm.Cancel())
	assert.False(t, tm.Active())
}

// TestCancelReportsWhatActiveReported checks the one rule behind Cancel's
// and Reset's results in every state a timer can be in.
func TestCancelReportsWhatActiveReported(t *testing.T) {
	q, c := newFakeQueue(t)
	type probe struct{ active, cancelled bool }
	check := func(tm *Timer) probe { return probe{tm.Active(), tm.Cancel()} }

	waiting := q.Add(time.Hour, func() {})
	fired := q.Add(0, func() {})
	var dueLater, selfOneShot, selfPeriodic *Timer
	got := map[string]probe{}
	selfOneShot = q.Add(0, func() { got["running one-shot"] = check(selfOneShot) })
	selfPeriodic = q.AddPeriodic(time.Nanosecond, func() {
		got["running periodic"] = check(selfPeriodic)
		got["due later in this Run"] = check(dueLater)
	})
	dueLater = q.Add(time.Nanosecond, func() {})
	q.Run(c.Advance(time.Nanosecond))

	got["waiting"] = check(waiting)
	got["fired"] = check(fired)
	got["cancelled"] = check(waiting)
	assert.Equal(t, map[string]probe{
		"waiting":               {true, true},
		"due later in this Run": {true, true},
		"running periodic":      {true, true},
		"running one-shot":      {false, false},
		"fired":                 {false, false},
		"cancelled":             {false, false},
	}, got)
}
