package memcache

import (
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/evmachine/evmachine/reactor"
)

// TestServerKilledAndRestartedUnderTraffic keeps commands flowing while
// memcached is killed and started again on the same port: every callback
// runs exactly once, failures are the documented errors, and commands
// succeed again after the restart.
func TestServerKilledAndRestartedUnderTraffic(t *testing.T) {
	m := startMemcached(t, 0)
	r, c := dial(t, m.addr, WithReconnect(20*time.Millisecond, 100*time.Millisecond), WithTimeout(2*time.Second))

	var issued, completed, okCount, failed atomic.Int64
	var unexpected atomic.Value
	const maxCommands = 200000
	stop := make(chan struct{})
	var ticker func()
	ticker = func() { // 20 commands per millisecond at most, bounded in count
		select {
		case <-stop:
			return
		default:
		}
		for i := range 20 {
			if issued.Load() >= maxCommands {
				return
			}
			issued.Add(1)
			key := fmt.Sprintf("k%d", i)
			cb := func(err error) {
				completed.Add(1)
				switch {
				case err == nil:
					okCount.Add(1)
				case errors.Is(err, ErrConnectionLost), errors.Is(err, ErrNotConnected), errors.Is(err, ErrTimeout):
					failed.Add(1)
				case errors.Is(err, ErrCacheMiss): // a get right after the restart
					okCount.Add(1)
				default:
					unexpected.Store(err)
				}
			}
			if i%2 == 0 {
				c.Set(&Item{Key: key, Value: []byte("v")}, cb)
			} else {
				c.Get(key, func(_ *Item, err error) { cb(err) })
			}
		}
		r.AddTimer(time.Millisecond, ticker)
	}
	onLoop(t, r, ticker)

	waitUntil(t, "traffic flows", func() bool { return okCount.Load() > 1000 })
	m.kill()
	waitUntil(t, "commands fail while the server is down", func() bool { return failed.Load() > 0 })
	okBefore := okCount.Load()
	time.Sleep(100 * time.Millisecond) // a few reconnect attempts are refused
	startMemcached(t, m.port)
	waitUntil(t, "commands succeed after the restart", func() bool { return okCount.Load() > okBefore+1000 })
	close(stop)
	waitUntil(t, "every callback ran", func() bool {
		var pending int
		onLoop(t, r, func() { pending = c.Stats().Pending })
		return pending == 0 && completed.Load() == issued.Load()
	})
	if err := unexpected.Load(); err != nil {
		t.Errorf("unexpected error: %v", err)
	}
	s := stats(t, r, c)
	assert.GreaterOrEqual(t, s.Connects, uint64(2))
	assert.GreaterOrEqual(t, s.Reconnects, uint64(1))
	t.Logf("issued %d, ok %d, failed %d, connects %d, reconnect attempts %d",
		issued.Load(), okCount.Load(), failed.Load(), s.Connects, s.Reconnects)
}

// waitUntil polls cond until it holds, failing after the watchdog.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(watchdog)
	for !cond() {
		require.True(t, time.Now().Before(deadline), "watchdog: %s", what)
		time.Sleep(5 * time.Millisecond)
	}
}

// TestPanickingCallback: a callback that panics closes the connection
// (the reactor contains the panic); the commands behind it fail clearly
// and the Client reconnects and serves the next ones.
func TestPanickingCallback(t *testing.T) {
	m := startMemcached(t, 0)
	r, c := dial(t, m.addr, WithReconnect(10*time.Millisecond, 50*time.Millisecond))
	require.NoError(t, doErr(t, r, set(c, "k", "v")))
	errs := make(chan error, 2)
	onLoop(t, r, func() {
		c.Get("k", func(*Item, error) { panic("boom") })
		c.Get("k", func(_ *Item, err error) { errs <- err })
	})
	select {
	case err := <-errs:
		assert.ErrorIs(t, err, ErrConnectionLost)
		assert.ErrorIs(t, err, reactor.ErrPanic)
	case <-time.After(watchdog):
		require.FailNow(t, "watchdog")
	}
	got := doGet(t, r, c, "k")
	require.NoError(t, got.err)
	assert.Equal(t, "v", string(got.v.Value))
}
