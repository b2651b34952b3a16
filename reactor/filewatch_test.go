package reactor

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fileRecorder records a FileWatch's callbacks (consecutive repeats
// merged: the kernel may report one append as several writes).
type fileRecorder struct {
	mu      sync.Mutex
	events  []string
	reason  error
	changed chan struct{}
	unbound chan struct{}
}

func newFileRecorder() *fileRecorder {
	return &fileRecorder{changed: make(chan struct{}, 1), unbound: make(chan struct{})}
}

func (f *fileRecorder) record(ev string) {
	f.mu.Lock()
	if n := len(f.events); n == 0 || f.events[n-1] != ev {
		f.events = append(f.events, ev)
	}
	f.mu.Unlock()
	select {
	case f.changed <- struct{}{}:
	default:
	}
}

func (f *fileRecorder) funcs(attrib bool) FileWatcherFuncs {
	fw := FileWatcherFuncs{
		OnModified: func(*FileWatch) { f.record("modified") },
		OnMoved:    func(*FileWatch) { f.record("moved") },
		OnDeleted:  func(*FileWatch) { f.record("deleted") },
		OnUnbind: func(_ *FileWatch, reason error) {
			f.mu.Lock()
			f.reason = reason
			f.mu.Unlock()
			f.record("unbind")
			close(f.unbound) // a second Unbind panics: exactly once
		},
	}
	if attrib {
		fw.OnAttributesChanged = func(*FileWatch) { f.record("attrib") }
	}
	return fw
}

func (f *fileRecorder) Events() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.events)
}

// waitFor waits until ev has been recorded.
func (f *fileRecorder) waitFor(t *testing.T, ev string) {
	t.Helper()
	deadline := time.After(waitTimeout)
	for !slices.Contains(f.Events(), ev) {
		select {
		case <-f.changed:
		case <-deadline:
			t.Fatalf("no %q within %v; events %v", ev, waitTimeout, f.Events())
		}
	}
}

func (h *harness) watchFile(path string, fw FileWatcher) *FileWatch {
	h.t.Helper()
	var w *FileWatch
	var err error
	h.do(func() { w, err = h.r.WatchFile(path, fw) })
	require.NoError(h.t, err)
	return w
}

func appendFile(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString(s)
	require.NoError(t, err)
	require.NoError(t, f.Close())
}

// A file appended to, renamed and removed under a watch: the callbacks in
// that order, then Unbind with a nil reason.
func TestWatchFileAppendRenameRemove(t *testing.T) {
	h := newHarness(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "log")
	require.NoError(t, os.WriteFile(path, []byte("one\n"), 0o600))
	rec := newFileRecorder()
	w := h.watchFile(path, rec.funcs(false))
	assert.Equal(t, path, w.Path())

	appendFile(t, path, "two\n")
	rec.waitFor(t, "modified")
	moved := filepath.Join(dir, "log.1")
	require.NoError(t, os.Rename(path, moved))
	rec.waitFor(t, "moved")
	appendFile(t, moved, "three\n") // the watch follows the file, not the path
	require.NoError(t, os.Remove(moved))
	waitClosed(t, rec.unbound, "Unbind")
	assert.Equal(t, []string{"modified", "moved", "modified", "deleted", "unbind"}, rec.Events())
	assert.NoError(t, rec.reason)
	h.do(func() { assert.ErrorIs(t, w.Close(), ErrClosed, "the deletion ended it") })
}

// Attribute changes reach a watcher that asks for them, and no other.
func TestWatchFileAttributes(t *testing.T) {
	h := newHarness(t)
	path := filepath.Join(t.TempDir(), "f")
	require.NoError(t, os.WriteFile(path, nil, 0o600))
	with, without := newFileRecorder(), newFileRecorder()
	h.watchFile(path, with.funcs(true))
	h.watchFile(path, without.funcs(false))
	require.NoError(t, os.Chmod(path, 0o640))
	with.waitFor(t, "attrib")
	appendFile(t, path, "x")
	with.waitFor(t, "modified")
	without.waitFor(t, "modified")
	assert.Equal(t, []string{"modified"}, without.Events(), "no attribute callbacks unasked")
}

// Two watches of one file are independent: closing one leaves the other.
func TestWatchFileTwoWatchesOneFile(t *testing.T) {
	h := newHarness(t)
	path := filepath.Join(t.TempDir(), "f")
	require.NoError(t, os.WriteFile(path, nil, 0o600))
	a, b := newFileRecorder(), newFileRecorder()
	wa := h.watchFile(path, a.funcs(false))
	h.watchFile(path, b.funcs(false))
	h.do(func() {
		require.NoError(t, wa.Close())
		assert.ErrorIs(t, wa.Close(), ErrClosed)
	})
	assert.Equal(t, []string{"unbind"}, a.Events(), "Unbind ran inside Close")
	appendFile(t, path, "x")
	b.waitFor(t, "modified")
	assert.Equal(t, []string{"unbind"}, a.Events(), "nothing after Close")
}

// A watched directory reports its entries changing as modified.
func TestWatchFileDirectory(t *testing.T) {
	h := newHarness(t)
	dir := t.TempDir()
	rec := newFileRecorder()
	h.watchFile(dir, rec.funcs(false))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "new"), nil, 0o600))
	rec.waitFor(t, "modified")
}

// Watching a path that does not exist is an error that says so.
func TestWatchFileMissing(t *testing.T) {
	h := newHarness(t)
	path := filepath.Join(t.TempDir(), "nope")
	h.do(func() {
		w, err := h.r.WatchFile(path, BaseFileWatcher{})
		assert.Nil(t, w)
		assert.ErrorIs(t, err, fs.ErrNotExist)
		assert.ErrorContains(t, err, path)
	})
}

// Stop with live watches: each ends with ErrStopped, and the harness finds
// no fd (inotify, pidfd) and no table entry left.
func TestStopWithLiveWatches(t *testing.T) {
	h := newHarness(t)
	path := filepath.Join(t.TempDir(), "f")
	require.NoError(t, os.WriteFile(path, nil, 0o600))
	files := []*fileRecorder{newFileRecorder(), newFileRecorder()}
	for _, f := range files {
		h.watchFile(path, f.funcs(true))
	}
	cmd := exec.Command("sleep", "30")
	startWatched(t, cmd)
	proc := newProcRecorder()
	h.watchProcess(cmd.Process.Pid, proc)
	h.stop()
	for _, f := range files {
		waitClosed(t, f.unbound, "file watch Unbind")
		assert.Equal(t, []string{"unbind"}, f.Events())
		assert.ErrorIs(t, f.reason, ErrStopped)
	}
	events, _, reason := proc.wait(t)
	assert.Equal(t, []string{"unbind"}, events)
	assert.ErrorIs(t, reason, ErrStopped)
}
