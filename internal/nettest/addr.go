package nettest

import (
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// Bounds of StalledAddr: they turn a hang into a failure and never measure
// anything.
const (
	fillTimeout  = 10 * time.Second       // a connect that fills the accept queue completes at once
	probeTimeout = 200 * time.Millisecond // a connect that has not completed by then hangs
	maxProbes    = 4                      // connects that may still be queued before StalledAddr gives up
)

// StalledAddr returns a loopback TCP address whose connects hang: a
// listener with backlog 0 that never accepts and whose accept queue is
// already full, so Linux drops every further SYN and the connecting side
// stays in SYN_SENT (retrying for minutes), like a backend that is down
// without refusing. Nothing leaves the machine and no firewall rule is
// needed. It probes that a connect does hang and skips the test on a
// kernel that completes connects beyond the backlog.
func StalledAddr(t testing.TB) string {
	t.Helper()
	fd, addr := boundSocket(t)
	require.NoError(t, unix.Listen(fd, 0))
	filler, err := net.DialTimeout("tcp", addr, fillTimeout) // Linux queues backlog+1: this one
	require.NoError(t, err, "connect to fill the accept queue of %s", addr)
	t.Cleanup(func() { filler.Close() })
	for range maxProbes {
		probe, err := net.DialTimeout("tcp", addr, probeTimeout)
		if err != nil {
			var ne net.Error
			require.True(t, errors.As(err, &ne) && ne.Timeout(), "precondition: connects to %s hang, not fail: %v", addr, err)
			return addr
		}
		// Queued after all: the queue is longer here, and this connection
		// helps fill it.
		t.Cleanup(func() { probe.Close() })
	}
	t.Skipf("this kernel completed %d connects to a backlog-0 listener that never accepts; cannot stall a connect on loopback", 1+maxProbes)
	return ""
}

// RefusedAddr returns a loopback TCP address nobody listens on, so that
// connects to it are refused. The port stays reserved until the test ends:
// a socket is bound to it and never listens, so a listener on port 0 of
// another test or package running meanwhile is not given it, as it could
// be given a port that was merely free a moment ago. The socket has
// SO_REUSEADDR, so the test itself may still listen on the address later
// (net.Listen sets it too; the kernel skips such a port only when it picks
// one for port 0).
func RefusedAddr(t testing.TB) string {
	t.Helper()
	_, addr := boundSocket(t)
	return addr
}

// boundSocket returns a TCP socket bound to a free loopback port, with
// SO_REUSEADDR, closed when the test ends, and its address.
func boundSocket(t testing.TB) (int, string) {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
	require.NoError(t, err)
	unix.CloseOnExec(fd)
	t.Cleanup(func() { unix.Close(fd) })
	require.NoError(t, unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1))
	require.NoError(t, unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}))
	sa, err := unix.Getsockname(fd)
	require.NoError(t, err)
	return fd, fmt.Sprintf("127.0.0.1:%d", sa.(*unix.SockaddrInet4).Port)
}
