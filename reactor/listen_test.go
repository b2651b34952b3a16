package reactor

import (
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestListenNetworks: Listen on tcp, tcp4, tcp6 and unix; Addr gives the
// real address; an echo round trip works; Close removes a unix socket file.
func TestListenNetworks(t *testing.T) {
	cases := []struct{ network, addr string }{
		{"tcp", "127.0.0.1:0"},
		{"tcp4", "127.0.0.1:0"},
		{"tcp6", "[::1]:0"},
		{"unix", "echo.sock"},
	}
	for _, tc := range cases {
		t.Run(tc.network, func(t *testing.T) {
			if tc.network == "tcp6" && !haveIPv6Loopback() {
				t.Skip("no IPv6 loopback on this machine")
			}
			addr := tc.addr
			if tc.network == "unix" {
				addr = filepath.Join(t.TempDir(), tc.addr)
			}
			h := newHarness(t)
			l := h.listen(tc.network, addr, func(*Conn) Handler {
				p := h.newProbe()
				echoSetup(p)
				return p
			})
			if tc.network == "unix" {
				assert.Equal(t, addr, l.Addr().String())
				fi, err := os.Stat(addr)
				require.NoError(t, err)
				assert.True(t, fi.Mode()&os.ModeSocket != 0)
			} else {
				ta := l.Addr().(*net.TCPAddr)
				assert.NotZero(t, ta.Port, "the real port, not 0")
				assert.Equal(t, tc.network == "tcp6", ta.IP.To4() == nil)
			}
			c := dial(t, l.Addr().Network(), l.Addr().String())
			write(t, c, "ping "+tc.network)
			buf := make([]byte, len("ping "+tc.network))
			_, err := io.ReadFull(c, buf)
			require.NoError(t, err)
			assert.Equal(t, "ping "+tc.network, string(buf))
			c.Close()

			var closeErrs [2]error
			h.do(func() { closeErrs[0], closeErrs[1] = l.Close(), l.Close() })
			assert.NoError(t, closeErrs[0])
			assert.ErrorIs(t, closeErrs[1], ErrClosed)
			if tc.network == "unix" {
				_, err := os.Stat(addr)
				assert.True(t, os.IsNotExist(err), "socket file removed on Close")
			}
		})
	}
}

func haveIPv6Loopback() bool {
	l, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// TestListenerCloseLeavesConns: Listener.Close stops accepting, open Conns
// keep working; Stop later removes a unix socket file too.
func TestListenerCloseLeavesConns(t *testing.T) {
	h := newHarness(t)
	l, accepted := h.serve(echoSetup)
	c := dial(t, "tcp", l.Addr().String())
	p := h.accepted(accepted)
	h.do(func() { assert.NoError(t, l.Close()) })

	_, err := net.DialTimeout("tcp", l.Addr().String(), time.Second)
	assert.ErrorIs(t, err, syscall.ECONNREFUSED, "no longer accepting")
	for i := range 5 {
		msg := strings.Repeat("x", i+1)
		write(t, c, msg)
		buf := make([]byte, len(msg))
		_, err := io.ReadFull(c, buf)
		require.NoError(t, err)
		assert.Equal(t, msg, string(buf))
	}
	assert.False(t, p.Unbound())

	path := filepath.Join(t.TempDir(), "s.sock")
	h.listen("unix", path, func(*Conn) Handler { return BaseHandler{} })
	h.stop()
	_, err = os.Stat(path)
	assert.True(t, os.IsNotExist(err), "socket file removed by Stop")
}

// TestListenErrors: bad networks, busy ports and a missing newHandler are
// reported by Listen; a stale unix socket file is replaced.
func TestListenErrors(t *testing.T) {
	h := newHarness(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer busy.Close()
	nh := func(*Conn) Handler { return BaseHandler{} }
	stale := filepath.Join(t.TempDir(), "stale.sock")
	ul, err := net.Listen("unix", stale)
	require.NoError(t, err)
	ul.(*net.UnixListener).SetUnlinkOnClose(false)
	ul.Close() // leaves the file behind, as a crashed server would
	regular := filepath.Join(t.TempDir(), "regular")
	require.NoError(t, os.WriteFile(regular, nil, 0o600))
	h.do(func() {
		_, err := h.r.Listen("udp", "127.0.0.1:0", nh)
		assert.ErrorIs(t, err, ErrUnsupportedNetwork)
		_, err = h.r.Listen("tcp", busy.Addr().String(), nh)
		assert.ErrorIs(t, err, syscall.EADDRINUSE)
		_, err = h.r.Listen("tcp", "127.0.0.1:0", nil)
		assert.Error(t, err)
		_, err = h.r.Listen("unix", regular, nh)
		assert.Error(t, err, "a regular file is not replaced")
		l, err := h.r.Listen("unix", stale, nh)
		if assert.NoError(t, err, "a stale socket file is replaced") {
			l.Close()
		}
	})
}

// TestAcceptEMFILEDoesNotSpin runs an echo server with a low RLIMIT_NOFILE
// in a child process and connects more clients than it has fds for: the
// server backs off instead of spinning on the ready listener (its CPU time
// over a second stays low), logs the condition once, and accepts again when
// fds free up.
func TestAcceptEMFILEDoesNotSpin(t *testing.T) {
	cmd, out, stdin, stderr, exited := startChild(t, "emfile")
	addr := childLine(t, out, "addr ")

	clients := make([]net.Conn, 0, 3*emfileRoom)
	for range 3 * emfileRoom {
		c, err := net.DialTimeout("tcp", addr, waitTimeout) // completes in the kernel's backlog
		require.NoError(t, err)
		clients = append(clients, c)
	}
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()
	require.Eventually(t, func() bool { return strings.Contains(stderr.String(), "accept failing") },
		waitTimeout, 10*time.Millisecond, "the child never ran out of fds")

	before := cpuTicks(t, cmd.Process.Pid)
	time.Sleep(time.Second)
	used := cpuTicks(t, cmd.Process.Pid) - before
	assert.Less(t, used, int64(30), "CPU ticks (1/100 s) used in one second while out of fds")
	assert.Equal(t, 1, strings.Count(stderr.String(), "accept failing"), "logged once per burst")

	for _, c := range clients {
		c.Close()
	}
	clients = clients[:0]
	c := dial(t, "tcp", addr)
	write(t, c, "accepting again?")
	buf := make([]byte, len("accepting again?"))
	_, err := io.ReadFull(c, buf)
	require.NoError(t, err, "served once fds were free again")
	assert.Equal(t, "accepting again?", string(buf))
	assert.Eventually(t, func() bool { return strings.Contains(stderr.String(), "accepting again") },
		waitTimeout, 10*time.Millisecond, "the end of the burst is logged")

	c.Close()
	stdin.Close()
	select {
	case err := <-exited:
		assert.NoError(t, err, "child exit")
	case <-time.After(waitTimeout):
		t.Fatal("child did not exit")
	}
}
