package mailbox

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Many goroutines post while the owner drains: every item arrives exactly
// once, each poster's items in the order posted.
func TestEveryItemOnceInOrder(t *testing.T) {
	const posters, each = 8, 20000
	var wakes atomic.Int64
	wakeup := make(chan struct{}, 1)
	b := New[[2]int](func() {
		wakes.Add(1)
		select {
		case wakeup <- struct{}{}:
		default:
		}
	})
	var wg sync.WaitGroup
	for p := range posters {
		wg.Go(func() {
			for i := range each {
				require.True(t, b.Post([2]int{p, i}))
			}
		})
	}
	next := make([]int, posters)
	got := 0
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	drain := func() {
		b.Drain(func(v [2]int) {
			assert.Equal(t, next[v[0]], v[1], "poster %d out of order", v[0])
			next[v[0]] = v[1] + 1
			got++
		})
	}
	for finished := false; !finished; {
		select {
		case <-wakeup:
		case <-done:
			finished = true
		}
		drain()
	}
	drain()
	assert.Equal(t, posters*each, got)
	assert.Zero(t, b.Len())
	assert.Less(t, wakes.Load(), int64(posters*each), "wake-ups are coalesced")
}

// One wake-up a batch: the first post after a drain wakes, the others of
// the batch do not.
func TestOneWakePerBatch(t *testing.T) {
	wakes := 0
	b := New[int](func() { wakes++ })
	for i := range 5 {
		b.Post(i)
	}
	b.PostAll(5, 6)
	assert.Equal(t, 1, wakes)
	assert.Equal(t, 7, b.Len())
	var got []int
	b.Drain(func(v int) {
		got = append(got, v)
		if v == 0 {
			b.Post(100) // posted during the drain: the next batch, with a new wake-up
		}
	})
	assert.Equal(t, []int{0, 1, 2, 3, 4, 5, 6}, got)
	assert.Equal(t, 2, wakes)
	assert.Equal(t, 1, b.Len())
	b.Drain(func(v int) { assert.Equal(t, 100, v) })
	b.Drain(func(int) { t.Fatal("nothing is left") })
	assert.Equal(t, 2, wakes, "an empty drain wakes nobody")
}

// A panicking callback loses nothing: the rest of the batch goes back in
// front, the owner is woken for it, and the panic goes on.
func TestPanicRequeuesTheRest(t *testing.T) {
	wakes := 0
	b := New[int](func() { wakes++ })
	b.PostAll(1, 2, 3)
	var got []int
	assert.PanicsWithValue(t, "boom", func() {
		b.Drain(func(v int) {
			if v == 2 {
				b.Post(4) // after the rest of the batch
				panic("boom")
			}
			got = append(got, v)
		})
	})
	assert.Equal(t, 2, wakes)
	b.Drain(func(v int) { got = append(got, v) })
	assert.Equal(t, []int{1, 3, 4}, got, "2 was delivered to the panicking call; 3 and 4 follow in order")
}

func TestCloseRefusesAndReturnsTheRest(t *testing.T) {
	wakes := 0
	b := New[int](func() { wakes++ })
	b.PostAll(1, 2)
	assert.Equal(t, []int{1, 2}, b.Close())
	assert.False(t, b.Post(3))
	assert.False(t, b.PostAll(4, 5))
	b.Signal()
	assert.Equal(t, 1, wakes, "no wake-up once closed")
	assert.Zero(t, b.Len())
	assert.Empty(t, b.Close())
}

func TestSignalWakesWithoutAnItem(t *testing.T) {
	wakes := 0
	b := New[int](func() { wakes++ })
	b.Signal()
	b.Signal()
	assert.Equal(t, 2, wakes)
	assert.Zero(t, b.Len())
}

func BenchmarkPostDrain(b *testing.B) {
	box := New[func()](func() {})
	fn := func() {}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		box.Post(fn)
		if i%64 == 63 {
			box.Drain(func(f func()) { f() })
		}
	}
}
