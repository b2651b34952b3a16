package reactor

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	deferpool "github.com/evmachine/evmachine/defer"
	"github.com/evmachine/evmachine/internal/mailbox"
)

// DefaultDeferCloseGrace is how long Stop waits for running Defer
// operations and System commands to return after their context is
// cancelled, unless WithDeferCloseGrace says otherwise.
const DefaultDeferCloseGrace = 5 * time.Second

// WithDeferQueueSize sets how many Defer operations may wait for a worker
// (default deferpool.DefaultQueueSize, 10,000); beyond that an operation's
// done gets deferpool.ErrQueueFull in the next tick. Values below 1 keep
// the default.
func WithDeferQueueSize(n int) Option {
	return func(c *config) { c.deferCfg.queue = max(n, 0) }
}

// WithDeferCloseGrace sets how long Stop (and the end of Shutdown) waits for
// running Defer operations and System commands after cancelling them
// (default DefaultDeferCloseGrace). Run returns only after that wait, so
// operations that honour their context make Stop prompt. 0 does not wait.
func WithDeferCloseGrace(d time.Duration) Option {
	return func(c *config) {
		c.deferCfg.grace = max(d, 0)
		c.deferCfg.graceSet = true
	}
}

// deferConfig is the part of config that Defer and System read (the worker
// count is config.deferWorkers). Zero values mean the defaults.
type deferConfig struct {
	queue    int
	grace    time.Duration
	graceSet bool
}

// deferState is the reactor side of Defer and System: the lazily created
// pool (which batches its own completions onto the loop and counts its own
// drops), and the mailbox through which System completions reach the loop,
// run together by one tick.
type deferState struct {
	pool   atomic.Pointer[deferpool.Pool]
	hooked bool // loop only: the stop hook is registered, ctx exists
	ctx    context.Context
	cancel context.CancelFunc
	procs  sync.WaitGroup // System commands still running
	nprocs atomic.Int64   // how many

	completions *mailbox.Box[func()] // System completions; its wake-up queues runFn
	runFn       func()               // r.runCompletions, bound once
	stopped     atomic.Bool          // the loop stopped: completions are dropped

	dropped atomic.Uint64 // System completions, and Defers after stop, dropped here
}

// initDeferred makes the System completions' mailbox (New calls it).
func (r *Reactor) initDeferred() {
	d := &r.deferred
	d.runFn = r.runCompletions
	d.completions = mailbox.New[func()](func() { r.post(d.runFn) })
}

// Defer runs op on the reactor's worker pool and then done(result, err) on
// the reactor goroutine, as EM.defer. done runs exactly once, in a later
// tick (never inside Defer), with op's result, or with an error wrapping
// deferpool.ErrPanic if op panicked (the worker survives), or
// deferpool.ErrQueueFull when the pool's queue is full (op does not run).
// Defer never blocks the loop.
//
// The pool has WithDeferPoolSize workers (default 20) and is created at the
// first Defer. op gets a context that is cancelled when the reactor stops;
// Stop then waits up to WithDeferCloseGrace for running operations. A
// completion that arrives after the loop stopped is dropped (done does not
// run) and counted in DeferStats().Dropped. A nil done discards the result;
// a nil op panics. Must be called on the reactor goroutine (or before Run).
func (r *Reactor) Defer(op func(ctx context.Context) (any, error), done func(any, error)) {
	if r.cfg.loopCheck {
		r.checkLoop("Reactor.Defer")
	}
	if op == nil {
		panic("reactor: Defer with a nil op")
	}
	r.submitDefer(nil, op, done, done)
}

// namedDone makes a slow-callback report name done, not the adapters
// around it.
func (r *Reactor) namedDone(done func(any, error), name any) func(any, error) {
	if r.slow == nil || done == nil {
		return done
	}
	return func(v any, err error) {
		r.slow.rename(name)
		done(v, err)
	}
}

// submitDefer queues op on the pool; name is the function a log of the
// operations still running at stop names (nil: op), doneName the one a
// slow-callback report names for done.
func (r *Reactor) submitDefer(name any, op func(ctx context.Context) (any, error), done func(any, error), doneName any) {
	p := r.deferPool()
	if p == nil {
		r.deferred.dropped.Add(1) // the loop is gone: done could never run
		return
	}
	p.SubmitAs(name, op, r.namedDone(done, doneName))
}

// Defer is Reactor.Defer with a typed result: op runs on the worker pool,
// done(result, err) on the reactor goroutine, with the same guarantees.
// Must be called on the reactor goroutine (or before Run).
func Defer[T any](r *Reactor, op func(ctx context.Context) (T, error), done func(T, error)) {
	if r.cfg.loopCheck {
		r.checkLoop("Defer")
	}
	if op == nil {
		panic("reactor: Defer with a nil op")
	}
	var untyped func(any, error)
	if done != nil {
		untyped = func(v any, err error) {
			t, _ := v.(T) // nil (an error, or a nil interface result) gives the zero T
			done(t, err)
		}
	}
	r.submitDefer(op, func(ctx context.Context) (any, error) { return op(ctx) }, untyped, done)
}

