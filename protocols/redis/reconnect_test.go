package redis

import (
	"errors"
	"net"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/evmachine/evmachine/internal/nettest"
)

// eventLog records the events of a client, for any goroutine to read.
type eventLog struct {
	mu     sync.Mutex
	events []Event
	ch     chan Event
}

func newEventLog() *eventLog { return &eventLog{ch: make(chan Event, 100)} }

func (l *eventLog) handler(e Event, _ error) {
	l.mu.Lock()
	l.events = append(l.events, e)
	l.mu.Unlock()
	select {
	case l.ch <- e:
	default:
	}
}

// waitFor waits for event e.
func (l *eventLog) waitFor(t *testing.T, e Event) {
	t.Helper()
	deadline := time.After(watchdog)
	for {
		select {
		case got := <-l.ch:
			if got == e {
				return
			}
		case <-deadline:
			require.FailNowf(t, "watchdog", "no %v event", e)
		}
	}
}

// TestServerRestartUnderTraffic kills redis-server while commands flow
// and a subscription is active, restarts it on the same port, and checks
// that every command either succeeded or failed with a clear error, that
// traffic resumes, and that the subscription is back.
func TestServerRestartUnderTraffic(t *testing.T) {
	for _, proto := range []int{3, 2} {
		t.Run("RESP"+strconv.Itoa(proto), func(t *testing.T) {
			s := startServer(t)
			r := startReactor(t)
			ev := newEventLog()
			c := dial(t, r, s.Addr, WithProtocol(proto), WithEventHandler(ev.handler),
				WithReconnect(-1, 20*time.Millisecond, 200*time.Millisecond))
			ev.waitFor(t, EventConnected)
			msgs := make(chan string, 100)
			subscribed := make(chan error, 1)
			onLoop(t, r, func() {
				c.Subscribe("news", func(m Message) { msgs <- m.Payload }, func(err error) { subscribed <- err })
			})
			require.NoError(t, wait(t, subscribed, "subscribe"))

			// Traffic: a stream of INCRs, 50 outstanding at a time, bounded
			// in count and stopped by the test.
			var (
				mu             sync.Mutex
				ok, failed     int
				unclear        []error
				stop           bool
				okAfterRestart int
				restarted      bool
			)
			var issue func()
			issue = func() {
				c.Do(func(v Value, err error) {
					mu.Lock()
					switch {
					case err == nil:
						ok++
						if restarted {
							okAfterRestart++
						}
					case errors.Is(err, ErrConnectionLost) || errors.Is(err, ErrNotConnected):
						failed++
					default:
						unclear = append(unclear, err)
					}
					done := stop || ok+failed > 2_000_000
					mu.Unlock()
					if !done {
						issue()
					}
				}, "INCR", "traffic")
			}
			onLoop(t, r, func() {
				for range 50 {
					issue()
				}
			})
			require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return ok > 500 }, watchdog, 5*time.Millisecond)

			s.Kill()
			ev.waitFor(t, EventDisconnected)
			time.Sleep(100 * time.Millisecond) // let a reconnect attempt or two fail
			mu.Lock()
			restarted = true
			mu.Unlock()
			s.Restart()
			ev.waitFor(t, EventReconnected)
			require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return okAfterRestart > 500 }, watchdog, 5*time.Millisecond)

			// The subscription came back.
			require.Eventually(t, func() bool {
				v, err := do(t, r, c, "PUBLISH", "news", "after")
				return err == nil && v.Int == 1
			}, watchdog, 20*time.Millisecond)
			assert.Equal(t, "after", wait(t, msgs, "message after restart"))

			mu.Lock()
			stop = true
			assert.Empty(t, unclear, "every failure names the lost connection")
			t.Logf("ok %d, failed %d (connection lost)", ok, failed)
			mu.Unlock()
		})
	}
}

func TestFailFastAndFailed(t *testing.T) {
	s := startServer(t)
	r := startReactor(t)
	ev := newEventLog()
	c := dial(t, r, s.Addr, WithFailFast(true), WithEventHandler(ev.handler),
		WithReconnect(3, 50*time.Millisecond, 50*time.Millisecond))
	_, err := do(t, r, c, "PING")
	require.NoError(t, err)
	s.Kill()
	ev.waitFor(t, EventDisconnected)
	_, err = do(t, r, c, "PING")
	assert.ErrorIs(t, err, ErrNotConnected)
	ev.waitFor(t, EventFailed)
	onLoop(t, r, func() { assert.Equal(t, StateFailed, c.State()) })
	_, err = do(t, r, c, "PING")
	assert.ErrorIs(t, err, ErrFailed)
}

func TestOfflineQueue(t *testing.T) {
	addr := nettest.RefusedAddr(t)
	r := startReactor(t)
	c := dial(t, r, addr, WithOfflineQueue(2), WithReconnect(2, 10*time.Millisecond, 10*time.Millisecond))
	ch := make(chan error, 3)
	onLoop(t, r, func() {
		for range 3 {
			c.Do(func(_ Value, err error) { ch <- err }, "PING")
		}
	})
	assert.ErrorIs(t, wait(t, ch, "third"), ErrQueueFull)
	for range 2 {
		err := wait(t, ch, "queued")
		assert.ErrorIs(t, err, ErrFailed)
		assert.ErrorIs(t, err, syscall.ECONNREFUSED)
	}
}

// TestServerNeverAnswers: a server that accepts and never replies hits
// the timeout; the commands fail with ErrTimeout.
func TestServerNeverAnswers(t *testing.T) {
	addr := nettest.Serve(t, func(c *net.TCPConn) {
		buf := make([]byte, 4096)
		for {
			if _, err := c.Read(buf); err != nil {
				return
			}
		}
	})
	r := startReactor(t)
	c := dial(t, r, addr, WithTimeout(200*time.Millisecond), WithReconnect(1, time.Millisecond, time.Millisecond))
	start := time.Now()
	_, err := do(t, r, c, "PING")
	assert.ErrorIs(t, err, ErrTimeout)
	var ne net.Error
	require.ErrorAs(t, err, &ne)
	assert.True(t, ne.Timeout())
	assert.Less(t, time.Since(start), 10*time.Second)
}

// TestHealthCheckCatchesSilentServer: a subscriber-only client whose
// server stops answering (SIGSTOP) is disconnected by the health check's
// PING timing out, and reconnects once the server runs again.
func TestHealthCheckCatchesSilentServer(t *testing.T) {
	s := startServer(t)
	r := startReactor(t)
	ev := newEventLog()
	c := dial(t, r, s.Addr, WithHealthCheck(100*time.Millisecond), WithTimeout(300*time.Millisecond),
		WithReconnect(-1, 50*time.Millisecond, 100*time.Millisecond), WithEventHandler(ev.handler))
	subscribed := make(chan error, 1)
	onLoop(t, r, func() { c.Subscribe("quiet", func(Message) {}, func(err error) { subscribed <- err }) })
	require.NoError(t, wait(t, subscribed, "subscribe"))
	pid := s.PID()
	require.NoError(t, syscall.Kill(pid, syscall.SIGSTOP))
	stopped := true
	defer func() {
		if stopped {
			_ = syscall.Kill(pid, syscall.SIGCONT)
		}
	}()
	ev.waitFor(t, EventDisconnected)
	require.NoError(t, syscall.Kill(pid, syscall.SIGCONT))
	stopped = false
	ev.waitFor(t, EventReconnected)
	_, err := do(t, r, c, "PING")
	require.NoError(t, err)
}
