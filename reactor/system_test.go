package reactor_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/evmachine/evmachine/reactor"
)

type sysResult struct {
	out []byte
	err error
	gid uint64
}

func systemOnLoop(t *testing.T, r *reactor.Reactor, cmd *exec.Cmd) <-chan sysResult {
	t.Helper()
	res := make(chan sysResult, 2)
	asyncOnLoop(t, r, func() {
		r.System(cmd, func(out []byte, err error) { res <- sysResult{out, err, asyncGID()} })
	})
	return res
}

func TestSystemCombinedOutput(t *testing.T) {
	r, _ := asyncStart(t)
	loop := asyncLoopGID(t, r)
	got := asyncWait(t, systemOnLoop(t, r, exec.Command("sh", "-c", "echo out; echo err >&2; echo out2")), "System")
	require.NoError(t, got.err)
	assert.Equal(t, "out\nerr\nout2\n", string(got.out), "stdout and stderr interleaved as written")
	assert.Equal(t, loop, got.gid, "done runs on the loop goroutine")
}

func TestSystemFailingCommand(t *testing.T) {
	r, _ := asyncStart(t)
	got := asyncWait(t, systemOnLoop(t, r, exec.Command("sh", "-c", "echo oops; exit 3")), "System")
	var exitErr *exec.ExitError
	require.ErrorAs(t, got.err, &exitErr, "a non-zero exit is an *exec.ExitError")
	assert.Equal(t, 3, exitErr.ExitCode())
	assert.Equal(t, "oops\n", string(got.out), "the output of a failing command is kept")

	missing := asyncWait(t, systemOnLoop(t, r, exec.Command(filepath.Join(t.TempDir(), "no-such-program"))), "System")
	require.Error(t, missing.err)
	assert.ErrorIs(t, missing.err, os.ErrNotExist)

	cmd := exec.Command("true")
	cmd.Stdout = new(bytes.Buffer)
	set := asyncWait(t, systemOnLoop(t, r, cmd), "System")
	assert.ErrorIs(t, set.err, reactor.ErrSystemOutputSet)
}

// TestSystem100AtOnce starts 100 commands that each announce themselves and
// then wait for the test: they only finish once all 100 are running at the
// same time, so any cap on concurrent commands (or a blocked loop) fails
// the test instead of passing slowly.
func TestSystem100AtOnce(t *testing.T) {
	const n = 100
	r, _ := asyncStart(t)
	dir := t.TempDir()
	writers := make([]*os.File, 0, n)
	t.Cleanup(func() {
		for _, w := range writers {
			w.Close()
		}
	})
	results := make(chan sysResult, n)
	asyncOnLoop(t, r, func() {
		for i := range n {
			pr, pw, err := os.Pipe()
			if !assert.NoError(t, err) {
				return
			}
			writers = append(writers, pw)
			cmd := exec.Command("sh", "-c", `touch "$1"; read line; echo "$2 $line"`, "sh",
				filepath.Join(dir, strconv.Itoa(i)), strconv.Itoa(i))
			cmd.Stdin = pr
			r.System(cmd, func(out []byte, err error) {
				pr.Close()
				results <- sysResult{out, err, 0}
			})
		}
	})
	require.Len(t, writers, n)
	deadline := time.Now().Add(asyncWatchdog)
	for {
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		if len(entries) == n {
			break
		}
		require.True(t, time.Now().Before(deadline), "only %d of %d commands running at once", len(entries), n)
		time.Sleep(10 * time.Millisecond)
	}
	asyncOnLoop(t, r, func() {}) // the loop is free while 100 commands run
	for _, w := range writers {
		_, err := w.WriteString("go\n")
		require.NoError(t, err)
	}
	seen := make(map[string]bool)
	for range n {
		res := asyncWait(t, results, "a command's done")
		assert.NoError(t, res.err)
		seen[string(res.out)] = true
	}
	for i := range n {
		assert.True(t, seen[strconv.Itoa(i)+" go\n"], "output of command %d", i)
	}
}

// TestSystemKilledOnStop stops the reactor while a command sleeps: the
// command is killed, Run returns long before the sleep would end, and the
// done is dropped and counted.
func TestSystemKilledOnStop(t *testing.T) {
	r, runDone := asyncStart(t, reactor.WithDeferCloseGrace(asyncWatchdog))
	dir := t.TempDir()
	marker := filepath.Join(dir, "started")
	var doneCalled atomic.Bool
	asyncOnLoop(t, r, func() {
		r.System(exec.Command("sh", "-c", `touch "$1"; exec sleep 600`, "sh", marker),
			func([]byte, error) { doneCalled.Store(true) })
	})
	deadline := time.Now().Add(asyncWatchdog)
	for {
		if _, err := os.Stat(marker); err == nil {
			break
		}
		require.True(t, time.Now().Before(deadline), "the command did not start")
		time.Sleep(5 * time.Millisecond)
	}
	r.Stop()
	require.NoError(t, asyncWait(t, runDone, "Run to return after Stop"))
	assert.False(t, doneCalled.Load())
	assert.Equal(t, uint64(1), r.DeferStats().Dropped)
}
