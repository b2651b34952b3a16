package reactor

import (
	"bytes"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/evmachine/evmachine/internal/nettest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// detached waits for the net.Conn a handler's Detach sent on ch and
// closes it at cleanup.
func detached(t *testing.T, ch chan net.Conn) net.Conn {
	t.Helper()
	select {
	case d := <-ch:
		require.NotNil(t, d)
		t.Cleanup(func() { d.Close() })
		return d
	case <-time.After(waitTimeout):
		t.Fatalf("no Detach within %v", waitTimeout)
		return nil
	}
}

// TestDetachMidStream: the server queues 16 MiB that the client does not
// read yet, and detaches from ReceiveData while the client's 4 MiB are
// still arriving. Over the net.Conn the server goes on reading the
// client's bytes and writes 4 MiB more; the client then reads. Every
// byte is checked both ways: the client gets the 20 MiB in order, and what
// ReceiveData got followed by what the net.Conn read is exactly the
// client's 4 MiB. Unbind says ErrDetached.
func TestDetachMidStream(t *testing.T) {
	h := newHarness(t)
	const queued, after, in = 16 << 20, 4 << 20, 4 << 20
	down := nettest.Pattern(queued+after, 1)
	up := nettest.Pattern(in, 2)
	ch := make(chan net.Conn, 1)
	var outAtDetach int
	l, accepted := h.serve(func(p *probe) {
		p.OnPostInit = func(c *Conn) { c.Write(down[:queued]) }
		p.OnData = func(c *Conn, _ []byte) {
			if len(p.Got()) < 1<<20 || c.Closed() {
				return
			}
			outAtDetach = c.OutboundSize()
			d, err := c.Detach()
			assert.NoError(t, err)
			assert.True(t, c.Closed())
			_, err = c.Write([]byte("x"))
			assert.ErrorIs(t, err, ErrClosed)
			ch <- d
		}
	})
	client := dial(t, "tcp", l.Addr().String())
	require.NoError(t, client.SetDeadline(time.Now().Add(2*waitTimeout)))
	p := h.accepted(accepted)
	upErr := make(chan error, 1)
	go func() {
		_, err := client.Write(up)
		if err == nil {
			err = client.(*net.TCPConn).CloseWrite()
		}
		upErr <- err
	}()
	d := detached(t, ch)
	assert.ErrorIs(t, p.waitUnbind(t), ErrDetached)
	h.do(func() {}) // outAtDetach was set on the loop
	assert.Positive(t, outAtDetach, "output was queued at Detach")
	t.Logf("queued at Detach: %d bytes; ReceiveData had %d bytes", outAtDetach, len(p.Got()))

	// The server side, now blocking Go code: read the rest, write more.
	serverRead := make(chan []byte, 1)
	go func() {
		b, err := io.ReadAll(d)
		assert.NoError(t, err)
		serverRead <- b
	}()
	serverWrote := make(chan error, 1)
	go func() {
		_, err := d.Write(down[queued:])
		serverWrote <- err
	}()

	// The client reads only now.
	got := make([]byte, len(down))
	_, err := io.ReadFull(client, got)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(down, got), "the client gets the queued output, then the net.Conn's, in order")
	require.NoError(t, <-serverWrote)
	require.NoError(t, <-upErr)
	var rest []byte
	select {
	case rest = <-serverRead:
	case <-time.After(waitTimeout):
		t.Fatal("the net.Conn did not read to EOF")
	}
	handed := p.Got()
	assert.Equal(t, len(up), len(handed)+len(rest), "no input byte lost or duplicated")
	assert.True(t, bytes.Equal(up, append(handed, rest...)), "ReceiveData's bytes, then the net.Conn's, are the client's")

	require.NoError(t, d.Close())
	n, err := client.Read(make([]byte, 1))
	assert.Zero(t, n)
	assert.ErrorIs(t, err, io.EOF)
}

