package reactor

import (
	"bytes"
	"crypto/tls"
	"io"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/evmachine/evmachine/internal/nettest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// echoProbe returns a probe that writes back what it receives.
func (h *harness) echoProbe() *probe {
	p := h.newProbe()
	p.OnData = func(c *Conn, data []byte) { c.Write(data) }
	return p
}

// echoCheck sends n pattern bytes through c and checks they come back.
func echoCheck(t *testing.T, c net.Conn, n int, seed uint64) {
	t.Helper()
	msg := nettest.Pattern(n, seed)
	errc := make(chan error, 1)
	go func() {
		_, err := c.Write(msg)
		errc <- err
	}()
	got := make([]byte, n)
	_, err := io.ReadFull(c, got)
	require.NoError(t, err)
	require.NoError(t, <-errc)
	assert.True(t, bytes.Equal(msg, got), "echo: every byte, in order")
}

// socketpair returns one end as an *os.File (for Attach) and the other as
// a net.Conn with a deadline, closed at cleanup.
func socketpair(t *testing.T) (*os.File, net.Conn) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	require.NoError(t, err)
	unix.CloseOnExec(fds[0])
	unix.CloseOnExec(fds[1])
	f := os.NewFile(uintptr(fds[0]), "socketpair")
	t.Cleanup(func() { f.Close() })
	pf := os.NewFile(uintptr(fds[1]), "socketpair peer")
	peer, err := net.FileConn(pf)
	pf.Close()
	require.NoError(t, err)
	require.NoError(t, peer.SetDeadline(time.Now().Add(waitTimeout)))
	t.Cleanup(func() { peer.Close() })
	return f, peer
}

// TestAttachSocketpairEcho: one end of a socketpair becomes a Conn (the
// caller closes its file at once); 4 MiB echo through it, then the peer's
// close is the Conn's io.EOF.
func TestAttachSocketpairEcho(t *testing.T) {
	h := newHarness(t)
	f, peer := socketpair(t)
	p := h.echoProbe()
	h.do(func() {
		c, err := h.r.Attach(f, p.handler())
		require.NoError(t, err)
		assert.Same(t, c, p.Conn(), "PostInit ran inside Attach")
		assert.Equal(t, 1, h.r.ConnectionCount())
		assert.NotEqual(t, int(f.Fd()), c.Fd(), "the reactor's own duplicate")
	})
	require.NoError(t, f.Close())
	echoCheck(t, peer, 4<<20, 1)
	require.NoError(t, peer.Close())
	assert.ErrorIs(t, p.waitUnbind(t), io.EOF)
	assert.Equal(t, []string{"post", "data", "unbind"}, p.Events())
}

// TestAttachTCP: a connected TCP socket made by Go's net package becomes a
// Conn.
func TestAttachTCP(t *testing.T) {
	h := newHarness(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	client := dial(t, "tcp", ln.Addr().String())
	sc, err := ln.Accept()
	require.NoError(t, err)
	f, err := sc.(*net.TCPConn).File()
	require.NoError(t, err)
	sc.Close()
	p := h.echoProbe()
	h.do(func() {
		c, err := h.r.Attach(f, p.handler(), WithInactivityTimeout(time.Hour))
		require.NoError(t, err)
		assert.Equal(t, client.LocalAddr().String(), c.RemoteAddr().String())
		assert.Equal(t, time.Hour, c.InactivityTimeout())
	})
	f.Close()
	echoCheck(t, client, 1<<20, 2)
	h.do(func() { p.Conn().Close() })
	assert.NoError(t, p.waitUnbind(t))
	n, err := client.Read(make([]byte, 1))
	assert.Zero(t, n)
	assert.ErrorIs(t, err, io.EOF, "the Conn's close is the socket's: no other copy is left")
}

// TestAttachPipeReadEnd: a pipe's read end is a Conn that only reads:
// every byte arrives, Write returns ErrClosed, and the writer's close is
// io.EOF.
func TestAttachPipeReadEnd(t *testing.T) {
	h := newHarness(t)
	pr, pw, err := os.Pipe()
	require.NoError(t, err)
	t.Cleanup(func() { pr.Close(); pw.Close() })
	p := h.newProbe()
	h.do(func() {
		c, err := h.r.Attach(pr, p.handler())
		require.NoError(t, err)
		_, err = c.Write([]byte("no"))
		assert.ErrorIs(t, err, ErrClosed, "a read end does not write")
		assert.Nil(t, c.RemoteAddr())
	})
	require.NoError(t, pr.Close())
	msg := nettest.Pattern(1<<20, 3)
	go func() {
		pw.Write(msg)
		pw.Close()
	}()
	assert.ErrorIs(t, p.waitUnbind(t), io.EOF)
	assert.True(t, bytes.Equal(msg, p.Got()), "every byte, in order")
}

// TestAttachPipeWriteEnd: a pipe's write end is a Conn that only writes:
// 1 MiB queued in PostInit (the pipe holds 64 KiB) reaches the reader,
// then CloseAfterWriting is the reader's EOF.
func TestAttachPipeWriteEnd(t *testing.T) {
	h := newHarness(t)
	pr, pw, err := os.Pipe()
	require.NoError(t, err)
	t.Cleanup(func() { pr.Close(); pw.Close() })
	msg := nettest.Pattern(1<<20, 4)
	p := h.newProbe()
	p.OnPostInit = func(c *Conn) {
		c.Write(msg)
		assert.Positive(t, c.OutboundSize(), "the pipe is full: output queued")
		c.CloseAfterWriting()
	}
	h.do(func() {
		_, err := h.r.Attach(pw, p.handler())
		require.NoError(t, err)
	})
	require.NoError(t, pw.Close())
	require.NoError(t, pr.SetReadDeadline(time.Now().Add(waitTimeout)))
	got, err := io.ReadAll(pr)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(msg, got), "every byte, in order, then EOF")
	assert.NoError(t, p.waitUnbind(t))
}

