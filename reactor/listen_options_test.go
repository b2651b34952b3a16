package reactor

import (
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// TestListenReusePort: with WithReusePort two listeners bind one port and
// the kernel gives connections to both; without it the second bind fails
// with EADDRINUSE, as net.Listen's would.
func TestListenReusePort(t *testing.T) {
	h := newHarness(t)
	counts := make([]int, 2) // touched on the loop
	handler := func(i int) func(*Conn) Handler {
		return func(*Conn) Handler {
			counts[i]++
			return h.newProbe()
		}
	}
	first := h.listen("tcp", "127.0.0.1:0", handler(0), WithReusePort())
	addr := first.Addr().String()
	second := h.listen("tcp", addr, handler(1), WithReusePort(), WithNoDelay(true)) // listener and Conn options mixed
	for _, l := range []*Listener{first, second} {
		v, err := unix.GetsockoptInt(l.fd, unix.SOL_SOCKET, unix.SO_REUSEPORT)
		require.NoError(t, err)
		assert.Equal(t, 1, v)
	}
	h.do(func() {
		_, err := h.r.Listen("tcp", addr, handler(0))
		assert.ErrorIs(t, err, syscall.EADDRINUSE, "a listener without the option cannot share the port")
	})
	if runtime.GOOS != "linux" {
		return // only Linux spreads connections over the listeners
	}
	for range 64 {
		dial(t, "tcp", addr).Close()
	}
	assert.Eventually(t, func() bool {
		var n [2]int
		h.do(func() { n = [2]int(counts) })
		return n[0]+n[1] == 64 && n[0] > 0 && n[1] > 0
	}, waitTimeout, 5*time.Millisecond, "both listeners accept")
}
