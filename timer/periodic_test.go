package timer

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPeriodicFiresEveryInterval(t *testing.T) {
	q, c := newFakeQueue(t)
	calls := 0
	p := q.AddPeriodic(100*time.Millisecond, func() { calls++ })

	for i := 1; i <= 5; i++ {
		assert.Equal(t, 1, advance(q, c, 100*time.Millisecond), "tick %d", i)
		assert.Equal(t, i, calls)
		assert.Equal(t, epoch.Add(time.Duration(i+1)*100*time.Millisecond), p.Deadline())
	}
	assert.Equal(t, 0, q.Run(c.Now()), "once per interval")
}

func TestPeriodicDoesNotDriftWhenRunLate(t *testing.T) {
	q, c := newFakeQueue(t)
	var ranAt []time.Time
	p := q.AddPeriodic(100*time.Millisecond, func() { ranAt = append(ranAt, c.Now()) })

	// The owner always runs the queue 7ms late: deadlines stay on the
	// 100ms grid instead of sliding by 7ms per tick.
	for i := 1; i <= 10; i++ {
		due := epoch.Add(time.Duration(i) * 100 * time.Millisecond)
		c.Advance(due.Add(7 * time.Millisecond).Sub(c.Now()))
		require.Equal(t, 1, q.Run(c.Now()), "tick %d", i)
		assert.Equal(t, due.Add(100*time.Millisecond), p.Deadline(),
			"deadline is the previous deadline plus the interval")
	}
	assert.Len(t, ranAt, 10)
}

func TestPeriodicFallenBehindFiresOnceAndSkipsAhead(t *testing.T) {
	q, c := newFakeQueue(t)
	calls := 0
	p := q.AddPeriodic(100*time.Millisecond, func() { calls++ })

	// Deadline 100ms; the owner wakes at 450ms, 3.5 intervals late.
	assert.Equal(t, 1, advance(q, c, 450*time.Millisecond))
	assert.Equal(t, 1, calls, "no burst of catch-up calls")
	assert.Equal(t, epoch.Add(500*time.Millisecond), p.Deadline(),
		"next deadline is the first of the series after now")

	assert.Equal(t, 0, advance(q, c, 49*time.Millisecond))
	assert.Equal(t, 1, advance(q, c, time.Millisecond))
	assert.Equal(t, epoch.Add(600*time.Millisecond), p.Deadline())
}

func TestPeriodicFallenBehindExactlyOnGrid(t *testing.T) {
	q, c := newFakeQueue(t)
	p := q.AddPeriodic(100*time.Millisecond, func() {})

	advance(q, c, 300*time.Millisecond) // now is itself a deadline of the series
	assert.Equal(t, epoch.Add(400*time.Millisecond), p.Deadline(),
		"a deadline equal to now is already due, so the next one is after it")
}

func TestPeriodicCancelFromOwnCallback(t *testing.T) {
	q, c := newFakeQueue(t)
	calls := 0
	var p *Timer
	var stopped bool
	p = q.AddPeriodic(time.Second, func() {
		calls++
		if calls == 2 {
			stopped = p.Cancel()
		}
	})

	advance(q, c, time.Second)
	advance(q, c, time.Second)
	assert.True(t, stopped, "a running periodic timer had future firings to stop")
	assert.False(t, p.Active())
	assert.Equal(t, 0, q.Len())
	assert.Equal(t, 0, advance(q, c, time.Hour))
	assert.Equal(t, 2, calls)
	assert.False(t, p.Cancel())
}

func TestPeriodicActiveDuringOwnCallback(t *testing.T) {
	q, c := newFakeQueue(t)
	var p *Timer
	var active bool
	p = q.AddPeriodic(time.Second, func() { active = p.Active() })
	advance(q, c, time.Second)
	assert.True(t, active, "a running periodic timer will fire again")
	assert.True(t, p.Active())
}

func TestPeriodicReset(t *testing.T) {
	q, c := newFakeQueue(t)
	calls := 0
	p := q.AddPeriodic(time.Second, func() { calls++ })

	c.Advance(500 * time.Millisecond)
	assert.True(t, p.Reset(200*time.Millisecond), "it was waiting")
	assert.Equal(t, epoch.Add(700*time.Millisecond), p.Deadline())

	assert.Equal(t, 1, advance(q, c, 200*time.Millisecond))
	assert.Equal(t, epoch.Add(900*time.Millisecond), p.Deadline(), "the reset duration is the new interval")
	assert.Equal(t, 1, advance(q, c, 200*time.Millisecond))
	assert.Equal(t, 2, calls)
}

func TestPeriodicResetFromOwnCallback(t *testing.T) {
	q, c := newFakeQueue(t)
	calls := 0
	var p *Timer
	var pending bool
	p = q.AddPeriodic(100*time.Millisecond, func() {
		calls++
		if calls == 1 {
			pending = p.Reset(300 * time.Millisecond)
		}
	})

	advance(q, c, 100*time.Millisecond)
	assert.True(t, pending, "a running periodic timer had a firing to replace")
	assert.Equal(t, epoch.Add(400*time.Millisecond), p.Deadline(),
		"the reset wins over the automatic re-arm")
	assert.Equal(t, 1, q.Len(), "re-armed once, not twice")

	assert.Equal(t, 0, advance(q, c, 200*time.Millisecond))
	assert.Equal(t, 1, advance(q, c, 100*time.Millisecond))
	assert.Equal(t, epoch.Add(700*time.Millisecond), p.Deadline())
	assert.Equal(t, 2, calls)
}

func TestPeriodicResetAfterCancel(t *testing.T) {
	q, c := newFakeQueue(t)
	calls := 0
	p := q.AddPeriodic(time.Second, func() { calls++ })
	require.True(t, p.Cancel())

	assert.False(t, p.Reset(time.Second), "a cancelled timer had nothing pending")
	assert.True(t, p.Periodic(), "Reset keeps a periodic timer periodic")
	advance(q, c, time.Second)
	advance(q, c, time.Second)
	assert.Equal(t, 2, calls)
}

func TestPeriodicIntervalBelowOneNanosecond(t *testing.T) {
	q, c := newFakeQueue(t)
	calls := 0
	p := q.AddPeriodic(0, func() { calls++ })
	assert.Equal(t, epoch.Add(time.Nanosecond), p.Deadline(), "a 0 interval is raised to 1ns")

	assert.Equal(t, 1, advance(q, c, time.Second), "a tiny interval cannot spin a Run")
	assert.Equal(t, epoch.Add(time.Second+time.Nanosecond), p.Deadline())

	p.Reset(-time.Second)
	assert.Equal(t, c.Now().Add(time.Nanosecond), p.Deadline(),
		"Reset raises the interval the same way, and the first deadline with it")
	assert.Equal(t, 1, advance(q, c, time.Nanosecond))
	assert.Equal(t, 2, calls)
}

func TestPeriodicTiesWithOneShot(t *testing.T) {
	q, c := newFakeQueue(t)
	var r recorder
	q.AddPeriodic(time.Second, r.fn("periodic"))
	q.Add(2*time.Second, r.fn("one-shot"))

	advance(q, c, time.Second)
	advance(q, c, time.Second)
	// At 2s both are due; the one-shot was armed at 0, the periodic timer
	// was re-armed at 1s, so the one-shot goes first.
	assert.Equal(t, []string{"periodic", "one-shot", "periodic"}, r.take())
}
