package reactor

import (
	"bytes"
	"errors"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPeerHalfCloseFlushesQueuedOutput: the peer sends its request and
// FIN at once; the answer (16 MiB, mostly queued) still arrives whole,
// then the Conn closes with io.EOF.
func TestPeerHalfCloseFlushesQueuedOutput(t *testing.T) {
	h := newHarness(t)
	const size = 16 << 20
	answer := pattern(size, 5)
	queued := make(chan int, 1)
	l, accepted := h.serve(func(p *probe) {
		p.OnData = func(c *Conn, _ []byte) {
			c.Write(answer)
			queued <- c.OutboundSize()
		}
	})
	c := dial(t, "tcp", l.Addr().String())
	p := h.accepted(accepted)
	write(t, c, "go")
	require.NoError(t, c.(*net.TCPConn).CloseWrite())
	require.Greater(t, <-queued, 0, "precondition: output is queued when the FIN arrives")
	time.Sleep(50 * time.Millisecond) // the server sees the FIN before we read (the result holds either way)

	got, err := io.ReadAll(c)
	require.NoError(t, err)
	assert.Equal(t, size, len(got))
	assert.True(t, bytes.Equal(answer, got), "the queued answer arrived intact")
	assert.ErrorIs(t, p.waitUnbind(t), io.EOF)
}

// TestHalfCloserKeepsWritable: a HalfCloser is told about the FIN and the
// Conn stays open for writing, without spinning, until the handler closes.
func TestHalfCloserKeepsWritable(t *testing.T) {
	h := newHarness(t)
	told := make(chan struct{})
	l, accepted := h.serve(func(p *probe) {
		p.HalfCloser = true
		p.OnPeerClosed = func(c *Conn) { close(told) }
	})
	c := dial(t, "tcp", l.Addr().String())
	p := h.accepted(accepted)
	write(t, c, "question")
	require.NoError(t, c.(*net.TCPConn).CloseWrite())
	waitClosed(t, told, "PeerClosedWrite")
	h.assertNoSpin("half-closed Conn")
	assert.False(t, p.Unbound())

	big := pattern(4<<20, 9)
	h.do(func() {
		sc := p.Conn()
		_, err := sc.Write([]byte("answer to " + string(p.Got()) + ":"))
		assert.NoError(t, err)
		_, err = sc.Write(big)
		assert.NoError(t, err)
		assert.NoError(t, sc.CloseAfterWriting())
	})
	got, err := io.ReadAll(c)
	require.NoError(t, err)
	prefix := "answer to question:"
	require.GreaterOrEqual(t, len(got), len(prefix))
	assert.Equal(t, prefix, string(got[:len(prefix)]))
	assert.True(t, bytes.Equal(big, got[len(prefix):]), "the answer arrived intact")
	assert.NoError(t, p.waitUnbind(t))
	assert.Equal(t, []string{"post", "data", "peerclosed", "unbind"}, p.Events())
}

// TestHalfClosedThenReset: a half-closed Conn (HalfCloser, no interest
// left) whose peer then resets is closed, with the reset's error, at once.
func TestHalfClosedThenReset(t *testing.T) {
	h := newHarness(t)
	told := make(chan struct{})
	l, accepted := h.serve(func(p *probe) {
		p.HalfCloser = true
		p.OnPeerClosed = func(c *Conn) { close(told) }
	})
	c := dial(t, "tcp", l.Addr().String())
	p := h.accepted(accepted)
	require.NoError(t, c.(*net.TCPConn).CloseWrite())
	waitClosed(t, told, "PeerClosedWrite")
	require.NoError(t, c.(*net.TCPConn).SetLinger(0))
	require.NoError(t, c.Close())
	reason := p.waitUnbind(t)
	// Linux reports a reset in CLOSE_WAIT as EPIPE, elsewhere ECONNRESET.
	assert.True(t, errors.Is(reason, syscall.EPIPE) || errors.Is(reason, syscall.ECONNRESET), "reason %v", reason)
}
