package timer

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestScheduleFiresOnceAndTheHandleDies(t *testing.T) {
	q, c := newFakeQueue(t)
	var r recorder
	h := q.Schedule(time.Second, r.fn("a"))
	assert.True(t, h.Active())
	when, ok := h.Deadline()
	assert.True(t, ok)
	assert.Equal(t, epoch.Add(time.Second), when)

	assert.Equal(t, 1, advance(q, c, time.Second))
	assert.Equal(t, []string{"a"}, r.take())
	assert.False(t, h.Active())
	_, ok = h.Deadline()
	assert.False(t, ok, "a fired one-shot's handle is dead")
	assert.False(t, h.Cancel())
	assert.False(t, h.Reset(time.Second), "a dead handle does not re-arm")
	assert.Equal(t, 0, q.Len())
}

func TestDeadHandleDoesNotTouchTheSlotsNextTimer(t *testing.T) {
	q, c := newFakeQueue(t)
	var r recorder
	fired := q.Schedule(time.Second, r.fn("fired"))
	cancelled := q.Schedule(time.Second, r.fn("cancelled"))
	require.True(t, cancelled.Cancel())
	advance(q, c, time.Second)
	require.Equal(t, []string{"fired"}, r.take())

	// Both slots are free again; the next two timers reuse them.
	a := q.Schedule(time.Second, r.fn("a"))
	b := q.Schedule(time.Second, r.fn("b"))
	require.ElementsMatch(t, []uint32{fired.slot, cancelled.slot}, []uint32{a.slot, b.slot},
		"the test relies on slot reuse")

	assert.False(t, fired.Cancel())
	assert.False(t, cancelled.Cancel())
	assert.False(t, fired.Reset(time.Hour))
	assert.False(t, cancelled.Active())
	assert.Equal(t, 2, advance(q, c, time.Second))
	assert.Equal(t, []string{"a", "b"}, r.take())
}

func TestZeroHandle(t *testing.T) {
	var h Handle
	assert.False(t, h.Active())
	assert.False(t, h.Cancel())
	assert.False(t, h.Reset(time.Second))
	_, ok := h.Deadline()
	assert.False(t, ok)
}

func TestHandleResetMovesTheDeadline(t *testing.T) {
	q, c := newFakeQueue(t)
	var r recorder
	h := q.Schedule(time.Second, r.fn("a"))
	q.Schedule(2*time.Second, r.fn("b"))
	assert.True(t, h.Reset(3*time.Second))
	assert.Equal(t, 1, advance(q, c, 2*time.Second))
	assert.Equal(t, []string{"b"}, r.take())
	assert.Equal(t, 1, advance(q, c, time.Second))
	assert.Equal(t, []string{"a"}, r.take())
}

func TestOneShotHandleResetsItselfFromItsCallback(t *testing.T) {
	q, c := newFakeQueue(t)
	calls := 0
	var h Handle
	h = q.Schedule(time.Second, func() {
		calls++
		if calls < 3 {
			assert.False(t, h.Active(), "a one-shot whose callback runs will not fire again")
			assert.True(t, h.Reset(time.Second), "but its handle lives until the callback returns")
		}
	})
	for range 5 {
		advance(q, c, time.Second)
	}
	assert.Equal(t, 3, calls)
	assert.False(t, h.Active())
}

func TestOneShotHandleCancelledFromItsCallback(t *testing.T) {
	q, c := newFakeQueue(t)
	var h Handle
	h = q.Schedule(time.Second, func() {
		assert.False(t, h.Cancel(), "nothing left to stop")
	})
	assert.Equal(t, 1, advance(q, c, time.Second))
	assert.False(t, h.Active())
	assert.False(t, h.Reset(time.Second), "dead once the callback returned")
}