// TestDetachPausedWithUnreadInput: a paused Conn with input waiting in
// the kernel and output queued by Write while paused is detached: the
// net.Conn reads the waiting input first, and the client gets the queued
// output before what the net.Conn writes.
func TestDetachPausedWithUnreadInput(t *testing.T) {
	h := newHarness(t)
	l, accepted := h.serve(func(p *probe) {
		p.OnData = func(c *Conn, _ []byte) {
			c.Pause()
			c.WriteString("queued while paused;")
		}
	})
	client := dial(t, "tcp", l.Addr().String())
	p := h.accepted(accepted)
	write(t, client, "hello")
	assert.Equal(t, "hello", string(p.waitGot(t, 5)))
	unread := nettest.Pattern(100<<10, 3)
	_, err := client.Write(unread)
	require.NoError(t, err)
	// Wait until the input sits in the server socket's receive queue.
	deadline := time.Now().Add(waitTimeout)
	for {
		var n int
		peek := make([]byte, 2*len(unread))
		h.do(func() { n, _, err = unix.Recvfrom(p.Conn().Fd(), peek, unix.MSG_PEEK|unix.MSG_DONTWAIT) })
		if err == unix.EAGAIN {
			n, err = 0, nil
		}
		require.NoError(t, err)
		if n == len(unread) {
			break
		}
		require.True(t, time.Now().Before(deadline), "input never arrived")
		time.Sleep(time.Millisecond)
	}
	var d net.Conn
	h.do(func() {
		c := p.Conn()
		assert.Equal(t, len("queued while paused;"), c.OutboundSize())
		d, err = c.Detach()
		require.NoError(t, err)
	})
	t.Cleanup(func() { d.Close() })
	assert.ErrorIs(t, p.waitUnbind(t), ErrDetached)
	assert.Equal(t, "hello", string(p.Got()), "nothing read after the pause")

	require.NoError(t, d.SetDeadline(time.Now().Add(waitTimeout)))
	got := make([]byte, len(unread))
	_, err = io.ReadFull(d, got)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(unread, got), "the unread input, whole and in order")
	write(t, d, "then the net.Conn's")
	want := "queued while paused;then the net.Conn's"
	reply := make([]byte, len(want))
	_, err = io.ReadFull(client, reply)
	require.NoError(t, err)
	assert.Equal(t, want, string(reply))
}

// TestDetachPendingCloseWrite: a CloseWrite waiting for queued output when
// the Conn is detached happens once that output is written; the net.Conn
// still reads.
func TestDetachPendingCloseWrite(t *testing.T) {
	h := newHarness(t)
	out := nettest.Pattern(16<<20, 4)
	ch := make(chan net.Conn, 1)
	l, accepted := h.serve(func(p *probe) {
		p.OnPostInit = func(c *Conn) {
			c.Write(out)
			assert.NoError(t, c.CloseWrite())
			d, err := c.Detach()
			assert.NoError(t, err)
			ch <- d
		}
	})
	client := dial(t, "tcp", l.Addr().String())
	require.NoError(t, client.SetDeadline(time.Now().Add(2*waitTimeout)))
	p := h.accepted(accepted)
	d := detached(t, ch)
	got, err := io.ReadAll(client)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(out, got), "all of it, then EOF")
	_, err = d.Write([]byte("x"))
	assert.Error(t, err, "the write side is shut")
	write(t, client, "half-open")
	require.NoError(t, d.SetReadDeadline(time.Now().Add(waitTimeout)))
	b := make([]byte, 9)
	_, err = io.ReadFull(d, b)
	require.NoError(t, err)
	assert.Equal(t, "half-open", string(b))
	assert.ErrorIs(t, p.waitUnbind(t), ErrDetached)
}

