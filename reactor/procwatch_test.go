package reactor

import (
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// procRecorder is a ProcessWatcher that reports to the test goroutine.
type procRecorder struct {
	mu      sync.Mutex
	events  []string
	status  ProcessStatus
	reason  error
	unbound chan struct{}
}

func newProcRecorder() *procRecorder { return &procRecorder{unbound: make(chan struct{})} }

func (p *procRecorder) ProcessExited(_ *ProcessWatch, st ProcessStatus) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.events = append(p.events, "exited")
	p.status = st
}

func (p *procRecorder) Unbind(_ *ProcessWatch, reason error) {
	p.mu.Lock()
	p.events = append(p.events, "unbind")
	p.reason = reason
	p.mu.Unlock()
	close(p.unbound) // a second Unbind panics: exactly once
}

func (p *procRecorder) wait(t *testing.T) ([]string, ProcessStatus, error) {
	t.Helper()
	waitClosed(t, p.unbound, "the process watch's Unbind")
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.events...), p.status, p.reason
}

// startWatched starts cmd and reaps it at cleanup (before the harness checks
// for leaked fds: os/exec holds a pidfd until Wait).
func startWatched(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
}

func (h *harness) watchProcess(pid int, pw ProcessWatcher) *ProcessWatch {
	h.t.Helper()
	var w *ProcessWatch
	var err error
	h.do(func() { w, err = h.r.WatchProcess(pid, pw) })
	require.NoError(h.t, err)
	return w
}

// A child of the test watched to its exit: the status is read without
// reaping it, so the test's own cmd.Wait still gets it.
func TestWatchProcessChild(t *testing.T) {
	for _, tc := range []struct {
		script string
		want   ProcessStatus
	}{
		{"sleep 0.2", ProcessStatus{Known: true}},
		{"sleep 0.2; exit 7", ProcessStatus{Known: true, Code: 7}},
		{"sleep 0.2; kill -KILL $$", ProcessStatus{Known: true, Code: -1, Signal: syscall.SIGKILL}},
	} {
		t.Run(tc.script, func(t *testing.T) {
			h := newHarness(t)
			cmd := exec.Command("sh", "-c", tc.script)
			startWatched(t, cmd)
			rec := newProcRecorder()
			w := h.watchProcess(cmd.Process.Pid, rec)
			assert.Equal(t, cmd.Process.Pid, w.Pid())
			events, st, reason := rec.wait(t)
			assert.Equal(t, []string{"exited", "unbind"}, events)
			assert.Equal(t, tc.want, st)
			assert.NoError(t, reason)
			err := cmd.Wait()
			assert.Equal(t, tc.want.Code, cmd.ProcessState.ExitCode(), "cmd.Wait still reaps it: %v", err)
			h.do(func() { assert.ErrorIs(t, w.Close(), ErrClosed, "ended") })
		})
	}
}

// A process that is not our child: its exit is seen, its status unknown.
func TestWatchProcessNotOurChild(t *testing.T) {
	h := newHarness(t)
	out, err := exec.Command("sh", "-c", "sleep 0.3 >/dev/null 2>&1 & echo $!").Output()
	require.NoError(t, err)
	pid, err := strconv.Atoi(strings.TrimSpace(string(out)))
	require.NoError(t, err)
	rec := newProcRecorder()
	h.watchProcess(pid, rec)
	events, st, _ := rec.wait(t)
	assert.Equal(t, []string{"exited", "unbind"}, events)
	assert.False(t, st.Known, "an orphan is init's child, not ours: %v", st)
}

// A pid that names no process is ESRCH; Close ends a watch with no exit.
func TestWatchProcessErrorsAndClose(t *testing.T) {
	h := newHarness(t)
	gone := exec.Command("true")
	require.NoError(t, gone.Run()) // exited and reaped: its pid names nothing
	h.do(func() {
		_, err := h.r.WatchProcess(gone.Process.Pid, newProcRecorder())
		assert.ErrorIs(t, err, syscall.ESRCH)
		_, err = h.r.WatchProcess(-1, newProcRecorder())
		assert.ErrorIs(t, err, syscall.ESRCH)
	})

	cmd := exec.Command("sleep", "30")
	startWatched(t, cmd)
	rec := newProcRecorder()
	w := h.watchProcess(cmd.Process.Pid, rec)
	h.do(func() { require.NoError(t, w.Close()) })
	events, _, reason := rec.wait(t)
	assert.Equal(t, []string{"unbind"}, events)
	assert.NoError(t, reason)
}
