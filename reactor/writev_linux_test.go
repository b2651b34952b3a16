package reactor

import (
	"bytes"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/evmachine/evmachine/internal/nettest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// threadWrites returns the write-like system calls this thread has made
// (syscw of /proc/thread-self/io).
func threadWrites(t *testing.T) int {
	b, err := os.ReadFile("/proc/thread-self/io")
	require.NoError(t, err)
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "syscw: "); ok {
			n, err := strconv.Atoi(v)
			require.NoError(t, err)
			return n
		}
	}
	t.Fatal("no syscw in /proc/thread-self/io")
	return 0
}

// TestWritev: a head and a body go out in one system call where two
// Writes take two; a Writev the socket cannot take at once is queued
// whole and arrives intact, in order with the Writes around it.
func TestWritev(t *testing.T) {
	h := newHarness(t)
	l, accepted := h.serve(func(*probe) {}, WithSocketBuffers(8<<10, 8<<10))
	c := dial(t, "tcp", l.Addr().String())
	defer c.Close()
	srv := h.accepted(accepted).Conn()

	head, body := []byte("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"), []byte("hello")
	h.do(func() {
		runtime.LockOSThread() // the counters are the thread's
		defer runtime.UnlockOSThread()
		// syscw counts write and writev, not sendto: make the Conn write
		// as an attached pipe does, with the same number of calls.
		srv.flags |= fNotSocket
		defer func() { srv.flags &^= fNotSocket }()
		before := threadWrites(t)
		n, err := srv.Writev(head, body)
		writev := threadWrites(t) - before
		require.NoError(t, err)
		assert.Equal(t, len(head)+len(body), n)
		before = threadWrites(t)
		srv.Write(head)
		srv.Write(body)
		twoWrites := threadWrites(t) - before
		assert.Equal(t, 1, writev, "one writev(2)")
		assert.Equal(t, 2, twoWrites, "two write(2)s")
	})
	want := append(append(append([]byte(nil), head...), body...), append(head, body...)...)
	got := make([]byte, len(want))
	_, err := io.ReadFull(c, got)
	require.NoError(t, err)
	assert.Equal(t, want, got)

	// Larger than the socket takes: the rest is queued, in order.
	a, b := nettest.Pattern(3<<20, 1), nettest.Pattern(1<<20, 2)
	h.do(func() {
		n, err := srv.Writev(a, nil, b)
		require.NoError(t, err)
		assert.Equal(t, len(a)+len(b), n)
		assert.Positive(t, srv.OutboundSize(), "the kernel did not take 4 MiB at once")
		srv.Write([]byte("tail"))
		srv.CloseAfterWriting()
	})
	rest, err := io.ReadAll(c)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(append(append(a, b...), "tail"...), rest), "every byte, in order")
}
