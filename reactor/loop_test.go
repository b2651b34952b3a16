package reactor

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/evmachine/evmachine/timer"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var epoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// TestIterationOrder makes a due timer, a queued tick and a readable
// socket all pending while the loop is busy in one callback, then checks
// that the next iteration serves them in DESIGN.md's order: timers, ticks,
// I/O, sweep (Unbind).
func TestIterationOrder(t *testing.T) {
	clk := timer.NewFakeClock(epoch)
	h := newHarness(t, WithClock(clk))
	type step struct {
		what string
		iter uint64
	}
	var steps []step // appended on the loop only
	note := func(what string) { steps = append(steps, step{what, h.r.iter}) }

	block, release := make(chan struct{}), make(chan struct{})
	var closeMe *Conn
	l, accepted := h.serve(func(p *probe) {
		p.OnData = func(c *Conn, data []byte) {
			switch string(data) {
			case "block":
				close(block)
				<-release // the loop is held here while the test arranges the rest
			case "io":
				note("io")
				closeMe.Close()
			}
		}
		p.OnUnbind = func(c *Conn, _ error) {
			if c == closeMe {
				note("unbind")
			}
		}
	})
	blocker := dial(t, "tcp", l.Addr().String())
	h.accepted(accepted)
	reader := dial(t, "tcp", l.Addr().String())
	closeMe = h.accepted(accepted).Conn()
	h.do(func() { h.r.AddTimer(time.Second, func() { note("timer") }) })

	_, err := blocker.Write([]byte("block"))
	require.NoError(t, err)
	waitClosed(t, block, "the blocking callback")
	clk.Advance(2 * time.Second)          // the timer is due
	h.r.NextTick(func() { note("tick") }) // a tick is queued
	_, err = reader.Write([]byte("io"))   // the other socket is readable
	require.NoError(t, err)
	time.Sleep(20 * time.Millisecond) // let loopback deliver (the order holds either way)
	close(release)

	var got []step
	require.Eventually(t, func() bool {
		h.do(func() { got = append(got[:0], steps...) })
		return len(got) == 4
	}, waitTimeout, 5*time.Millisecond)
	names := []string{got[0].what, got[1].what, got[2].what, got[3].what}
	assert.Equal(t, []string{"timer", "tick", "io", "unbind"}, names)
	// r.iter counts polls: phases 1-2 of an iteration see the count before
	// its poll, phases 4-5 the count after it.
	want := []uint64{got[0].iter, got[0].iter, got[0].iter + 1, got[0].iter + 1}
	assert.Equal(t, want, []uint64{got[0].iter, got[1].iter, got[2].iter, got[3].iter}, "all in one iteration")
}

// TestTickRequeueDoesNotStarve: a tick that re-queues itself forever must
// leave room for timers and I/O.
func TestTickRequeueDoesNotStarve(t *testing.T) {
	clk := timer.NewFakeClock(epoch)
	h := newHarness(t, WithClock(clk))
	l, _ := h.serve(func(p *probe) {
		p.OnData = func(c *Conn, data []byte) { c.Write(data) }
	})
	var spins atomic.Int64
	stop := false
	var spin func()
	spin = func() {
		spins.Add(1)
		clk.Advance(time.Millisecond)
		if !stop {
			h.r.NextTick(spin)
		}
	}
	fired := make(chan struct{})
	h.do(func() {
		h.r.NextTick(spin)
		h.r.AddTimer(100*time.Millisecond, func() { close(fired) })
	})
	waitClosed(t, fired, "a timer behind a self-requeueing tick")

	c := dial(t, "tcp", l.Addr().String())
	for i := range 20 {
		msg := []byte{byte('a' + i)}
		_, err := c.Write(msg)
		require.NoError(t, err)
		buf := make([]byte, 1)
		_, err = c.Read(buf)
		require.NoError(t, err, "echo behind a self-requeueing tick")
		assert.Equal(t, msg, buf)
	}
	h.do(func() { stop = true })
	assert.Greater(t, spins.Load(), int64(100), "the tick kept running meanwhile")
}

// TestStopFromAnotherGoroutine: Stop is safe from any goroutine, closes
// every Conn with ErrStopped and makes Run return.
func TestStopFromAnotherGoroutine(t *testing.T) {
	h := newHarness(t)
	l, accepted := h.serve(nil)
	c := dial(t, "tcp", l.Addr().String())
	p := h.accepted(accepted)
	assert.True(t, h.r.Running())

	var wg sync.WaitGroup
	for range 4 { // several concurrent Stops: all but one do nothing
		wg.Add(1)
		go func() { defer wg.Done(); h.r.Stop() }()
	}
	wg.Wait()
	select {
	case err := <-h.done:
		require.NoError(t, err)
		h.done <- err
	case <-time.After(waitTimeout):
		t.Fatal("Run did not return after Stop")
	}
	assert.False(t, h.r.Running())
	assert.ErrorIs(t, p.waitUnbind(t), ErrStopped)
	assert.Nil(t, p.Conn().out, "queued output dropped")

	buf := make([]byte, 1)
	_, err := c.Read(buf)
	assert.Error(t, err, "the client sees the close")
	h.r.NextTick(func() { t.Error("a tick ran after Stop") }) // dropped, not run
	h.r.Stop()                                                // a no-op now
}