// TestDetachCloseIsBounded: a peer that never reads cannot hold the
// net.Conn's Close: with a write deadline in the past it returns at once,
// without one after about detachCloseWait.
func TestDetachCloseIsBounded(t *testing.T) {
	h := newHarness(t)
	for _, setDeadline := range []bool{true, false} {
		ch := make(chan net.Conn, 1)
		l, accepted := h.serve(func(p *probe) {
			p.OnPostInit = func(c *Conn) {
				c.Write(nettest.Pattern(32<<20, 5))
				d, err := c.Detach()
				assert.NoError(t, err)
				ch <- d
			}
		})
		dial(t, "tcp", l.Addr().String()) // never reads
		p := h.accepted(accepted)
		d := detached(t, ch)
		start := time.Now()
		if setDeadline {
			require.NoError(t, d.SetWriteDeadline(time.Now()))
		}
		require.NoError(t, d.Close())
		took := time.Since(start)
		if setDeadline {
			assert.Less(t, took, detachCloseWait, "a deadline in the past drops the rest")
		} else {
			assert.GreaterOrEqual(t, took, detachCloseWait/2)
			assert.Less(t, took, detachCloseWait+waitTimeout/2)
		}
		_, err := d.Write([]byte("x"))
		assert.Error(t, err)
		assert.ErrorIs(t, p.waitUnbind(t), ErrDetached)
		h.do(func() { l.Close() })
	}
}

// TestDetachRefusals: a TLS Conn, a Conn in a proxy, a closed Conn and an
// attached pipe are not detached, and stay as they were.
func TestDetachRefusals(t *testing.T) {
	h := newHarness(t)
	pki := nettest.NewPKI(t)
	l, accepted := h.serve(nil)
	dial(t, "tcp", l.Addr().String())
	dial(t, "tcp", l.Addr().String())
	a, b := h.accepted(accepted), h.accepted(accepted)
	pr, pw, err := os.Pipe()
	require.NoError(t, err)
	defer pr.Close()
	defer pw.Close()
	h.do(func() {
		ca, cb := a.Conn(), b.Conn()
		require.NoError(t, ca.ProxyTo(cb))
		_, err := ca.Detach()
		assert.ErrorContains(t, err, "StopProxy")
		_, err = cb.Detach()
		assert.ErrorContains(t, err, "StopProxy", "the target too")
		ca.StopProxy()

		require.NoError(t, cb.StartTLS(pki.ServerConfig(t, true)))
		_, err = cb.Detach()
		assert.ErrorContains(t, err, "TLS")
		assert.False(t, cb.Closed())

		pc, err := h.r.Attach(pr, BaseHandler{})
		require.NoError(t, err)
		_, err = pc.Detach()
		assert.ErrorContains(t, err, "takes a socket")
		pc.Close()

		ca.Close()
		_, err = ca.Detach()
		assert.ErrorIs(t, err, ErrClosed)
	})
	assert.NoError(t, a.waitUnbind(t))
}

// TestAttachThenDetach: a socketpair end goes from Go code to the reactor
// (Attach) and back (Detach); the net.Conn is a *net.UnixConn underneath
// and the echo goes on over it.
func TestAttachThenDetach(t *testing.T) {
	h := newHarness(t)
	f, peer := socketpair(t)
	p := h.echoProbe()
	h.do(func() {
		_, err := h.r.Attach(f, p.handler())
		require.NoError(t, err)
	})
	require.NoError(t, f.Close())
	echoCheck(t, peer, 64<<10, 6)
	var d net.Conn
	h.do(func() {
		var err error
		d, err = p.Conn().Detach()
		require.NoError(t, err)
	})
	t.Cleanup(func() { d.Close() })
	assert.ErrorIs(t, p.waitUnbind(t), ErrDetached)
	_, ok := d.(interface{ NetConn() net.Conn }).NetConn().(*net.UnixConn)
	assert.True(t, ok, "a *net.UnixConn underneath")
	go io.Copy(d, d)
	echoCheck(t, peer, 1<<20, 7)
}
