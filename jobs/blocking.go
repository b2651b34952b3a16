package jobs

import (
	"context"
	"maps"
	"slices"
	"sync/atomic"
	"time"

	"github.com/evmachine/evmachine/protocols/redis"
	"github.com/evmachine/evmachine/reactor"
)

// BlockingClient enqueues jobs from ordinary Go code: it runs a reactor
// of its own on a goroutine, with a Client on it. Its methods are safe
// from any goroutine, except the reactor's (they wait for it).
type BlockingClient struct {
	r       *reactor.Reactor
	c       *Client
	rc      *redis.Client
	stopped chan struct{} // closed when Run returns
	closed  atomic.Bool
	err     error // Run's
}

// DialBlocking starts a reactor and a Redis client for addr, and waits
// until the client is set up (not until it is connected: the first
// commands wait in its offline queue). Any goroutine.
func DialBlocking(addr string, opts ...redis.Option) (*BlockingClient, error) {
	r, err := reactor.New()
	if err != nil {
		return nil, err
	}
	b := &BlockingClient{r: r, stopped: make(chan struct{})}
	rc, err := redis.Dial(r, addr, opts...) // before Run, on this goroutine
	if err != nil {
		r.Stop()
		_ = r.Run() // returns at once, releasing the poller
		return nil, err
	}
	b.rc, b.c = rc, NewClient(rc)
	go func() { b.err = r.Run(); close(b.stopped) }()
	return b, nil
}

// result is what a call brings back from the loop.
type result[T any] struct {
	v   T
	err error
}

// call runs fn on the loop and returns what fn passes to finish, unless
// ctx ends first. Results travel by channel only, so a call that ctx cut
// short shares nothing with the loop that still runs it.
func call[T any](b *BlockingClient, ctx context.Context, fn func(finish func(T, error))) (T, error) {
	var zero T
	if b.closed.Load() {
		return zero, errClosed
	}
	ch := make(chan result[T], 1)
	b.r.NextTick(func() { fn(func(v T, err error) { ch <- result[T]{v, err} }) })
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		return zero, ctx.Err()
	case <-b.stopped:
		return zero, errClosed
	}
}

// clone copies a job for the loop to fill in, so the caller's job is
// written (by copying back) only when the call succeeds.
func clone(j *Job) *Job {
	c := *j
	c.Extra = maps.Clone(j.Extra)
	c.order = slices.Clone(j.order)
	return &c
}

// Enqueue is Client.Enqueue, waiting for Redis's answer; on success j
// holds what Enqueue filled in (jid, queue, timestamps). Any goroutine.
func (b *BlockingClient) Enqueue(ctx context.Context, j *Job) (string, error) {
	jc := clone(j)
	jid, err := call(b, ctx, func(finish func(string, error)) { b.c.Enqueue(jc, finish) })
	if err == nil {
		*j = *jc
	}
	return jid, err
}

// EnqueueAt is Client.EnqueueAt, waiting for Redis's answer; on success
// j holds what it filled in. Any goroutine.
func (b *BlockingClient) EnqueueAt(ctx context.Context, at time.Time, j *Job) (string, error) {
	jc := clone(j)
	jid, err := call(b, ctx, func(finish func(string, error)) { b.c.EnqueueAt(at, jc, finish) })
	if err == nil {
		*j = *jc
	}
	return jid, err
}

// EnqueueIn is Client.EnqueueIn, waiting for Redis's answer. Any goroutine.
func (b *BlockingClient) EnqueueIn(ctx context.Context, d time.Duration, j *Job) (string, error) {
	return b.EnqueueAt(ctx, time.Now().Add(d), j)
}

// EnqueueBulk is Client.EnqueueBulk, waiting for Redis's answer; on
// success the jobs hold what it filled in. Any goroutine.
func (b *BlockingClient) EnqueueBulk(ctx context.Context, js []*Job) ([]string, error) {
	cs := make([]*Job, len(js))
	for i, j := range js {
		cs[i] = clone(j)
	}
	jids, err := call(b, ctx, func(finish func([]string, error)) { b.c.EnqueueBulk(cs, finish) })
	if err == nil {
		for i, j := range js {
			*j = *cs[i]
		}
	}
	return jids, err
}

// Do runs any Redis command on the client's loop and returns its reply.
// Any goroutine.
func (b *BlockingClient) Do(ctx context.Context, args ...any) (redis.Value, error) {
	return call(b, ctx, func(finish func(redis.Value, error)) { b.rc.Do(finish, args...) })
}

// Close closes the Redis client and stops the reactor. Any goroutine
// but the reactor's.
func (b *BlockingClient) Close() error {
	if b.closed.Swap(true) {
		<-b.stopped
		return nil
	}
	b.r.NextTick(func() { b.rc.Close(); b.r.Stop() })
	<-b.stopped
	return b.err
}
