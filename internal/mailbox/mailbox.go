// Package mailbox is the one way into an event loop from other
// goroutines: post from any goroutine, drain a snapshot on the loop, and
// one coalesced wake-up per batch (libuv's uv_async_send, gnet's Trigger).
// The reactor's next-tick queue, its System completions, Channel pushes and
// the Defer pool's results are all Boxes.
package mailbox

import (
	"sync"
	"sync/atomic"
)

// Box holds items posted from any goroutine until its owner drains them.
// The first item posted after a drain began calls wake, which tells the
// owner to come and drain (write an eventfd, queue a tick); later items of
// the same batch do not. The zero value is not ready: use New.
type Box[T any] struct {
	mu     sync.Mutex
	items  []T
	spare  []T
	woken  bool // wake was called for the items queued since the last drain
	closed bool
	n      atomic.Int32 // len(items), readable without the lock
	wake   func()
}

// New returns an empty Box. wake runs under the Box's lock, on the posting
// goroutine, and must not post to this Box; it never runs after Close has
// returned, so it may use resources that Close's caller frees next.
func New[T any](wake func()) *Box[T] { return &Box[T]{wake: wake} }

// Post adds v and reports whether it was taken (false once the Box is
// closed). Safe for concurrent use.
func (b *Box[T]) Post(v T) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return false
	}
	b.items = append(b.items, v)
	b.added(1)
	return true
}

// PostAll adds vs in order, as one batch; see Post.
func (b *Box[T]) PostAll(vs ...T) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return false
	}
	b.items = append(b.items, vs...)
	b.added(len(vs))
	return true
}

// added counts k new items and wakes the owner for the first of a batch.
// The caller holds b.mu.
func (b *Box[T]) added(k int) {
	b.n.Add(int32(k))
	if !b.woken {
		b.woken = true
		b.wake()
	}
}

// Signal calls wake now, unless the Box is closed, whatever is queued: for
// a wake-up that carries no item (a stop request). Safe for concurrent
// use.
func (b *Box[T]) Signal() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.closed {
		b.wake()
	}
}

// Len returns how many items wait. Safe for concurrent use, without the
// lock: the owner asks it before it sleeps.
func (b *Box[T]) Len() int { return int(b.n.Load()) }

// Drain runs fn, on the owner's goroutine, on every item queued when it
// began, in order; items posted meanwhile wait for the next Drain (their
// first one wakes the owner again), so one Drain is bounded. If fn panics,
// the items it did not reach go back to the front of the Box, the owner is
// woken for them, and the panic goes on.
func (b *Box[T]) Drain(fn func(T)) {
	if b.n.Load() == 0 {
		return
	}
	b.mu.Lock()
	batch := b.items
	b.items, b.spare = b.spare, nil
	b.n.Store(0)
	b.woken = false
	b.mu.Unlock()

	i := 0
	defer func() {
		if i < len(batch) { // fn panicked on batch[i]
			b.requeue(batch[i+1:])
		}
	}()
	var zero T
	for ; i < len(batch); i++ {
		v := batch[i]
		batch[i] = zero
		fn(v)
	}

	b.mu.Lock()
	if b.spare == nil {
		b.spare = batch[:0]
	}
	b.mu.Unlock()
}

// requeue puts items back in front of those posted since.
func (b *Box[T]) requeue(items []T) {
	if len(items) == 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	b.items = append(items[:len(items):len(items)], b.items...)
	b.added(len(items))
}

// Close refuses every later Post and returns the items that were waiting.
// After it returns, wake is never called again. Safe for concurrent use;
// closing twice returns nothing the second time.
func (b *Box[T]) Close() []T {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	left := b.items
	b.items, b.spare = nil, nil
	b.n.Store(0)
	return left
}
