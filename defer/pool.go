package deferpool

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/evmachine/evmachine/internal/mailbox"
)

// Default sizes: EventMachine's thread pool has 20 threads; the queue bound
// is ours (EventMachine's queue is unbounded).
const (
	DefaultWorkers   = 20
	DefaultQueueSize = 10_000
)

// Option configures a Pool in New. Options are plain values: any goroutine
// may make and pass them.
type Option func(*config)

type config struct {
	workers   int
	queueSize int
}

// WithWorkers sets the number of worker goroutines, that is how many
// operations run at the same time (default DefaultWorkers). n <= 0 keeps
// the default.
func WithWorkers(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.workers = n
		}
	}
}

// WithQueueSize sets how many operations may wait for a worker (default
// DefaultQueueSize); Submit hands ErrQueueFull to done beyond that. n <= 0
// keeps the default.
func WithQueueSize(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.queueSize = n
		}
	}
}

// Pool runs blocking operations on a fixed set of worker goroutines and
// hands each result to its owner through post. Create it with New; the zero
// Pool is not usable. All its methods are safe for concurrent use (any
// goroutine); the done callbacks run only on the owner's goroutine.
type Pool struct {
	post      func(func())
	ctx       context.Context // given to every operation; cancelled by Close
	cancel    context.CancelFunc
	size      int
	queueSize int
	stopped   atomic.Bool // Close was called; read by workers without mu

	// mu orders Submit's send against Close's close(queue): Submit holds
	// the read lock across its (non-blocking) send.
	mu      sync.RWMutex
	closed  bool
	started atomic.Bool    // set under mu once the queue and the workers exist
	queue   chan *job      // made by start, so that an unused pool holds no buffer
	workers []*workerStats // written once under mu before started is set
	live    atomic.Int32   // worker goroutines not yet returned
	exited  chan struct{}  // closed when live drops to zero after Close

	// Finished jobs wait in results for the owner's goroutine, which runs
	// them all in one posted drain (see results.go).
	results  *mailbox.Box[*job]
	drainFn  func()     // p.drain, bound once so that posting allocates nothing
	finishFn func(*job) // p.finish, bound once

	rejected atomic.Uint64
	dropped  atomic.Uint64
	jobs     sync.Pool // *job, recycled so that a round trip allocates nothing
}

// New returns a pool that hands completions to post. post is called from
// worker goroutines and from Submit's and Close's callers, must be safe for
// concurrent use, must not block, and must queue the function for the
// owner's goroutine rather than run it (the reactor passes its NextTick).
// One posted function delivers every result finished by the time it runs,
// so there are at most as many posts as results, usually far fewer. New
// panics if post is nil. It starts no goroutine. Any goroutine may call it.
func New(post func(func()), opts ...Option) *Pool {
	if post == nil {
		panic("deferpool: New with nil post")
	}
	c := config{workers: DefaultWorkers, queueSize: DefaultQueueSize}
	for _, o := range opts {
		o(&c)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &Pool{
		post:      post,
		ctx:       ctx,
		cancel:    cancel,
		size:      c.workers,
		queueSize: c.queueSize,
		exited:    make(chan struct{}),
	}
	p.drainFn, p.finishFn = p.drain, p.finish
	p.results = mailbox.New[*job](func() { p.post(p.drainFn) })
	return p
}

// Submit queues op to run on a worker and never blocks. done(result, err)
// runs exactly once, on the owner's goroutine, inside a function handed to
// post (never inside Submit, even for a rejection): with op's result, or a
// *PanicError if op panicked, ErrQueueFull if the queue was full, ErrClosed
// if the pool was closed before op started. The one exception: once the
// owner has detached (see Detach), done is dropped. op receives a context
// that Close cancels. A nil done discards the result; a nil op panics.
// Safe for concurrent use; the first call starts the workers.
func (p *Pool) Submit(op func(ctx context.Context) (any, error), done func(any, error)) {
	p.SubmitAs(nil, op, done)
}

// SubmitAs is Submit for an op that wraps another function (a typed
// Defer's adapter, say): Running names fn instead of op. A nil fn names op.
func (p *Pool) SubmitAs(fn any, op func(ctx context.Context) (any, error), done func(any, error)) {
	if op == nil {
		panic("deferpool: Submit with nil op")
	}
	if !p.started.Load() {
		p.start()
	}
	j := p.newJob(op, done)
	j.name = fn
	p.mu.RLock()
	if p.closed {
		p.mu.RUnlock()
		p.reject(j, ErrClosed)
		return
	}
	select {
	case p.queue <- j:
		p.mu.RUnlock()
	default:
		p.mu.RUnlock()
		p.reject(j, ErrQueueFull)
	}
}

// start makes the queue and spawns every worker, once, unless the pool is
// closed.
func (p *Pool) start() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.started.Load() || p.closed {
		return
	}
	p.queue = make(chan *job, p.queueSize)
	p.workers = make([]*workerStats, p.size)
	p.live.Store(int32(p.size))
	for i := range p.workers {
		w := new(workerStats)
		p.workers[i] = w
		go p.work(w)
	}
	p.started.Store(true)
}

// Close stops the pool: later Submits get ErrClosed, operations still queued
// get ErrClosed (through post) without running, and the context of running
// operations is cancelled. It then waits up to grace for the workers to
// return. If some are still running operations at the end of grace, Close
// returns an error wrapping ErrGraceExpired that says how many; those
// operations' done callbacks are still posted when they return (or dropped,
// after Detach). grace <= 0 does not wait. Close may be called again, for
// example to wait longer; it then only waits. Safe for concurrent use, but
// not from inside an operation (it would wait for itself).
func (p *Pool) Close(grace time.Duration) error {
	p.mu.Lock()
	if !p.closed {
		p.closed = true
		p.stopped.Store(true)
		if p.queue != nil {
			close(p.queue)
		} else {
			close(p.exited) // never started: no worker will
		}
	}
	queue := p.queue
	p.mu.Unlock()
	p.cancel()
	if queue != nil {
		for j := range queue { // workers drain too; whoever takes a job rejects it
			p.reject(j, ErrClosed)
		}
	}
	return p.wait(grace)
}

// wait blocks until every worker has returned or grace has passed.
func (p *Pool) wait(grace time.Duration) error {
	select {
	case <-p.exited:
		return nil
	default:
	}
	if grace > 0 {
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-p.exited:
			return nil
		case <-t.C:
		}
	}
	return fmt.Errorf("%w: %d workers still running operations after %v",
		ErrGraceExpired, p.live.Load(), grace)
}
