package reactor_test

import (
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/evmachine/evmachine/reactor"
)

func TestQueuePopsServedInOrder(t *testing.T) {
	r, _ := asyncStart(t)
	q := reactor.NewQueue[int](r)
	var got []string
	all := make(chan struct{})
	asyncOnLoop(t, r, func() {
		// Three waiters before any item: served first come, first served.
		for _, name := range []string{"a", "b", "c"} {
			q.Pop(func(v int) {
				got = append(got, name+"="+strconv.Itoa(v))
				if len(got) == 5 {
					close(all)
				}
			})
		}
		assert.Equal(t, 3, q.NumWaiting())
		assert.True(t, q.Empty())
	})
	q.Push(1, 2, 3, 4) // from the test goroutine
	asyncOnLoop(t, r, func() {
		q.Pop(func(v int) { got = append(got, "d="+strconv.Itoa(v)) })
		q.Pop(func(v int) {
			got = append(got, "e="+strconv.Itoa(v))
			if len(got) == 5 {
				close(all)
			}
		})
	})
	q.Push(5)
	asyncWait(t, all, "five pops")
	asyncOnLoop(t, r, func() {
		assert.Equal(t, []string{"a=1", "b=2", "c=3", "d=4", "e=5"}, got)
		assert.Zero(t, q.Size())
		assert.Zero(t, q.NumWaiting())
	})
}

func TestQueueSizeAndPopNeverInline(t *testing.T) {
	r, _ := asyncStart(t)
	q := reactor.NewQueue[string](r)
	q.Push("x", "y")             // from this goroutine: scheduled onto the loop
	asyncOnLoop(t, r, func() {}) // a later tick: the push has run
	assert.Equal(t, 2, q.Size())
	assert.False(t, q.Empty())
	got := make(chan string, 1)
	asyncOnLoop(t, r, func() {
		inPop := true
		q.Pop(func(v string) {
			assert.False(t, inPop, "Pop's callback runs in a later tick")
			got <- v
		})
		inPop = false
	})
	assert.Equal(t, "x", asyncWait(t, got, "pop"))
	assert.Equal(t, 1, q.Size())
}

// TestQueueCrossGoroutinePush pushes from several goroutines while a
// consumer on the loop pops one item at a time; every item arrives exactly
// once, each producer's items in its order, every callback on the loop.
func TestQueueCrossGoroutinePush(t *testing.T) {
	const producers, each = 4, 500
	r, _ := asyncStart(t)
	loop := asyncLoopGID(t, r)
	q := reactor.NewQueue[[2]int](r)
	seen := make(map[[2]int]int) // loop-only: -race flags any other access
	last := make([]int, producers)
	offLoop := 0
	finished := make(chan struct{})
	var consume func([2]int)
	consume = func(v [2]int) {
		if asyncGID() != loop {
			offLoop++
		}
		seen[v]++
		assert.Greater(t, v[1], last[v[0]], "producer %d out of order", v[0])
		last[v[0]] = v[1]
		if len(seen) == producers*each {
			close(finished)
			return
		}
		q.Pop(consume)
	}
	q.Pop(consume)
	var wg sync.WaitGroup
	for p := range producers {
		wg.Go(func() {
			for i := 1; i <= each; i++ {
				q.Push([2]int{p, i})
			}
		})
	}
	wg.Wait()
	asyncWait(t, finished, "every pushed item")
	asyncOnLoop(t, r, func() {
		require.Len(t, seen, producers*each)
		for k, n := range seen {
			assert.Equal(t, 1, n, "item %v", k)
		}
		assert.Zero(t, offLoop)
	})
}
