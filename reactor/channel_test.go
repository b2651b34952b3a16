package reactor_test

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/evmachine/evmachine/reactor"
)

func TestChannelDeliversToEverySubscriberInOrder(t *testing.T) {
	r, _ := asyncStart(t)
	ch := reactor.NewChannel[string](r)
	var got []string
	done := make(chan struct{})
	asyncOnLoop(t, r, func() {
		a := ch.Subscribe(func(v string) { got = append(got, "a:"+v) })
		b := ch.Subscribe(func(v string) { got = append(got, "b:"+v) })
		ch.Subscribe(func(v string) {
			got = append(got, "c:"+v)
			if v == "2" {
				close(done)
			}
		})
		assert.NotEqual(t, a, b)
		assert.NotZero(t, a)
		assert.Equal(t, 3, ch.NumSubscribers())
	})
	ch.Push("1", "2") // from the test goroutine
	asyncWait(t, done, "delivery")
	asyncOnLoop(t, r, func() {
		assert.Equal(t, []string{"a:1", "b:1", "c:1", "a:2", "b:2", "c:2"}, got)
	})
}

func TestChannelUnsubscribeDuringDelivery(t *testing.T) {
	r, _ := asyncStart(t)
	ch := reactor.NewChannel[int](r)
	got := map[string][]int{}
	done := make(chan struct{})
	asyncOnLoop(t, r, func() {
		var selfID, victimID uint64
		ch.Subscribe(func(v int) {
			got["first"] = append(got["first"], v)
			if v == 1 {
				ch.Unsubscribe(victimID) // removes a later subscriber mid-delivery
			}
		})
		selfID = ch.Subscribe(func(v int) {
			got["self"] = append(got["self"], v)
			assert.True(t, ch.Unsubscribe(selfID)) // removes itself on the first item
		})
		victimID = ch.Subscribe(func(v int) { got["victim"] = append(got["victim"], v) })
		ch.Subscribe(func(v int) {
			got["last"] = append(got["last"], v)
			if v == 1 {
				ch.Subscribe(func(v int) { got["late"] = append(got["late"], v) })
			}
			if v == 3 {
				close(done)
			}
		})
	})
	ch.Push(1, 2, 3)
	asyncWait(t, done, "delivery")
	asyncOnLoop(t, r, func() {
		assert.Equal(t, []int{1, 2, 3}, got["first"])
		assert.Equal(t, []int{1}, got["self"], "a self-unsubscribed subscriber gets nothing more")
		assert.Empty(t, got["victim"], "a subscriber removed mid-delivery gets nothing, not even the current item")
		assert.Equal(t, []int{1, 2, 3}, got["last"])
		assert.Equal(t, []int{2, 3}, got["late"], "a subscriber added mid-delivery starts with the next item")
		assert.Equal(t, 3, ch.NumSubscribers())
		assert.False(t, ch.Unsubscribe(12345), "unknown id")
	})
}

func TestChannelPopAndConcurrentPush(t *testing.T) {
	const producers, each = 4, 250
	r, _ := asyncStart(t)
	loop := asyncLoopGID(t, r)
	ch := reactor.NewChannel[int](r)
	count := 0 // loop-only
	offLoop := 0
	popped := make(chan int, 1)
	done := make(chan struct{})
	asyncOnLoop(t, r, func() {
		ch.Pop(func(v int) { popped <- v })
		ch.Subscribe(func(int) {
			if asyncGID() != loop {
				offLoop++
			}
			count++
			if count == producers*each {
				close(done)
			}
		})
	})
	var wg sync.WaitGroup
	for range producers {
		wg.Go(func() {
			for i := range each {
				ch.Push(i)
			}
		})
	}
	wg.Wait()
	asyncWait(t, done, "every item")
	asyncWait(t, popped, "the one-shot Pop")
	asyncOnLoop(t, r, func() {
		assert.Equal(t, 1, ch.NumSubscribers(), "the Pop subscription ended after one item")
		assert.Zero(t, offLoop)
	})
}