// DeferDeferrable runs op on the worker pool, as Defer, and returns a
// Deferrable that succeeds with op's result or fails with its error on the
// reactor goroutine; callbacks, errbacks and a Timeout can be attached to
// it. Must be called on the reactor goroutine (or before Run).
func DeferDeferrable[T any](r *Reactor, op func(ctx context.Context) (T, error)) *Deferrable[T] {
	d := NewDeferrable[T](r)
	Defer(r, op, func(v T, err error) {
		if err != nil {
			d.Fail(err)
			return
		}
		d.Succeed(v)
	})
	return d
}

// DeferStats returns the counters of the Defer pool (all zero before the
// first Defer): workers, queued, running, completed, failed, rejected, and
// dropped, which also counts System and Defer completions dropped because
// the loop had stopped. Safe for concurrent use.
func (r *Reactor) DeferStats() deferpool.Stats {
	var s deferpool.Stats
	if p := r.deferred.pool.Load(); p != nil {
		s = p.Stats()
	}
	s.Dropped += r.deferred.dropped.Load()
	return s
}

// deferPool returns the pool, creating it at the first call; nil once the
// loop has stopped.
func (r *Reactor) deferPool() *deferpool.Pool {
	d := &r.deferred
	if p := d.pool.Load(); p != nil {
		return p
	}
	if !r.deferInit() {
		return nil
	}
	queue := r.cfg.deferCfg.queue
	if queue <= 0 {
		queue = deferpool.DefaultQueueSize
	}
	p := deferpool.New(r.postPool,
		deferpool.WithWorkers(r.cfg.deferWorkers), deferpool.WithQueueSize(queue))
	d.pool.Store(p)
	return p
}

// deferInit registers the stop hook and the context that System commands
// share, once; it reports false if the loop has stopped (or is stopping
// past the hook), when nothing new may start.
func (r *Reactor) deferInit() bool {
	d := &r.deferred
	if d.stopped.Load() || (r.ran && !r.running.Load()) {
		return false
	}
	if !d.hooked {
		d.hooked = true
		d.ctx, d.cancel = context.WithCancel(context.Background())
		r.onStop = append(r.onStop, r.closeDeferred)
	}
	return true
}

// postPool is the pool's post function (called on worker goroutines). The
// pool hands over one drain per batch of completions, and once detached by
// the stop hook it drops and counts the completions that can no longer
// run, so the drain goes straight to the tick queue; a drain refused
// because the loop is gone would have found nothing to run.
func (r *Reactor) postPool(fn func()) { r.post(fn) }

// postCompletion queues fn (a System command's done) for the loop. It runs
// on the command's goroutine: it never blocks and never runs fn. One tick
// runs every completion queued since the last.
func (r *Reactor) postCompletion(fn func()) {
	if !r.deferred.completions.Post(fn) {
		r.deferred.dropped.Add(1)
	}
}

// runCompletions runs, on the loop, the completions queued so far; those
// queued meanwhile wait for the next tick.
func (r *Reactor) runCompletions() { r.deferred.completions.Drain(r.safeCall) }

// stopCompletions drops, and counts, the completions not yet run, and makes
// postCompletion drop every later one.
func (r *Reactor) stopCompletions() {
	d := &r.deferred
	d.stopped.Store(true)
	d.dropped.Add(uint64(len(d.completions.Close())))
}

// closeDeferred is the stop hook (on the loop, after every Conn is gone):
// completions still waiting for the loop are dropped and counted (Detach
// for the pool's), the pool and System commands are cancelled, and both get
// the grace period to return.
func (r *Reactor) closeDeferred() {
	d := &r.deferred
	r.stopCompletions()
	d.cancel()
	grace := DefaultDeferCloseGrace
	if r.cfg.deferCfg.graceSet {
		grace = r.cfg.deferCfg.grace
	}
	deadline := time.Now().Add(grace)
	if p := d.pool.Load(); p != nil {
		p.Detach()
		if err := p.Close(grace); err != nil {
			r.log.Warn("reactor: Defer operations still running after stop; their results will be dropped", "err", err, "grace", grace)
			for _, op := range p.Running() {
				r.log.Warn("reactor: Defer operation ignored its context's cancellation", "op", op.Func, "running_for", op.For.Round(time.Millisecond))
			}
		}
	}
	if d.nprocs.Load() > 0 && !waitGroupUntil(&d.procs, deadline) {
		r.log.Warn("reactor: System commands still running after stop", "grace", grace, "commands", d.nprocs.Load())
	}
}

// waitGroupUntil waits for wg until deadline and reports whether it ended.
func waitGroupUntil(wg *sync.WaitGroup, deadline time.Time) bool {
	ended := make(chan struct{})
	go func() {
		wg.Wait()
		close(ended)
	}()
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case <-ended:
		return true
	case <-t.C:
		return false
	}
}
