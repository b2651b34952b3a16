package nettest

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func TestStalledAddrConnectsHang(t *testing.T) {
	addr := StalledAddr(t)
	_, err := net.DialTimeout("tcp", addr, 300*time.Millisecond)
	var ne net.Error
	require.True(t, errors.As(err, &ne) && ne.Timeout(), "a connect to %s times out: %v", addr, err)
}

func TestRefusedAddrRefuses(t *testing.T) {
	_, err := net.DialTimeout("tcp", RefusedAddr(t), 10*time.Second)
	assert.ErrorIs(t, err, unix.ECONNREFUSED)
}

// The port stays reserved while the test runs: a socket without
// SO_REUSEADDR cannot bind it, and the test itself can still listen on it.
func TestRefusedAddrStaysReserved(t *testing.T) {
	addr := RefusedAddr(t)
	ap, err := netip.ParseAddrPort(addr)
	require.NoError(t, err)
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
	require.NoError(t, err)
	defer unix.Close(fd)
	err = unix.Bind(fd, &unix.SockaddrInet4{Addr: ap.Addr().As4(), Port: int(ap.Port())})
	assert.ErrorIs(t, err, unix.EADDRINUSE, "reserved")

	ln, err := net.Listen("tcp", addr)
	require.NoError(t, err, "the test may still listen on it")
	defer ln.Close()
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	require.NoError(t, err)
	c.Close()
}

func TestServeRunsFnPerConnAndCleansUp(t *testing.T) {
	stalled := make(chan struct{})
	var addr string
	t.Run("serve", func(t *testing.T) {
		addr = Serve(t, func(c *net.TCPConn) {
			var b [1]byte
			if _, err := c.Read(b[:]); err != nil {
				return
			}
			if b[0] == 's' {
				close(stalled)
				io.Copy(io.Discard, c) // until Cleanup closes the connection
				return
			}
			c.Write([]byte("echo:"))
			io.Copy(c, c)
		})
		staller, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		defer staller.Close()
		_, err = staller.Write([]byte("s"))
		require.NoError(t, err)
		<-stalled
		for i := range 2 { // connections are served while another one stalls
			c, err := net.Dial("tcp", addr)
			require.NoError(t, err)
			require.NoError(t, c.SetDeadline(time.Now().Add(10*time.Second)))
			msg := fmt.Sprintf("e%d", i)
			_, err = c.Write([]byte(msg))
			require.NoError(t, err)
			require.NoError(t, c.(*net.TCPConn).CloseWrite())
			got, err := io.ReadAll(c)
			require.NoError(t, err)
			assert.Equal(t, "echo:"+msg[1:], string(got))
			c.Close()
		}
	}) // returns only once Cleanup has ended the stalled fn too
	_, err := net.DialTimeout("tcp", addr, 10*time.Second)
	assert.ErrorIs(t, err, unix.ECONNREFUSED, "the listener is closed")
}
