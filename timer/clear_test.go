package timer

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestClearCancelsEveryWaitingTimer(t *testing.T) {
	q, c := newFakeQueue(t)
	var r recorder
	one := q.Add(time.Second, r.fn("one-shot"))
	per := q.AddPeriodic(time.Second, r.fn("periodic"))
	require.Equal(t, 2, q.Len())

	q.Clear()
	assert.Equal(t, 0, q.Len())
	_, ok := q.Next()
	assert.False(t, ok)
	assert.False(t, one.Active())
	assert.False(t, per.Active())
	assert.False(t, one.Cancel(), "nothing left to stop")
	assert.False(t, per.Cancel())
	assert.Equal(t, 0, advance(q, c, time.Hour))
	assert.Empty(t, r.take())
}

func TestClearThenResetRearms(t *testing.T) {
	q, c := newFakeQueue(t)
	var r recorder
	one := q.Add(time.Second, r.fn("one-shot"))
	q.Clear()

	assert.False(t, one.Reset(time.Second))
	assert.Equal(t, 1, advance(q, c, time.Second))
	assert.Equal(t, []string{"one-shot"}, r.take())
}

func TestClearInsideCallback(t *testing.T) {
	q, c := newFakeQueue(t)
	var r recorder
	var self *Timer
	self = q.AddPeriodic(time.Second, func() {
		r.fn("clearing")()
		q.Clear()
	})
	q.AddAt(epoch.Add(time.Second), r.fn("due later in the same Run"))
	q.Add(time.Hour, r.fn("waiting"))

	assert.Equal(t, 1, advance(q, c, time.Second))
	assert.Equal(t, []string{"clearing"}, r.take())
	assert.False(t, self.Active(), "the running periodic timer is not re-armed")
	assert.Equal(t, 0, q.Len())
	assert.Equal(t, 0, advance(q, c, 2*time.Hour))
}
