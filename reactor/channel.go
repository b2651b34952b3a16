package reactor

import (
	"runtime/debug"
	"sync"
)

// Channel is EventMachine's EM::Channel: a publish/subscribe fan-out on the
// loop. Push, from any goroutine, delivers each item to every subscriber on
// the reactor goroutine, in subscription order; items are delivered in the
// order pushed (from one goroutine; pushes from several goroutines
// interleave in the order they took the channel's lock).
//
// A subscriber removed with Unsubscribe receives nothing more, even when it
// is removed during a delivery (by itself or by another subscriber). A
// subscriber added during a delivery receives the items pushed after it
// subscribed, not the one being delivered.
//
// Push and NumSubscribers are safe for concurrent use. Subscribe,
// Unsubscribe and Pop must be called on the reactor goroutine (or before
// Run); from another goroutine wrap them in r.NextTick.
type Channel[T any] struct {
	r      *Reactor
	subs   []*subscriber[T] // in subscription order; replaced, never edited in place
	byID   map[uint64]*subscriber[T]
	nextID uint64

	mu        sync.Mutex
	pending   []T
	spare     []T
	scheduled bool
	nsubs     int // len(subs), for NumSubscribers from any goroutine
	deliverFn func()
}

type subscriber[T any] struct {
	id      uint64
	fn      func(T)
	removed bool
}

// NewChannel returns a channel with no subscribers whose deliveries run on
// r. Safe for concurrent use.
func NewChannel[T any](r *Reactor) *Channel[T] {
	ch := &Channel[T]{r: r, byID: make(map[uint64]*subscriber[T])}
	ch.deliverFn = ch.deliver
	return ch
}

// Subscribe adds fn as a subscriber and returns its id for Unsubscribe (ids
// start at 1 and are never reused by this channel). A nil fn is ignored and
// returns 0. Must be called on the reactor goroutine.
func (ch *Channel[T]) Subscribe(fn func(item T)) uint64 {
	if fn == nil {
		return 0
	}
	ch.nextID++
	s := &subscriber[T]{id: ch.nextID, fn: fn}
	ch.byID[s.id] = s
	subs := make([]*subscriber[T], len(ch.subs), len(ch.subs)+1)
	copy(subs, ch.subs)
	ch.subs = append(subs, s)
	ch.setCount()
	return s.id
}

// Unsubscribe removes the subscriber with id and reports whether it was
// subscribed. It receives nothing more, even if an item is being delivered
// right now. Must be called on the reactor goroutine.
func (ch *Channel[T]) Unsubscribe(id uint64) bool {
	s, ok := ch.byID[id]
	if !ok {
		return false
	}
	delete(ch.byID, id)
	s.removed = true
	subs := make([]*subscriber[T], 0, len(ch.subs)-1)
	for _, o := range ch.subs {
		if o != s {
			subs = append(subs, o)
		}
	}
	ch.subs = subs
	ch.setCount()
	return true
}

// Pop subscribes fn for one item only, as EM::Channel#pop: fn receives the
// next item delivered and is then unsubscribed. It returns the subscription
// id, so a Pop that is no longer wanted can be Unsubscribed. Must be called
// on the reactor goroutine.
func (ch *Channel[T]) Pop(fn func(item T)) uint64 {
	if fn == nil {
		return 0
	}
	var id uint64
	id = ch.Subscribe(func(v T) {
		ch.Unsubscribe(id)
		fn(v)
	})
	return id
}

// Push delivers items to every subscriber, on the reactor goroutine in a
// later tick (never inside Push). Safe for concurrent use. Items pushed
// after the reactor stopped are never delivered.
func (ch *Channel[T]) Push(items ...T) {
	if len(items) == 0 {
		return
	}
	ch.mu.Lock()
	ch.pending = append(ch.pending, items...)
	sched := !ch.scheduled
	ch.scheduled = true
	ch.mu.Unlock()
	if sched {
		ch.r.NextTick(ch.deliverFn)
	}
}

// NumSubscribers returns the number of subscribers. Safe for concurrent use.
func (ch *Channel[T]) NumSubscribers() int {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return ch.nsubs
}

func (ch *Channel[T]) setCount() {
	ch.mu.Lock()
	ch.nsubs = len(ch.subs)
	ch.mu.Unlock()
}

// deliver hands the items pushed so far to the subscribers. Each item goes
// to the subscribers as they stood when its delivery began, minus any
// removed meanwhile.
func (ch *Channel[T]) deliver() {
	ch.mu.Lock()
	batch := ch.pending
	ch.pending = ch.spare[:0]
	ch.scheduled = false
	ch.mu.Unlock()
	for i := range batch {
		v := batch[i]
		for _, s := range ch.subs {
			if !s.removed {
				ch.call(s, v)
			}
		}
	}
	clear(batch)
	ch.mu.Lock()
	ch.spare = batch[:0]
	ch.mu.Unlock()
}

// call runs one subscriber; a panic is recovered and reported, and the
// delivery goes on to the next subscriber.
func (ch *Channel[T]) call(s *subscriber[T], v T) {
	defer func() {
		if p := recover(); p != nil {
			ch.r.reportPanic(p, debug.Stack(), nil)
		}
	}()
	s.fn(v)
}
