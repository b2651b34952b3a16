package poller

import (
	"errors"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// These tests hold every backend to the contract in poller.go; they run on
// whichever backend this system compiles.

const watchdog = 10 * time.Second

func newPoller(t *testing.T) *Poller {
	t.Helper()
	p, err := New()
	require.NoError(t, err)
	t.Cleanup(func() { p.Close() })
	return p
}

// socketPair returns a connected pair of non-blocking stream sockets.
func socketPair(t *testing.T) (a, b int) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	require.NoError(t, err)
	for _, fd := range fds {
		require.NoError(t, unix.SetNonblock(fd, true))
	}
	t.Cleanup(func() {
		unix.Close(fds[0])
		unix.Close(fds[1])
	})
	return fds[0], fds[1]
}

// waitFor waits (within the watchdog) until Wait reports an event for fd.
func waitFor(t *testing.T, p *Poller, fd int) Event {
	t.Helper()
	deadline := time.Now().Add(watchdog)
	for time.Now().Before(deadline) {
		evs, err := p.Wait(100 * time.Millisecond)
		require.NoError(t, err)
		for _, ev := range evs {
			if int(ev.Fd) == fd {
				return ev
			}
		}
	}
	t.Fatalf("watchdog: no event for fd %d", fd)
	return Event{}
}

func TestTimeoutMillis(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want int
	}{
		{-1, -1}, {-time.Hour, -1}, {0, 0}, {time.Nanosecond, 1}, {999 * time.Microsecond, 1},
		{time.Millisecond, 1}, {time.Millisecond + 1, 2}, {1500 * time.Millisecond, 1500},
		{1000 * time.Hour, 1 << 30},
	} {
		assert.Equal(t, tc.want, timeoutMillis(tc.d), "%v", tc.d)
	}
}

// Wait(0) polls and returns at once; a positive timeout waits at least that
// long (a sub-millisecond one rounds up, never down); a negative one blocks
// until something happens.
func TestWaitTimeouts(t *testing.T) {
	p := newPoller(t)
	start := time.Now()
	evs, err := p.Wait(0)
	require.NoError(t, err)
	assert.Empty(t, evs)
	assert.Less(t, time.Since(start), time.Second, "a poll does not wait")

	for _, d := range []time.Duration{300 * time.Microsecond, 2500 * time.Microsecond, 20 * time.Millisecond} {
		start := time.Now()
		evs, err := p.Wait(d)
		require.NoError(t, err)
		assert.Empty(t, evs)
		assert.GreaterOrEqual(t, time.Since(start), d, "Wait(%v) returned early", d)
	}

	a, b := socketPair(t)
	require.NoError(t, p.Add(a, true, false))
	go func() {
		time.Sleep(50 * time.Millisecond)
		unix.Write(b, []byte("x"))
	}()
	start = time.Now()
	evs, err = p.Wait(-1)
	require.NoError(t, err)
	require.Len(t, evs, 1)
	assert.Equal(t, int32(a), evs[0].Fd)
	assert.True(t, evs[0].Readable)
	assert.GreaterOrEqual(t, time.Since(start), 40*time.Millisecond, "it blocked until the write")
}

// Wake-ups are coalesced and consumed inside Wait: however many were made,
// Wait returns without reporting them, and the next Wait does not see them
// again.
func TestWakeCoalescedAndNeverReported(t *testing.T) {
	p := newPoller(t)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				assert.NoError(t, p.Wake())
			}
		})
	}
	wg.Wait()
	evs, err := p.Wait(-1) // returns: the wake-ups are pending
	require.NoError(t, err)
	assert.Empty(t, evs, "a wake-up is never an fd event")
	start := time.Now()
	evs, err = p.Wait(30 * time.Millisecond)
	require.NoError(t, err)
	assert.Empty(t, evs)
	assert.GreaterOrEqual(t, time.Since(start), 30*time.Millisecond, "the wake-ups were all consumed by the first Wait")

	woke := make(chan struct{})
	go func() {
		defer close(woke)
		evs, err := p.Wait(-1)
		assert.NoError(t, err)
		assert.Empty(t, evs)
	}()
	time.Sleep(20 * time.Millisecond)
	require.NoError(t, p.Wake())
	select {
	case <-woke:
	case <-time.After(watchdog):
		t.Fatal("watchdog: Wake did not end a blocking Wait")
	}
}

