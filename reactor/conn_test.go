package reactor

import (
	"bytes"
	"io"
	"net"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func echoSetup(p *probe) { p.OnData = func(c *Conn, data []byte) { c.Write(data) } }

// TestEchoRoundTrip: the basic accepted-connection path, with the callback
// order and the addresses.
func TestEchoRoundTrip(t *testing.T) {
	h := newHarness(t)
	l, accepted := h.serve(echoSetup)
	c := dial(t, "tcp", l.Addr().String())
	p := h.accepted(accepted)

	msg := pattern(100_000, 1) // several reads on the server side
	go c.Write(msg)
	got := make([]byte, len(msg))
	_, err := io.ReadFull(c, got)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(msg, got), "echoed bytes differ")

	var local, remote net.Addr
	var count int
	h.do(func() {
		local, remote = p.Conn().LocalAddr(), p.Conn().RemoteAddr()
		count = h.r.ConnectionCount()
	})
	assert.Equal(t, c.RemoteAddr().String(), local.String())
	assert.Equal(t, c.LocalAddr().String(), remote.String())
	assert.Equal(t, 1, count)

	require.NoError(t, c.Close())
	assert.ErrorIs(t, p.waitUnbind(t), io.EOF)
	assert.Equal(t, []string{"post", "data", "unbind"}, p.Events())
	h.do(func() { count = h.r.ConnectionCount() })
	assert.Zero(t, count)
}

// TestWriteAndCloseAfterClose: a closed Conn refuses everything with
// ErrClosed and does nothing else.
func TestWriteAndCloseAfterClose(t *testing.T) {
	h := newHarness(t)
	l, accepted := h.serve(nil)
	c := dial(t, "tcp", l.Addr().String())
	p := h.accepted(accepted)
	var errs [6]error
	h.do(func() {
		sc := p.Conn()
		errs[0] = sc.Close()
		_, errs[1] = sc.Write([]byte("x"))
		errs[2] = sc.Close()
		errs[3] = sc.CloseAfterWriting()
		_, errs[4] = sc.WriteString("y")
		sc.Pause()
		sc.Resume()
		sc.SetInactivityTimeout(1)
	})
	assert.NoError(t, errs[0])
	for i := 1; i <= 4; i++ {
		assert.ErrorIs(t, errs[i], ErrClosed, "call %d", i)
	}
	assert.NoError(t, p.waitUnbind(t))
	h.do(func() {
		_, errs[5] = p.Conn().Write([]byte("z"))
		assert.Equal(t, -1, p.Conn().Fd())
		assert.Zero(t, p.Conn().OutboundSize())
	})
	assert.ErrorIs(t, errs[5], ErrClosed)
	n, err := c.Read(make([]byte, 1))
	assert.Zero(t, n)
	assert.ErrorIs(t, err, io.EOF, "the peer sees a clean close, nothing written")
}

// TestOutboundDrained: a Write the kernel cannot take is queued
// (OutboundSize), flushed as the peer reads, and OutboundDrained fires once
// when the buffer empties; a Write the kernel takes whole does not fire it.
func TestOutboundDrained(t *testing.T) {
	h := newHarness(t)
	const size = 16 << 20
	msg := pattern(size, 3)
	sizes := make(chan int, 4)
	var tailSent, tailQueued atomic.Bool
	l, accepted := h.serve(func(p *probe) {
		p.Drainer = true
		p.OnData = func(c *Conn, data []byte) {
			c.Write(msg)
			sizes <- c.OutboundSize()
		}
		p.OnDrained = func(c *Conn) {
			sizes <- c.OutboundSize()
			if tailSent.CompareAndSwap(false, true) {
				c.Write([]byte("tail")) // small: usually taken whole, then no second drain
				// The last flush may have filled the socket buffer exactly;
				// then the tail is queued and its drain is a real second one.
				tailQueued.Store(c.OutboundSize() > 0)
			}
		}
	})
	c := dial(t, "tcp", l.Addr().String())
	p := h.accepted(accepted)
	_, err := c.Write([]byte("go"))
	require.NoError(t, err)
	queued := <-sizes
	require.Greater(t, queued, 0, "precondition: the kernel did not take 16 MiB at once")
	assert.LessOrEqual(t, queued, size)

	got := make([]byte, size+4)
	_, err = io.ReadFull(c, got)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(msg, got[:size]), "16 MiB arrived intact")
	assert.Equal(t, "tail", string(got[size:]))
	assert.Equal(t, 0, <-sizes, "OutboundSize in OutboundDrained")
	h.do(func() {}) // let a (wrong) second drain show up
	h.do(func() {})
	want := []string{"post", "data", "drained"}
	if tailQueued.Load() {
		want = append(want, "drained")
	}
	assert.Equal(t, want, p.Events())
}