func TestPeriodicHandle(t *testing.T) {
	q, c := newFakeQueue(t)
	calls := 0
	h := q.SchedulePeriodic(100*time.Millisecond, func() { calls++ })
	for range 3 {
		advance(q, c, 100*time.Millisecond)
	}
	assert.Equal(t, 3, calls)
	when, ok := h.Deadline()
	require.True(t, ok)
	assert.Equal(t, epoch.Add(400*time.Millisecond), when, "no drift")

	assert.True(t, h.Reset(time.Second), "Reset changes the interval")
	advance(q, c, time.Second)
	advance(q, c, time.Second)
	assert.Equal(t, 5, calls)
	assert.True(t, h.Cancel())
	advance(q, c, time.Hour)
	assert.Equal(t, 5, calls)
}

// A periodic timer cancels itself from its callback and arms a new timer,
// which takes the freed slot: the new timer must not be re-armed as the
// periodic one, nor run in this Run.
func TestPeriodicCancelledInCallbackSlotReusedAtOnce(t *testing.T) {
	q, c := newFakeQueue(t)
	var r recorder
	var p, next Handle
	p = q.SchedulePeriodic(time.Second, func() {
		r.got = append(r.got, "p")
		assert.True(t, p.Cancel(), "a periodic timer cancelled from its callback stops")
		next = q.Schedule(0, r.fn("next"))
		require.Equal(t, p.slot, next.slot, "the test relies on slot reuse")
	})
	assert.Equal(t, 1, advance(q, c, time.Second))
	assert.Equal(t, []string{"p"}, r.take())
	assert.Equal(t, 1, q.Len(), "only the new timer waits")
	assert.Equal(t, 1, q.Run(c.Now()))
	assert.Equal(t, []string{"next"}, r.take())
	assert.Equal(t, 0, advance(q, c, time.Hour))
}

// A callback cancels a timer due later in the same Run and arms one due at
// once, which reuses the cancelled timer's slot: the cancelled one does not
// run and the new one waits for the next Run.
func TestDueTimerCancelledAndSlotReusedInTheSameRun(t *testing.T) {
	q, c := newFakeQueue(t)
	var r recorder
	var b Handle
	q.Schedule(time.Second, func() {
		r.got = append(r.got, "a")
		assert.True(t, b.Cancel())
		n := q.Schedule(0, r.fn("new"))
		require.Equal(t, b.slot, n.slot, "the test relies on slot reuse")
	})
	b = q.Schedule(time.Second, r.fn("b"))
	assert.Equal(t, 1, advance(q, c, time.Second))
	assert.Equal(t, []string{"a"}, r.take())
	assert.Equal(t, 1, q.Run(c.Now()))
	assert.Equal(t, []string{"new"}, r.take())
}

func TestClearKillsHandles(t *testing.T) {
	q, c := newFakeQueue(t)
	h := q.Schedule(time.Second, func() { t.Error("cleared timer ran") })
	p := q.SchedulePeriodic(time.Second, func() { t.Error("cleared timer ran") })
	q.Clear()
	assert.False(t, h.Active())
	assert.False(t, p.Cancel())
	assert.Equal(t, 0, advance(q, c, time.Hour))
}

func TestScheduleAllocatesNothingOnceGrown(t *testing.T) {
	q := NewQueue(NewFakeClock(epoch))
	for range 100 {
		q.Schedule(time.Hour, noop) // grow the tables to a steady size
	}
	fired := 0
	fn := func() { fired++ }
	allocs := testing.AllocsPerRun(1000, func() {
		q.Schedule(time.Minute, noop).Cancel()
		h := q.SchedulePeriodic(time.Minute, fn)
		h.Reset(time.Second)
		h.Cancel()
	})
	assert.Zero(t, allocs, "Schedule, Reset and Cancel reuse slots")
}

func TestTimerDeadlineOnceFiredOrCancelled(t *testing.T) {
	q, c := newFakeQueue(t)
	fired := q.Add(time.Second, func() {})
	cancelled := q.Add(time.Second, func() {})
	assert.Equal(t, epoch.Add(time.Second), fired.Deadline())
	cancelled.Cancel()
	advance(q, c, time.Second)
	assert.True(t, fired.Deadline().IsZero(), "no next firing: the zero Time")
	assert.True(t, cancelled.Deadline().IsZero())
	fired.Reset(time.Minute)
	assert.Equal(t, c.Now().Add(time.Minute), fired.Deadline(), "a reset timer has a deadline again")
}
