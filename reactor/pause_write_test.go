package reactor

import (
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// quietFor asserts that nothing arrives on c for d (a bound on a negative
// check, not a measurement).
func quietFor(t *testing.T, c net.Conn, d time.Duration) {
	t.Helper()
	require.NoError(t, c.SetReadDeadline(time.Now().Add(d)))
	buf := make([]byte, 1)
	n, err := c.Read(buf)
	var ne net.Error
	assert.True(t, n == 0 && err != nil && errors.As(err, &ne) && ne.Timeout(), "nothing arrives while paused (got %d bytes, %v)", n, err)
	require.NoError(t, c.SetReadDeadline(time.Time{}))
}

// TestPauseHoldsBothDirections ports EventMachine's test_pause.rb: while
// paused a Conn neither reads nor writes (Write queues, OutboundSize shows
// it); Resume sends the queued bytes and reads what waited. PauseReading
// stops reading only: its writes go out at once.
func TestPauseHoldsBothDirections(t *testing.T) {
	h := newHarness(t)
	l, accepted := h.serve(func(*probe) {})
	c := dial(t, "tcp", l.Addr().String())
	defer c.Close()
	p := h.accepted(accepted)

	h.do(func() {
		p.Conn().Pause()
		n, err := p.Conn().Write([]byte("held"))
		assert.NoError(t, err)
		assert.Equal(t, 4, n)
		assert.Equal(t, 4, p.Conn().OutboundSize(), "queued, not sent")
	})
	_, err := c.Write([]byte("waiting"))
	require.NoError(t, err)
	quietFor(t, c, 200*time.Millisecond)
	assert.Empty(t, p.Got(), "nothing read while paused")

	h.do(func() { p.Conn().Resume() })
	got := make([]byte, 4)
	_, err = io.ReadFull(c, got)
	require.NoError(t, err)
	assert.Equal(t, "held", string(got), "Resume sends what was queued")
	assert.Equal(t, "waiting", string(p.waitGot(t, 7)))

	// PauseReading: the answer goes out while input waits.
	h.do(func() {
		p.Conn().PauseReading()
		p.Conn().Write([]byte("flows"))
	})
	got = make([]byte, 5)
	_, err = io.ReadFull(c, got)
	require.NoError(t, err)
	assert.Equal(t, "flows", string(got))
	_, err = c.Write([]byte("more"))
	require.NoError(t, err)
	h.assertNoSpin("reading paused")
	assert.Equal(t, "waiting", string(p.Got()), "not read while reading is paused")
	h.do(func() { p.Conn().ResumeReading() })
	assert.Equal(t, "waitingmore", string(p.waitGot(t, 11)))
}

// TestPausedCloseAfterWritingWaitsForResume: CloseAfterWriting on a paused
// Conn with output queued waits for Resume (nothing is written while
// paused), then delivers it and closes; Shutdown does not wait on a Pause.
func TestPausedCloseAfterWritingWaitsForResume(t *testing.T) {
	h := newHarness(t)
	l, accepted := h.serve(func(*probe) {})
	c := dial(t, "tcp", l.Addr().String())
	defer c.Close()
	p := h.accepted(accepted)
	h.do(func() {
		p.Conn().Pause()
		p.Conn().Write([]byte("last words"))
		p.Conn().CloseAfterWriting()
	})
	quietFor(t, c, 200*time.Millisecond)
	assert.False(t, p.Unbound())
	h.do(func() { p.Conn().Resume() })
	all, err := io.ReadAll(c)
	require.NoError(t, err)
	assert.Equal(t, "last words", string(all))
	assert.NoError(t, p.waitUnbind(t))

	// Shutdown drains a paused Conn instead of waiting on it forever.
	d := dial(t, "tcp", l.Addr().String())
	defer d.Close()
	q := h.accepted(accepted)
	h.do(func() {
		q.Conn().Pause()
		q.Conn().Write([]byte("drained"))
	})
	go h.r.Shutdown(t.Context())
	all, err = io.ReadAll(d)
	require.NoError(t, err)
	assert.Equal(t, "drained", string(all))
	q.waitUnbind(t)
}
