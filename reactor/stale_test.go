package reactor

import (
	"errors"
	"os"
	"testing"
	"time"

	"github.com/evmachine/evmachine/internal/nettest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// TestStaleEventForReusedFd: a listener closed from a callback frees its fd
// at once; a Connect in the same callback gets that fd number back, while
// the batch still holds the old listener's readiness event. That event must
// be dropped, not taken for the connect's completion.
func TestStaleEventForReusedFd(t *testing.T) {
	h := newHarness(t)
	target := nettest.StalledAddr(t)
	l2 := h.listen("tcp", "127.0.0.1:0", func(*Conn) Handler { return h.newProbe().handler() })
	l2fd := l2.fd
	fillFdGaps(t, l2fd)

	block, release := make(chan struct{}), make(chan struct{})
	victim := h.newProbe()
	var victimFd int
	var connectErr error
	l1, accepted := h.serve(func(p *probe) {
		p.OnData = func(c *Conn, data []byte) {
			switch string(data) {
			case "block":
				close(block)
				<-release
			case "go":
				assert.NoError(t, l2.Close())
				var vc *Conn
				vc, connectErr = h.r.Connect("tcp", target, victim.handler())
				if vc != nil {
					victimFd = vc.Fd()
				}
			}
		}
	})
	a := dial(t, "tcp", l1.Addr().String())
	h.accepted(accepted)
	_, err := a.Write([]byte("block"))
	require.NoError(t, err)
	waitClosed(t, block, "the blocking callback")
	// While the loop is held: make l2 readable, then give a more data. The
	// loop's next batch holds a's event first (level-triggered events go
	// back to the head of the ready list), then l2's.
	b := dial(t, "tcp", l2.Addr().String())
	_ = b
	time.Sleep(20 * time.Millisecond)
	_, err = a.Write([]byte("go"))
	require.NoError(t, err)
	time.Sleep(20 * time.Millisecond)
	close(release)

	h.do(func() {}) // the batch with both events has been dispatched
	h.do(func() {})
	require.NoError(t, connectErr)
	require.Equal(t, l2fd, victimFd, "precondition: the connect reused the closed listener's fd")
	assert.Equal(t, []string{"post"}, victim.Events(), "a blackholed connect must not complete")
	h.do(func() { victim.Conn().Close() })
	assert.NoError(t, victim.waitUnbind(t))
}

// fillFdGaps opens /dev/null until every fd number below fd is in use, so
// that the next fd the process creates after closing fd gets fd's number.
func fillFdGaps(t *testing.T, fd int) {
	t.Helper()
	for {
		f, err := os.Open(os.DevNull)
		require.NoError(t, err)
		if int(f.Fd()) > fd {
			f.Close()
			return
		}
		t.Cleanup(func() { f.Close() })
	}
}

// TestReleaseUnregisteredConn: a Conn whose fd never made it into the
// poller and fd table (register failed, e.g. epoll_ctl ENOSPC) is still
// swept: its fd is closed and Unbind runs, whatever the fd's number.
func TestReleaseUnregisteredConn(t *testing.T) {
	h := newHarness(t)
	f, err := os.Open(os.DevNull)
	require.NoError(t, err)
	defer f.Close()
	const high = 4000 // beyond the fd table, which grows only on register
	require.NoError(t, unix.Dup2(int(f.Fd()), high))
	p := h.newProbe()
	h.do(func() {
		assert.Less(t, len(h.r.fds.owners), high)
		c := &Conn{r: h.r, h: p, fd: high, flags: fConnecting, st: plainStage{}}
		h.r.nconns++
		c.closeWith(errors.New("register failed"))
	})
	assert.EqualError(t, p.waitUnbind(t), "register failed")
	var st unix.Stat_t
	assert.ErrorIs(t, unix.Fstat(high, &st), unix.EBADF, "the fd was closed")
}
