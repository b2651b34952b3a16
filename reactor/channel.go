package reactor

import (
	"runtime/debug"
	"sync/atomic"

	"github.com/evmachine/evmachine/internal/mailbox"
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

	pushed *mailbox.Box[T] // its wake-up queues one delivery tick
	nsubs  atomic.Int32    // len(subs), for NumSubscribers from any goroutine
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
	deliver := ch.deliver
	ch.pushed = mailbox.New[T](func() { r.NextTick(deliver) })
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
	if len(items) > 0 {
		ch.pushed.PostAll(items...)
	}
}

// NumSubscribers returns the number of subscribers. Safe for concurrent use.
func (ch *Channel[T]) NumSubscribers() int { return int(ch.nsubs.Load()) }

func (ch *Channel[T]) setCount() { ch.nsubs.Store(int32(len(ch.subs))) }

// deliver hands the items pushed so far to the subscribers. Each item goes
// to the subscribers as they stood when its delivery began, minus any
// removed meanwhile.
func (ch *Channel[T]) deliver() {
	ch.pushed.Drain(func(v T) {
		for _, s := range ch.subs {
			if !s.removed {
				ch.call(s, v)
			}
		}
	})
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
