//go:build linux

package reactor

import (
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// Records the kernel sends rarely, fed to the notifier by hand: a queue
// overflow tells every watch that its file was modified; an unmount ends
// the watches of that descriptor with ErrUnmounted; a callback's panic is
// logged and the watch goes on.
func TestWatchFileKernelRecords(t *testing.T) {
	h := newHarness(t)
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	for _, p := range []string{a, b} {
		require.NoError(t, os.WriteFile(p, nil, 0o600))
	}
	ra, rb := newFileRecorder(), newFileRecorder()
	wa := h.watchFile(a, ra.funcs(false))
	h.watchFile(b, rb.funcs(false))

	h.do(func() { h.r.files.n.dispatch(inotifyEvent{wd: -1, mask: unix.IN_Q_OVERFLOW}) })
	assert.Equal(t, []string{"modified"}, ra.Events())
	assert.Equal(t, []string{"modified"}, rb.Events())

	h.do(func() { h.r.files.n.dispatch(inotifyEvent{wd: wa.wd, mask: unix.IN_UNMOUNT}) })
	waitClosed(t, ra.unbound, "Unbind after the unmount")
	assert.ErrorIs(t, ra.reason, ErrUnmounted)
	assert.Equal(t, []string{"modified"}, rb.Events(), "the other watch goes on")

	var calls atomic.Int32
	panicky := FileWatcherFuncs{OnModified: func(*FileWatch) {
		calls.Add(1)
		panic("in FileModified")
	}}
	h.watchFile(b, panicky)
	for i := range int32(2) {
		appendFile(t, b, "x")
		require.Eventually(t, func() bool { return calls.Load() > i }, waitTimeout, 5*time.Millisecond,
			"the watch goes on after its callback panicked")
	}
	assert.Contains(t, h.logs.String(), "in FileModified", "the panic is logged")
}
