package reactor

import (
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestListenUnixLiveSocketNotTakenOver: a second Listen on the path of a
// live unix socket fails with EADDRINUSE and leaves the first server
// reachable; when the first closes, the file goes; a listener whose file
// was replaced by another server's does not remove that server's file.
func TestListenUnixLiveSocketNotTakenOver(t *testing.T) {
	h := newHarness(t)
	path := filepath.Join(t.TempDir(), "u.sock")
	nh := func(*Conn) Handler { return BaseHandler{} }
	first := h.listen("unix", path, nh)

	h.do(func() {
		_, err := h.r.Listen("unix", path, nh)
		assert.ErrorIs(t, err, syscall.EADDRINUSE, "a live socket is not taken over")
	})
	c := dial(t, "unix", path)
	c.Close()

	// A net.Listen of another program also sees the file as in use.
	_, err := net.Listen("unix", path)
	require.Error(t, err)

	// The file is replaced behind the first listener's back (as an operator
	// who removes it and starts another server would): closing the first
	// must not delete the newcomer's socket.
	require.NoError(t, os.Remove(path))
	other, err := net.Listen("unix", path)
	require.NoError(t, err)
	defer other.Close()
	h.do(func() { assert.NoError(t, first.Close()) })
	_, err = os.Lstat(path)
	assert.NoError(t, err, "another server's socket file is left alone")
	c = dial(t, "unix", path)
	c.Close()

	// A listener closes and removes its own file.
	own := filepath.Join(t.TempDir(), "own.sock")
	l := h.listen("unix", own, nh)
	h.do(func() { assert.NoError(t, l.Close()) })
	_, err = os.Lstat(own)
	assert.True(t, os.IsNotExist(err), "own socket file removed by Close")
}
