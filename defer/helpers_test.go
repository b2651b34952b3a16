package deferpool_test

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	deferpool "github.com/evmachine/evmachine/defer"
)

// watchdog bounds every wait in these tests.
const watchdog = 10 * time.Second

// fakeLoop stands in for the reactor: post appends to a mutex-guarded slice
// from any goroutine, and one goroutine runs the posted functions in order,
// as the reactor's NextTick queue does.
type fakeLoop struct {
	t       testing.TB
	mu      sync.Mutex
	pending []func()
	wake    chan struct{}
	quit    chan struct{}
	stopped chan struct{}
	once    sync.Once
	onLoop  bool // written only by the loop goroutine; see mustBeOnLoop
}

func newLoop(t testing.TB) *fakeLoop {
	l := &fakeLoop{
		t:       t,
		wake:    make(chan struct{}, 1),
		quit:    make(chan struct{}),
		stopped: make(chan struct{}),
	}
	go l.run()
	t.Cleanup(l.stop)
	return l
}

// post queues fn for the loop goroutine. Safe for concurrent use.
func (l *fakeLoop) post(fn func()) {
	l.mu.Lock()
	l.pending = append(l.pending, fn)
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

func (l *fakeLoop) run() {
	defer close(l.stopped)
	var batch []func()
	for {
		select {
		case <-l.quit:
			return
		case <-l.wake:
		}
		l.mu.Lock()
		batch, l.pending = l.pending, batch[:0]
		l.mu.Unlock()
		l.onLoop = true
		for i, fn := range batch {
			fn()
			batch[i] = nil
		}
		l.onLoop = false
	}
}

// stop ends the loop goroutine and waits for it; functions still pending
// are dropped. After stop, whatever the loop wrote may be read freely.
func (l *fakeLoop) stop() {
	l.once.Do(func() { close(l.quit) })
	<-l.stopped
}

// mustBeOnLoop fails the test unless called by a function the loop is
// running. It reads onLoop without a lock, so a call from any other
// goroutine is also a data race that -race reports.
func (l *fakeLoop) mustBeOnLoop() {
	if !l.onLoop {
		l.t.Errorf("done ran outside the loop")
	}
}

type result struct {
	res any
	err error
}

// collect returns a done that checks it runs on the loop and sends its
// arguments to ch (which must be buffered enough).
func (l *fakeLoop) collect(ch chan<- result) func(any, error) {
	return func(res any, err error) {
		l.mustBeOnLoop()
		ch <- result{res, err}
	}
}

// newPool returns a pool posting to l and closes it when the test ends.
func newPool(t testing.TB, l *fakeLoop, opts ...deferpool.Option) *deferpool.Pool {
	p := deferpool.New(l.post, opts...)
	t.Cleanup(func() { assert.NoError(t, p.Close(watchdog)) })
	return p
}

// checkLeaks fails the test if, once every later cleanup has run, more
// goroutines are alive than when it was called. Call it first. It polls
// (every few milliseconds, up to the watchdog) because a goroutine that has
// signalled its end may still be on its way out.
func checkLeaks(t testing.TB) {
	base := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(watchdog)
		for n := runtime.NumGoroutine(); n > base; n = runtime.NumGoroutine() {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				t.Errorf("goroutines leaked: %d alive, %d before\n%s", n, base, buf[:runtime.Stack(buf, true)])
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	})
}

// wait fails the test if ch is not closed (or sent on) within the watchdog.
func wait[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(watchdog):
		t.Fatalf("timed out after %v waiting for %s", watchdog, what)
		panic("unreachable")
	}
}

// gate is an operation that signals when it starts and then blocks until
// released (or, if honourCtx, until its context is cancelled).
type gate struct {
	started chan struct{}
	release chan struct{}
}

func newGate() *gate {
	return &gate{started: make(chan struct{}, 1), release: make(chan struct{})}
}

func (g *gate) op(honourCtx bool) func(ctx context.Context) (any, error) {
	return func(ctx context.Context) (any, error) {
		g.started <- struct{}{}
		if !honourCtx {
			<-g.release
			return "released", nil
		}
		select {
		case <-g.release:
			return "released", nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}