// TestPackageRun: the package-level Run calls setup inside the loop and
// returns when a callback stops it.
func TestPackageRun(t *testing.T) {
	var order []string
	var running bool
	done := make(chan error, 1)
	go func() {
		done <- Run(func(r *Reactor) {
			order = append(order, "setup")
			running = r.Running()
			r.NextTick(func() { order = append(order, "tick") })
			r.AddTimer(time.Millisecond, func() {
				order = append(order, "timer")
				r.Stop()
			})
		})
	}()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(waitTimeout):
		t.Fatal("Run did not return")
	}
	assert.True(t, running, "Running inside the loop")
	assert.Equal(t, []string{"setup", "tick", "timer"}, order)
}

// TestPackageRunSetupError: a setup that fails (its Listen finds the port
// taken) stops the reactor; Run returns the error, after closing what
// setup had opened, instead of running on with nothing to serve.
func TestPackageRunSetupError(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer busy.Close()
	var opened *Listener
	var unbound atomic.Bool
	done := make(chan error, 1)
	go func() {
		done <- Run(func(r *Reactor) error {
			var err error
			opened, err = r.Listen("tcp", "127.0.0.1:0", func(*Conn) Handler { return BaseHandler{} })
			if err != nil {
				return err
			}
			_, err = r.Connect("tcp", opened.Addr().String(), HandlerFuncs{OnUnbind: func(*Conn, error) { unbound.Store(true) }})
			if err != nil {
				return err
			}
			_, err = r.Listen("tcp", busy.Addr().String(), func(*Conn) Handler { return BaseHandler{} })
			return err
		})
	}()
	select {
	case err := <-done:
		assert.ErrorIs(t, err, syscall.EADDRINUSE)
	case <-time.After(waitTimeout):
		t.Fatal("Run did not return after setup failed")
	}
	assert.True(t, unbound.Load(), "what setup opened was closed")
	_, err = net.DialTimeout("tcp", opened.Addr().String(), time.Second)
	assert.Error(t, err, "the listener setup opened is closed")
}

func TestRunTwice(t *testing.T) {
	h := newHarness(t)
	h.stop()
	assert.ErrorIs(t, h.r.Run(), ErrAlreadyRun)
	_, err := h.r.Listen("tcp", "127.0.0.1:0", func(*Conn) Handler { return BaseHandler{} })
	assert.ErrorIs(t, err, ErrNotRunning)
	_, err = h.r.Connect("tcp", "127.0.0.1:1", BaseHandler{})
	assert.ErrorIs(t, err, ErrNotRunning)
}

// TestNextTickConcurrent queues ticks from many goroutines at once; each
// goroutine's ticks run in the order it queued them, all on the loop.
func TestNextTickConcurrent(t *testing.T) {
	h := newHarness(t)
	const goroutines, perG = 16, 2000
	next := make([]int, goroutines) // touched on the loop only
	var outOfOrder, ran atomic.Int64
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perG {
				h.r.NextTick(func() {
					if next[g] != i {
						outOfOrder.Add(1)
					}
					next[g] = i + 1
					ran.Add(1)
				})
			}
		}()
	}
	wg.Wait()
	h.do(func() {}) // queued after all of them, so it runs after them
	assert.Equal(t, int64(goroutines*perG), ran.Load())
	assert.Zero(t, outOfOrder.Load())
}

// TestPanicOutsideConnKeepsLoop: a panicking tick or timer is logged and
// the loop goes on.
func TestPanicOutsideConnKeepsLoop(t *testing.T) {
	h := newHarness(t)
	fired := make(chan struct{})
	h.do(func() {
		h.r.NextTick(func() { panic("tick boom") })
		h.r.AddTimer(time.Millisecond, func() { panic("timer boom") })
		h.r.AddTimer(5*time.Millisecond, func() { close(fired) })
	})
	waitClosed(t, fired, "a timer after two panics")
	assert.Contains(t, h.logs.String(), "tick boom")
	assert.Contains(t, h.logs.String(), "timer boom")
	assert.True(t, h.r.Running())
}

// TestShutdownBeforeAnythingRuns: Shutdown of an idle reactor stops it at
// once and returns nil; a later Shutdown also returns nil.
func TestShutdownIdle(t *testing.T) {
	h := newHarness(t)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	require.NoError(t, h.r.Shutdown(ctx))
	assert.False(t, h.r.Running())
	assert.NoError(t, h.r.Shutdown(ctx))
	err := <-h.done
	h.done <- err
	assert.NoError(t, err)
	assert.False(t, errors.Is(err, context.DeadlineExceeded))
}
