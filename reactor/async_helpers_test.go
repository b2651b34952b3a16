package reactor_test

import (
	"bytes"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evmachine/evmachine/reactor"
)

// asyncWatchdog bounds every wait of the async building-block tests: a
// broken test fails after it instead of hanging.
const asyncWatchdog = 20 * time.Second

// asyncStart runs a new reactor on its own goroutine. Cleanup stops it and
// fails the test if Run does not return within the watchdog or returns an
// error. The returned channel receives Run's result (buffered: the cleanup
// reads it if the test did not).
func asyncStart(t testing.TB, opts ...reactor.Option) (*reactor.Reactor, <-chan error) {
	t.Helper()
	r, err := reactor.New(opts...)
	require.NoError(t, err)
	done := make(chan error, 1)
	ran := make(chan struct{})
	go func() {
		err := r.Run()
		done <- err
		close(ran)
	}()
	t.Cleanup(func() {
		r.Stop()
		select {
		case <-ran:
		case <-time.After(asyncWatchdog):
			t.Error("reactor did not stop within the watchdog")
		}
	})
	return r, done
}

// asyncOnLoop runs fn on r's loop and waits for it to return.
func asyncOnLoop(t testing.TB, r *reactor.Reactor, fn func()) {
	t.Helper()
	ran := make(chan struct{})
	r.NextTick(func() {
		defer close(ran)
		fn()
	})
	asyncWait(t, ran, "a tick on the loop")
}

// asyncWait waits for ch to be closed (or to yield a value), failing the
// test after the watchdog.
func asyncWait[E any](t testing.TB, ch <-chan E, what string) E {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(asyncWatchdog):
		require.FailNowf(t, "watchdog", "timed out waiting for %s", what)
		panic("unreachable")
	}
}

// asyncLoopGID returns the id of r's loop goroutine, read on the loop.
func asyncLoopGID(t testing.TB, r *reactor.Reactor) uint64 {
	var id uint64
	asyncOnLoop(t, r, func() { id = asyncGID() })
	require.NotZero(t, id)
	return id
}

// asyncGID parses the calling goroutine's id from its stack header: the
// goroutine-identity probe of the "runs on the loop" tests.
func asyncGID() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	if i := bytes.IndexByte(b, ' '); i > 0 {
		b = b[:i]
	}
	id, _ := strconv.ParseUint(string(b), 10, 64)
	return id
}