// An fd that is readable and writable at once is one Event with both.
func TestOneEventPerFd(t *testing.T) {
	p := newPoller(t)
	a, b := socketPair(t)
	_, err := unix.Write(b, []byte("data"))
	require.NoError(t, err)
	require.NoError(t, p.Add(a, true, true))
	evs, err := p.Wait(watchdog)
	require.NoError(t, err)
	require.Len(t, evs, 1)
	assert.Equal(t, Event{Fd: int32(a), Readable: true, Writable: true}, evs[0])

	require.NoError(t, p.Mod(a, false, true)) // interest follows Mod
	evs, err = p.Wait(watchdog)
	require.NoError(t, err)
	require.Len(t, evs, 1)
	assert.Equal(t, Event{Fd: int32(a), Writable: true}, evs[0])

	require.NoError(t, p.Mod(a, false, false))
	evs, err = p.Wait(20 * time.Millisecond)
	require.NoError(t, err)
	assert.Empty(t, evs, "no interest, no event")

	require.NoError(t, p.Mod(a, true, false))
	require.NoError(t, p.Del(a))
	evs, err = p.Wait(20 * time.Millisecond)
	require.NoError(t, err)
	assert.Empty(t, evs, "removed")
	require.NoError(t, p.Del(a), "deleting an fd that is not registered is no error")
	require.NoError(t, p.Add(a, true, false), "an fd can come back after Del")
	assert.Equal(t, Event{Fd: int32(a), Readable: true}, waitFor(t, p, a))
}

// A reset connection is reported readable and writable, with Err or Hup,
// to an fd registered for reading only: the read path finds the error.
func TestResetIsReadableAndWritable(t *testing.T) {
	p := newPoller(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	server, err := ln.Accept()
	require.NoError(t, err)
	defer server.Close()
	fd := connFd(t, server)
	require.NoError(t, p.Add(fd, true, false))
	require.NoError(t, client.(*net.TCPConn).SetLinger(0))
	client.Close() // RST

	ev := waitFor(t, p, fd)
	assert.True(t, ev.Readable, "%+v", ev)
	assert.True(t, ev.Writable, "%+v", ev)
	assert.True(t, ev.Err || ev.Hup, "%+v", ev)
}

// A peer's FIN is readable (read returns 0), not an error.
func TestPeerCloseIsReadable(t *testing.T) {
	p := newPoller(t)
	a, b := socketPair(t)
	require.NoError(t, p.Add(a, true, false))
	require.NoError(t, unix.Shutdown(b, unix.SHUT_WR))
	ev := waitFor(t, p, a)
	assert.True(t, ev.Readable)
	assert.False(t, ev.Err)
}

func connFd(t *testing.T, c net.Conn) int {
	raw, err := c.(*net.TCPConn).SyscallConn()
	require.NoError(t, err)
	var fd int
	require.NoError(t, raw.Control(func(f uintptr) { fd = int(f) }))
	return fd
}

// Add, Mod and Del on a closed fd fail with an error that names the system
// call and wraps EBADF.
func TestClosedFdErrors(t *testing.T) {
	p := newPoller(t)
	a, _ := socketPair(t)
	require.NoError(t, p.Add(a, true, false))
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	require.NoError(t, err)
	closed := fds[0]
	unix.Close(fds[0])
	unix.Close(fds[1])
	for name, op := range map[string]func() error{
		"Add": func() error { return p.Add(closed, true, false) },
		"Mod": func() error { return p.Mod(closed, true, true) },
		"Del": func() error { return p.Del(closed) },
	} {
		err := op()
		require.Error(t, err, name)
		assert.True(t, errors.Is(err, unix.EBADF), "%s: %v", name, err)
		var se *os.SyscallError
		assert.True(t, errors.As(err, &se) && se.Syscall != "", "%s: %v names the system call", name, err)
	}
}
