package reactor_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/evmachine/evmachine/reactor"
)

// TestQueueReactorThread ports test_queue.rb's test_queue_reactor_thread:
// a push from another thread is scheduled onto the reactor (the queue is
// still empty when it returns) and lands once the loop runs; a pop from
// another thread gets its item only once the loop runs too.
func TestQueueReactorThread(t *testing.T) {
	r, err := reactor.New()
	require.NoError(t, err)
	q := reactor.NewQueue[int](r)
	pushed := make(chan struct{})
	go func() { q.Push(1, 2, 3); close(pushed) }()
	<-pushed
	assert.True(t, q.Empty(), "not pushed until the reactor runs")
	var x int
	popped := make(chan struct{})
	go func() { q.Pop(func(v int) { x = v }); close(popped) }()
	<-popped
	r.NextTick(func() { r.NextTick(r.Stop) }) // after the push's tick and the pop's serve
	require.NoError(t, r.Run())
	assert.Equal(t, 1, x)
	assert.Equal(t, 2, q.Size())
}

// TestQueueBig ports test_big_queue: 2,000 pushes of 1,001 items with a pop
// after each; each pop gets the item in order, and the last sees the rest.
func TestQueueBig(t *testing.T) {
	r, _ := asyncStart(t)
	type result struct{ left, bad int }
	done := make(chan result, 1)
	asyncOnLoop(t, r, func() {
		q := reactor.NewQueue[int](r)
		items := make([]int, 1001)
		for i := range items {
			items[i] = i
		}
		bad := 0
		for i := range 2000 {
			q.Push(items...)
			q.Pop(func(v int) {
				if v != i%1001 {
					bad++
				}
			})
		}
		q.Pop(func(int) { done <- result{q.Size(), bad} })
	})
	res := asyncWait(t, done, "the last pop")
	assert.Equal(t, 1_999_999, res.left)
	assert.Zero(t, res.bad, "each pop got its item in order")
}