// TestAttachPipeWriteEndCloseWrite: CloseWrite on a write end closes it
// once the output is written (a pipe has no shutdown).
func TestAttachPipeWriteEndCloseWrite(t *testing.T) {
	h := newHarness(t)
	pr, pw, err := os.Pipe()
	require.NoError(t, err)
	t.Cleanup(func() { pr.Close(); pw.Close() })
	p := h.newProbe()
	p.OnPostInit = func(c *Conn) {
		c.WriteString("last words")
		assert.NoError(t, c.CloseWrite())
	}
	h.do(func() {
		_, err := h.r.Attach(pw, p.handler())
		require.NoError(t, err)
	})
	require.NoError(t, pw.Close())
	require.NoError(t, pr.SetReadDeadline(time.Now().Add(waitTimeout)))
	got, err := io.ReadAll(pr)
	require.NoError(t, err)
	assert.Equal(t, "last words", string(got))
	assert.NoError(t, p.waitUnbind(t))
}

// TestAttachPipeReaderGone: writing to a write end whose reader has closed
// fails with EPIPE and closes the Conn; the SIGPIPE does not kill the
// process (Go ignores it for fds other than 1 and 2). A reader that goes
// away while nothing is being written closes the Conn too.
func TestAttachPipeReaderGone(t *testing.T) {
	h := newHarness(t)
	for _, writing := range []bool{true, false} {
		pr, pw, err := os.Pipe()
		require.NoError(t, err)
		p := h.newProbe()
		h.do(func() {
			c, err := h.r.Attach(pw, p.handler())
			require.NoError(t, err)
			require.NoError(t, pr.Close())
			if writing {
				_, err = c.Write([]byte("nobody reads"))
				assert.ErrorIs(t, err, syscall.EPIPE)
			}
		})
		pw.Close()
		reason := p.waitUnbind(t)
		if writing {
			assert.ErrorIs(t, reason, syscall.EPIPE)
		} else {
			assert.ErrorIs(t, reason, io.EOF, "the hang-up of a Conn that does not read")
		}
	}
}

// TestAttachListener: a listening socket made by Go's net package is
// adopted (its original closed) and accepts and echoes, as after a
// systemd or einhorn handoff. A unix socket's file is left in place by
// Close.
func TestAttachListener(t *testing.T) {
	h := newHarness(t)
	for _, network := range []string{"tcp", "unix"} {
		t.Run(network, func(t *testing.T) {
			addr := "127.0.0.1:0"
			if network == "unix" {
				addr = filepath.Join(t.TempDir(), "s")
			}
			ln, err := net.Listen(network, addr)
			require.NoError(t, err)
			var f *os.File
			switch l := ln.(type) {
			case *net.TCPListener:
				f, err = l.File()
			case *net.UnixListener:
				l.SetUnlinkOnClose(false)
				f, err = l.File()
			}
			require.NoError(t, err)
			addr = ln.Addr().String()
			require.NoError(t, ln.Close())
			var l *Listener
			h.do(func() {
				l, err = h.r.AttachListener(f, func(*Conn) Handler { return h.echoProbe().handler() })
				require.NoError(t, err)
			})
			require.NoError(t, f.Close())
			assert.Equal(t, addr, l.Addr().String())
			for i := range 3 {
				c := dial(t, network, addr)
				echoCheck(t, c, 256<<10, uint64(i))
				c.Close()
			}
			h.do(func() { require.NoError(t, l.Close()) })
			if network == "unix" {
				assert.FileExists(t, addr, "the socket file is its binder's")
			}
		})
	}
}

// TestAttachRefusals: each kind of fd that is not for Attach (or
// AttachListener) is refused with an error that says what to use, and
// nothing is left open or registered.
func TestAttachRefusals(t *testing.T) {
	h := newHarness(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	lf, err := ln.(*net.TCPListener).File()
	require.NoError(t, err)
	defer lf.Close()
	udp, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	defer udp.Close()
	uf, err := udp.(*net.UDPConn).File()
	require.NoError(t, err)
	defer uf.Close()
	regular, err := os.Create(filepath.Join(t.TempDir(), "plain"))
	require.NoError(t, err)
	defer regular.Close()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
	require.NoError(t, err)
	unix.CloseOnExec(fd)
	unconnected := os.NewFile(uintptr(fd), "unconnected")
	defer unconnected.Close()
	connected, _ := socketpair(t)
	pr, pw, err := os.Pipe()
	require.NoError(t, err)
	defer pr.Close()
	defer pw.Close()

	h.do(func() {
		for _, tc := range []struct {
			f    *os.File
			want string
		}{
			{lf, "use AttachListener"},
			{uf, "ListenPacket"},
			{regular, "regular file"},
			{unconnected, "not connected"},
		} {
			_, err := h.r.Attach(tc.f, BaseHandler{})
			assert.ErrorContains(t, err, tc.want)
		}
		_, err := h.r.Attach(connected, BaseHandler{}, WithTLS(&tls.Config{}))
		assert.ErrorContains(t, err, "StartTLS")
		for _, tc := range []struct {
			f    *os.File
			want string
		}{
			{connected, "not a listening socket"},
			{pr, "not a socket"},
			{uf, "not a stream socket"},
		} {
			_, err := h.r.AttachListener(tc.f, func(*Conn) Handler { return BaseHandler{} })
			assert.ErrorContains(t, err, tc.want)
		}
		_, err = h.r.Attach(nil, BaseHandler{})
		assert.Error(t, err)
	})
}
