package reactor

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// watchProbe is a Watcher (and WatchUnbinder) that counts its callbacks
// and runs optional hooks on the loop.
type watchProbe struct {
	onReadable, onWritable func(w *Watch)

	mu                 sync.Mutex
	readable, writable int
	iters              []uint64 // r.iter of each notification
	unbinds            int
	reason             error
	unbound            chan struct{}
}

func newWatchProbe() *watchProbe { return &watchProbe{unbound: make(chan struct{})} }

func (p *watchProbe) NotifyReadable(w *Watch) {
	p.mu.Lock()
	p.readable++
	p.iters = append(p.iters, w.r.iter)
	p.mu.Unlock()
	if p.onReadable != nil {
		p.onReadable(w)
	}
}

func (p *watchProbe) NotifyWritable(w *Watch) {
	p.mu.Lock()
	p.writable++
	p.iters = append(p.iters, w.r.iter)
	p.mu.Unlock()
	if p.onWritable != nil {
		p.onWritable(w)
	}
}

func (p *watchProbe) UnbindWatch(w *Watch, reason error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.unbinds++
	if p.unbinds == 1 {
		p.reason = reason
		close(p.unbound)
	}
}

func (p *watchProbe) counts() (readable, writable, unbinds int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.readable, p.writable, p.unbinds
}

func (p *watchProbe) waitUnbind(t *testing.T) error {
	t.Helper()
	waitClosed(t, p.unbound, "UnbindWatch")
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.reason
}

// testPipe returns a blocking pipe (read end, write end), closed at cleanup.
func testPipe(t *testing.T) [2]int {
	t.Helper()
	p := rawPipe(t)
	t.Cleanup(func() { unix.Close(p[0]); unix.Close(p[1]) })
	return p
}

// rawPipe returns a blocking close-on-exec pipe the caller closes.
func rawPipe(t *testing.T) [2]int {
	t.Helper()
	var p [2]int
	require.NoError(t, unix.Pipe(p[:]))
	unix.CloseOnExec(p[0])
	unix.CloseOnExec(p[1])
	return p
}

func nonblocking(t *testing.T, fd int) bool {
	t.Helper()
	fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	require.NoError(t, err)
	return fl&unix.O_NONBLOCK != 0
}

// TestWatchPipeReadableWritableInTurn: two Watches on the ends of a
// blocking pipe take turns, each switching itself off and the other on: a
// byte is written when the write end is writable and read when the read end
// is readable, 100 times, strictly alternating. The pipe is never made
// non-blocking, and both fds are open and usable after Detach.
func TestWatchPipeReadableWritableInTurn(t *testing.T) {
	h := newHarness(t)
	p := testPipe(t)
	const rounds = 100
	var log []byte // loop only
	var rw, ww *Watch
	done := make(chan struct{})
	rp, wp := newWatchProbe(), newWatchProbe()
	wp.onWritable = func(w *Watch) {
		log = append(log, 'W')
		_, err := unix.Write(p[1], []byte{byte(len(log))})
		assert.NoError(t, err)
		w.SetNotifyWritable(false)
		assert.False(t, w.NotifyWritable())
		rw.SetNotifyReadable(true)
	}
	rp.onReadable = func(w *Watch) {
		log = append(log, 'R')
		var b [1]byte
		n, err := unix.Read(p[0], b[:])
		assert.NoError(t, err)
		assert.Equal(t, 1, n)
		w.SetNotifyReadable(false)
		if len(log) < 2*rounds {
			ww.SetNotifyWritable(true)
			return
		}
		assert.NoError(t, rw.Detach())
		assert.NoError(t, ww.Detach())
		close(done)
	}
	h.do(func() {
		var err error
		rw, err = h.r.Watch(p[0], rp)
		require.NoError(t, err)
		ww, err = h.r.Watch(p[1], wp)
		require.NoError(t, err)
		assert.Equal(t, p[0], rw.Fd())
		assert.False(t, rw.NotifyReadable())
		assert.False(t, rw.NotifyWritable())
		ww.SetNotifyWritable(true)
		assert.True(t, ww.NotifyWritable())
	})
	waitClosed(t, done, "100 rounds")
	h.do(func() {
		assert.Equal(t, []byte(strings.Repeat("WR", rounds)), log)
		assert.False(t, rw.Watching())
		assert.ErrorIs(t, rw.Detach(), ErrClosed)
	})
	for _, w := range []*watchProbe{rp, wp} {
		assert.NoError(t, w.waitUnbind(t), "Detach: nil reason")
		r, wr, u := w.counts()
		assert.Equal(t, rounds, r+wr)
		assert.Equal(t, 1, u)
	}
	assert.False(t, nonblocking(t, p[0]), "Watch leaves O_NONBLOCK alone")
	assert.False(t, nonblocking(t, p[1]), "Watch leaves O_NONBLOCK alone")
	_, err := unix.Write(p[1], []byte("still open"))
	require.NoError(t, err)
	buf := make([]byte, 32)
	n, err := unix.Read(p[0], buf)
	require.NoError(t, err)
	assert.Equal(t, "still open", string(buf[:n]))
}

