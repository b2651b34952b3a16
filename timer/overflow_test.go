package timer

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// farFuture is the latest time a Queue can represent: base plus MaxInt64 ns.
var farFuture = epoch.Add(math.MaxInt64)

func TestHugeDurationDoesNotOverflow(t *testing.T) {
	q, c := newFakeQueue(t)
	var r recorder
	c.Advance(time.Hour)
	huge := q.Add(math.MaxInt64, r.fn("huge"))
	q.Add(time.Second, r.fn("soon"))

	assert.Equal(t, farFuture, huge.Deadline(), "the deadline saturates instead of wrapping")
	next, ok := q.Next()
	require.True(t, ok)
	assert.Equal(t, c.Now().Add(time.Second), next, "the huge timer did not wrap to the front")

	assert.Equal(t, 1, advance(q, c, 100*365*24*time.Hour))
	assert.Equal(t, []string{"soon"}, r.take())
	assert.True(t, huge.Active())

	assert.True(t, huge.Reset(math.MaxInt64-1))
	assert.Equal(t, farFuture, huge.Deadline())
	checkHeap(t, q)
}

func TestHugePeriodDoesNotOverflow(t *testing.T) {
	q, c := newFakeQueue(t)
	p := q.AddPeriodic(math.MaxInt64/2+1, func() {})
	advance(q, c, math.MaxInt64/2+1)
	assert.Equal(t, farFuture, p.Deadline(), "the re-armed deadline saturates")
	assert.True(t, p.Active())
}

func TestRunAtFarFutureDoesNotWrapPeriodicDeadline(t *testing.T) {
	q, _ := newFakeQueue(t)
	calls := 0
	p := q.AddPeriodic(time.Second, func() { calls++ })

	assert.Equal(t, 1, q.Run(farFuture))
	assert.Equal(t, farFuture, p.Deadline(),
		"catching up over ~292 years lands on the last representable deadline, not before base")
	assert.Equal(t, 1, calls)
}

func TestRunBeyondRepresentableTime(t *testing.T) {
	q, _ := newFakeQueue(t)
	q.Add(math.MaxInt64, func() {})
	assert.Equal(t, 1, q.Run(farFuture.Add(time.Hour)), "later than the last deadline still fires it")
}

func TestAddAtFarPast(t *testing.T) {
	q, c := newFakeQueue(t)
	var r recorder
	q.Add(0, r.fn("now"))
	past := q.AddAt(time.Time{}, r.fn("year 1"))
	assert.True(t, past.Deadline().Before(epoch))

	assert.Equal(t, 2, q.Run(c.Now()))
	assert.Equal(t, []string{"year 1", "now"}, r.take(), "an earlier absolute deadline runs first")
}