// TestNoDelay: TCP_NODELAY is on by default and off with WithNoDelay(false).
func TestNoDelay(t *testing.T) {
	h := newHarness(t)
	for _, on := range []bool{true, false} {
		l, accepted := h.serve(nil, WithNoDelay(on))
		c := dial(t, "tcp", l.Addr().String())
		p := h.accepted(accepted)
		var v int
		var err error
		h.do(func() { v, err = unix.GetsockoptInt(p.Conn().Fd(), unix.IPPROTO_TCP, unix.TCP_NODELAY) })
		require.NoError(t, err)
		assert.Equal(t, on, v != 0, "TCP_NODELAY with WithNoDelay(%v)", on)
		c.Close()
		p.waitUnbind(t)
	}
}

// TestWriteIsAnIOWriter: Conn works with io.Copy-style helpers.
func TestWriteIsAnIOWriter(t *testing.T) {
	h := newHarness(t)
	l, accepted := h.serve(func(p *probe) {
		p.OnPostInit = func(c *Conn) {
			io.WriteString(c, "hello ")
			c.WriteString("world")
			c.Write(nil) // nothing
			c.CloseAfterWriting()
		}
	})
	c := dial(t, "tcp", l.Addr().String())
	p := h.accepted(accepted)
	got, err := io.ReadAll(c)
	require.NoError(t, err)
	assert.Equal(t, "hello world", string(got))
	assert.NoError(t, p.waitUnbind(t))
}

// TestCloseAfterWriting16MiB: CloseAfterWriting with 16 MiB queued delivers
// every byte before the FIN (the client reads all, then EOF), also when the
// client had sent bytes the server no longer reads.
func TestCloseAfterWriting16MiB(t *testing.T) {
	for _, clientTalks := range []bool{false, true} {
		name := "quiet client"
		if clientTalks {
			name = "client sends after CloseAfterWriting"
		}
		t.Run(name, func(t *testing.T) {
			h := newHarness(t)
			answer := pattern(16<<20, 4)
			queued := make(chan int, 1)
			l, accepted := h.serve(func(p *probe) {
				p.OnPostInit = func(c *Conn) {
					c.Write(answer)
					queued <- c.OutboundSize()
					c.CloseAfterWriting()
					_, err := c.Write([]byte("more"))
					assert.ErrorIs(t, err, ErrClosed)
				}
			})
			c := dial(t, "tcp", l.Addr().String())
			p := h.accepted(accepted)
			require.Greater(t, <-queued, 0, "precondition: most of it is queued")
			if clientTalks {
				write(t, c, "unread request bytes")
			}
			got, err := io.ReadAll(c)
			require.NoError(t, err, "EOF, not a reset")
			assert.Equal(t, len(answer), len(got))
			assert.True(t, bytes.Equal(answer, got), "all 16 MiB, in order")
			assert.NoError(t, p.waitUnbind(t))
			assert.Empty(t, p.Got(), "no reads after CloseAfterWriting")
		})
	}
}