// TestWatchLevelTriggered: a notification that is on repeats every
// iteration while the fd stays ready (a byte nobody reads; a pipe with
// room), as EventMachine's; switched off, it stops and the loop sleeps.
func TestWatchLevelTriggered(t *testing.T) {
	h := newHarness(t)
	p := testPipe(t)
	_, err := unix.Write(p[1], []byte("x"))
	require.NoError(t, err)
	for _, tc := range []struct {
		name string
		fd   int
		on   func(w *Watch, on bool)
	}{
		{"readable", p[0], (*Watch).SetNotifyReadable},
		{"writable", p[1], (*Watch).SetNotifyWritable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wp := newWatchProbe()
			enough := make(chan struct{})
			notified := func(w *Watch) {
				if r, wr, _ := wp.counts(); r+wr == 5 {
					tc.on(w, false)
					close(enough)
				}
			}
			wp.onReadable, wp.onWritable = notified, notified
			var w *Watch
			h.do(func() {
				w, err = h.r.Watch(tc.fd, wp)
				require.NoError(t, err)
				tc.on(w, true)
			})
			waitClosed(t, enough, "5 notifications")
			h.assertNoSpin("notification switched off")
			wp.mu.Lock()
			iters := append([]uint64(nil), wp.iters...)
			wp.mu.Unlock()
			require.Len(t, iters, 5, "nothing after it was switched off")
			for i := 1; i < len(iters); i++ {
				assert.Greater(t, iters[i], iters[i-1], "one notification an iteration")
			}
			h.do(func() { require.NoError(t, w.Detach()) })
		})
	}
}

// TestWatchHangupWaitsForANotification: the writer closes a pipe whose
// read end is watched with no notification on; the hang-up does not spin
// the loop, and switching NotifyReadable on reports it (the Watcher reads
// EOF and detaches, then closes its fd in UnbindWatch).
func TestWatchHangupWaitsForANotification(t *testing.T) {
	h := newHarness(t)
	p := rawPipe(t)
	wp := newWatchProbe()
	wp.onReadable = func(w *Watch) {
		n, err := unix.Read(w.Fd(), make([]byte, 8))
		assert.NoError(t, err)
		assert.Zero(t, n, "EOF")
		assert.NoError(t, w.Detach())
		assert.NoError(t, unix.Close(w.Fd()))
	}
	var w *Watch
	h.do(func() {
		var err error
		w, err = h.r.Watch(p[0], wp)
		require.NoError(t, err)
	})
	require.NoError(t, unix.Close(p[1]))
	h.assertNoSpin("hung-up pipe with no notification on")
	r, _, _ := wp.counts()
	assert.Zero(t, r)
	h.do(func() { w.SetNotifyReadable(true) })
	assert.NoError(t, wp.waitUnbind(t))
	r, _, _ = wp.counts()
	assert.Equal(t, 1, r)
}

// TestWatchFdStaysOpenAfterStop: Stop ends a Watch with ErrStopped and
// leaves its fd open, in the mode it had.
func TestWatchFdStaysOpenAfterStop(t *testing.T) {
	h := newHarness(t)
	p := testPipe(t)
	require.NoError(t, unix.SetNonblock(p[0], true))
	wp := newWatchProbe()
	h.do(func() {
		w, err := h.r.Watch(p[0], wp)
		require.NoError(t, err)
		w.SetNotifyReadable(true)
	})
	h.stop()
	assert.ErrorIs(t, wp.waitUnbind(t), ErrStopped)
	assert.True(t, nonblocking(t, p[0]), "O_NONBLOCK as it was")
	_, err := unix.Write(p[1], []byte("after stop"))
	require.NoError(t, err)
	buf := make([]byte, 32)
	n, err := unix.Read(p[0], buf)
	require.NoError(t, err)
	assert.Equal(t, "after stop", string(buf[:n]))
	_, err = h.r.Watch(p[0], newWatchProbe())
	assert.ErrorIs(t, err, ErrNotRunning)
}

// TestWatchPanicEndsTheWatch: a panicking notification ends its Watch with
// ErrPanic; the loop goes on.
func TestWatchPanicEndsTheWatch(t *testing.T) {
	h := newHarness(t)
	p := testPipe(t)
	_, err := unix.Write(p[1], []byte("x"))
	require.NoError(t, err)
	wp := newWatchProbe()
	wp.onReadable = func(*Watch) { panic("boom") }
	h.do(func() {
		w, err := h.r.Watch(p[0], wp)
		require.NoError(t, err)
		w.SetNotifyReadable(true)
	})
	reason := wp.waitUnbind(t)
	assert.ErrorIs(t, reason, ErrPanic)
	assert.ErrorContains(t, reason, "boom")
	h.do(func() {}) // the loop still runs
	assert.Contains(t, h.logs.String(), "boom")
}

// TestWatchRefusals: an fd that is not open, and a regular file (which
// epoll cannot poll), are clear errors; nothing is left registered.
func TestWatchRefusals(t *testing.T) {
	h := newHarness(t)
	f, err := os.Create(filepath.Join(t.TempDir(), "plain"))
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	h.do(func() {
		_, err := h.r.Watch(-1, newWatchProbe())
		assert.ErrorIs(t, err, unix.EBADF)
		if runtime.GOOS == "linux" { // (kqueue polls regular files: always ready)
			_, err = h.r.Watch(int(f.Fd()), newWatchProbe())
			assert.ErrorIs(t, err, unix.EPERM, "epoll refuses a regular file")
			assert.ErrorContains(t, err, "watch fd")
		}
		_, err = h.r.Watch(0, nil)
		assert.True(t, err != nil && !errors.Is(err, unix.EBADF))
	})
}
