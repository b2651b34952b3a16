package reactor_test

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/evmachine/evmachine/reactor"
)

// sleepyConn holds the loop in ReceiveData, as a synchronous call would.
type sleepyConn struct{ reactor.BaseHandler }

func (*sleepyConn) ReceiveData(*reactor.Conn, []byte) { time.Sleep(200 * time.Millisecond) }

// reports collects slow-callback reports (from the loop and the watchdog).
type reports struct {
	mu  sync.Mutex
	all []reactor.SlowCallback
	got chan struct{}
}

func newReports() *reports { return &reports{got: make(chan struct{}, 100)} }

func (r *reports) add(s reactor.SlowCallback) {
	r.mu.Lock()
	r.all = append(r.all, s)
	r.mu.Unlock()
	r.got <- struct{}{}
}

// wait returns the first report, finished (Running false) or not as
// asked, whose name contains part.
func (r *reports) wait(t *testing.T, part string, running bool) reactor.SlowCallback {
	t.Helper()
	deadline := time.After(asyncWatchdog)
	for {
		r.mu.Lock()
		for _, s := range r.all {
			if strings.Contains(s.Name, part) && s.Running == running {
				r.mu.Unlock()
				return s
			}
		}
		r.mu.Unlock()
		select {
		case <-r.got:
		case <-deadline:
			r.mu.Lock()
			defer r.mu.Unlock()
			for _, s := range r.all {
				t.Logf("report %q running=%v %v\n%s", s.Name, s.Running, s.Duration, s.Stack)
			}
			t.Fatalf("no report naming %q (running %v)", part, running)
		}
	}
}

// TestSlowCallbackNamesIt: a ReceiveData that sleeps 200 ms is reported
// with its handler type and method; a timer callback that blocks on a
// channel is reported by the watchdog while still blocked, with the loop
// goroutine's stack showing the channel receive, and again when it
// returns; a Defer completion is named by its done function; Stats keeps
// the longest.
func TestSlowCallbackNamesIt(t *testing.T) {
	rep := newReports()
	r, _ := asyncStart(t, reactor.WithSlowCallback(50*time.Millisecond, rep.add))
	var addr string
	asyncOnLoop(t, r, func() {
		l, err := r.Listen("tcp", "127.0.0.1:0", func(*reactor.Conn) reactor.Handler { return &sleepyConn{} })
		require.NoError(t, err)
		addr = l.Addr().String()
	})
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer c.Close()
	c.Write([]byte("wake up"))
	s := rep.wait(t, "*reactor_test.sleepyConn.ReceiveData", false)
	assert.GreaterOrEqual(t, s.Duration, 200*time.Millisecond)

	// Blocked "forever" (until released): the watchdog names it.
	release := make(chan struct{})
	var once sync.Once
	defer once.Do(func() { close(release) }) // never leave the loop blocked
	blockedTimer := func() { <-release }
	asyncOnLoop(t, r, func() { r.AddTimer(0, blockedTimer) })
	s = rep.wait(t, "TestSlowCallbackNamesIt", true)
	assert.True(t, s.Running)
	assert.Contains(t, string(s.Stack), "chan receive", "the stack shows where it blocks")
	assert.Contains(t, string(s.Stack), "slowcb_test.go")
	once.Do(func() { close(release) })
	s = rep.wait(t, "TestSlowCallbackNamesIt.func", false)
	assert.GreaterOrEqual(t, s.Duration, 50*time.Millisecond)

	// A Defer completion: named by done, not by the pool's adapters.
	slowDone := func(int, error) { time.Sleep(80 * time.Millisecond) }
	asyncOnLoop(t, r, func() {
		reactor.Defer(r, func(context.Context) (int, error) { return 1, nil }, slowDone)
	})
	s = rep.wait(t, "TestSlowCallbackNamesIt.func", false)
	require.Eventually(t, func() bool {
		rep.mu.Lock()
		defer rep.mu.Unlock()
		n := 0
		for _, s := range rep.all {
			if !s.Running && strings.Contains(s.Name, "TestSlowCallbackNamesIt.func") {
				n++
			}
		}
		return n >= 2
	}, asyncWatchdog, time.Millisecond, "the timer and the Defer completion are both named")
	assert.GreaterOrEqual(t, r.Stats().LongestCallback, 50*time.Millisecond)
}
