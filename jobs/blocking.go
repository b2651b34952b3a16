package jobs

import (
	"context"
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
		return nil, err
	}
	b.rc, b.c = rc, NewClient(rc)
	go func() { b.err = r.Run(); close(b.stopped) }()
	return b, nil
}

// call runs fn on the loop; fn calls back with finish, whose error call
// returns, unless ctx ends first.
func (b *BlockingClient) call(ctx context.Context, fn func(finish func(error))) error {
	if b.closed.Load() {
		return errClosed
	}
	ch := make(chan error, 1)
	b.r.NextTick(func() { fn(func(err error) { ch <- err }) })
	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
		return ctx.Err()
	case <-b.stopped:
		return errClosed
	}
}

// Enqueue is Client.Enqueue, waiting for Redis's answer. Any goroutine.
func (b *BlockingClient) Enqueue(ctx context.Context, j *Job) (string, error) {
	var jid string
	err := b.call(ctx, func(finish func(error)) {
		b.c.Enqueue(j, func(id string, err error) { jid = id; finish(err) })
	})
	return jid, err
}

// EnqueueAt is Client.EnqueueAt, waiting for Redis's answer. Any goroutine.
func (b *BlockingClient) EnqueueAt(ctx context.Context, at time.Time, j *Job) (string, error) {
	var jid string
	err := b.call(ctx, func(finish func(error)) {
		b.c.EnqueueAt(at, j, func(id string, err error) { jid = id; finish(err) })
	})
	return jid, err
}

// EnqueueIn is Client.EnqueueIn, waiting for Redis's answer. Any goroutine.
func (b *BlockingClient) EnqueueIn(ctx context.Context, d time.Duration, j *Job) (string, error) {
	return b.EnqueueAt(ctx, time.Now().Add(d), j)
}

// EnqueueBulk is Client.EnqueueBulk, waiting for Redis's answer. Any
// goroutine.
func (b *BlockingClient) EnqueueBulk(ctx context.Context, js []*Job) ([]string, error) {
	var jids []string
	err := b.call(ctx, func(finish func(error)) {
		b.c.EnqueueBulk(js, func(ids []string, err error) { jids = ids; finish(err) })
	})
	return jids, err
}

// Do runs any Redis command on the client's loop and returns its reply.
// Any goroutine.
func (b *BlockingClient) Do(ctx context.Context, args ...any) (redis.Value, error) {
	var v redis.Value
	err := b.call(ctx, func(finish func(error)) {
		b.rc.Do(func(val redis.Value, err error) { v = val; finish(err) }, args...)
	})
	return v, err
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
