package reactor

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// TestListenBacklog: WithBacklog sets the accept queue the kernel keeps
// (read back with TCP_INFO, which reports a listener's maximum queue as
// tcpi_sacked on Linux); without it the queue is DefaultBacklog, capped by
// net.core.somaxconn.
func TestListenBacklog(t *testing.T) {
	h := newHarness(t)
	backlog := func(l *Listener) uint32 {
		info, err := unix.GetsockoptTCPInfo(l.fd, unix.IPPROTO_TCP, unix.TCP_INFO)
		require.NoError(t, err)
		return info.Sacked
	}
	none := func(*Conn) Handler { return h.newProbe() }
	l := h.listen("tcp", "127.0.0.1:0", none, WithBacklog(7))
	assert.Equal(t, uint32(7), backlog(l))
	def := h.listen("tcp", "127.0.0.1:0", none)
	somaxconn := readSysctlInt(t, "/proc/sys/net/core/somaxconn")
	assert.Equal(t, uint32(min(DefaultBacklog, somaxconn)), backlog(def))
}

func readSysctlInt(t *testing.T, path string) int {
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	require.NoError(t, err)
	return n
}
