package reactor

import (
	"net"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// BenchmarkSocketCalls compares a loopback TCP write-and-read pair made
// with read and write (what an attached pipe uses) and with recvfrom and
// sendto (what a socket Conn uses): go test -run XXX -bench SocketCalls
// -count 6 ./reactor.
func BenchmarkSocketCalls(b *testing.B) {
	for _, bc := range []struct {
		name        string
		write, read func(int, []byte) (int, error)
	}{{"read-write", writeFd, readFd}, {"recv-send", sendFd, recvFd}} {
		b.Run(bc.name, func(b *testing.B) {
			a, z := tcpPairFds(b)
			msg, buf := make([]byte, 86), make([]byte, 64<<10) // a TLS record of 64 bytes
			for b.Loop() {
				if _, err := bc.write(a, msg); err != nil {
					b.Fatal(err)
				}
				if n, err := bc.read(z, buf); err != nil || n != len(msg) {
					b.Fatal(n, err)
				}
			}
		})
	}
}

// A socket Conn's reads and writes go through recvfrom and sendto: the
// same bytes and the same errors as read and write.
func TestSocketCalls(t *testing.T) {
	a, z := tcpPairFds(t)
	n, err := sendFd(a, []byte("hello"))
	require.NoError(t, err)
	require.Equal(t, 5, n)
	buf := make([]byte, 16)
	n, err = recvFd(z, buf)
	require.NoError(t, err)
	require.Equal(t, "hello", string(buf[:n]))
	_, err = recvFd(z, buf)
	require.Equal(t, errAgain, err, "non-blocking: nothing more yet")
	require.NoError(t, syscall.Close(a))
	n, err = recvFd(z, buf)
	require.NoError(t, err)
	require.Zero(t, n, "the peer closed: EOF")
}

// tcpPairFds returns the non-blocking fds of both ends of a loopback TCP
// connection (TCP_NODELAY on), closed with the test.
func tcpPairFds(tb testing.TB) (int, int) {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(tb, err)
	defer l.Close()
	c, err := net.Dial("tcp", l.Addr().String())
	require.NoError(tb, err)
	s, err := l.Accept()
	require.NoError(tb, err)
	fds := make([]int, 2)
	for i, conn := range []net.Conn{c, s} {
		f, err := conn.(*net.TCPConn).File() // a dup, in blocking mode
		require.NoError(tb, err)
		conn.Close()
		fd, err := syscall.Dup(int(f.Fd()))
		require.NoError(tb, err)
		f.Close()
		require.NoError(tb, syscall.SetNonblock(fd, true))
		require.NoError(tb, syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1))
		tb.Cleanup(func() { syscall.Close(fd) })
		fds[i] = fd
	}
	return fds[0], fds[1]
}
