package reactor

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/evmachine/evmachine/internal/nettest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// popen starts cmd on the loop with a fresh probe as its handler.
func (h *harness) popen(cmd *exec.Cmd, p *probe, opts ...ConnOption) *Conn {
	h.t.Helper()
	var c *Conn
	var err error
	h.do(func() { c, err = h.r.Popen(cmd, p.handler(), opts...) })
	require.NoError(h.t, err)
	return c
}

// Popen `cat`: what is written comes back, CloseWrite ends cat's input, and
// Unbind runs with a nil reason once cat has exited, its status set.
func TestPopenCat(t *testing.T) {
	h := newHarness(t)
	p := h.newProbe()
	cmd := exec.Command("cat")
	c := h.popen(cmd, p)
	h.do(func() { c.WriteString("hello, child\n") })
	assert.Equal(t, "hello, child\n", string(p.waitGot(t, 13)))
	h.do(func() { require.NoError(t, c.CloseWrite()) })
	require.NoError(t, p.waitUnbind(t))
	require.NotNil(t, cmd.ProcessState, "reaped before Unbind")
	assert.True(t, cmd.ProcessState.Success())
	assert.Equal(t, []string{"post", "data", "unbind"}, p.Events())
	h.do(func() { assert.Zero(t, h.r.ConnectionCount()) })
}

// A child that exits with status 3: Unbind's reason is the *exec.ExitError.
func TestPopenExitStatus(t *testing.T) {
	h := newHarness(t)
	p := h.newProbe()
	cmd := exec.Command("sh", "-c", "echo bye; exit 3")
	h.popen(cmd, p)
	var exitErr *exec.ExitError
	require.ErrorAs(t, p.waitUnbind(t), &exitErr)
	assert.Equal(t, 3, exitErr.ExitCode())
	assert.Equal(t, "bye\n", string(p.Got()), "the output before the exit is delivered")
	assert.Equal(t, 3, cmd.ProcessState.ExitCode())
}

// 1 MiB through cat both ways, and 1 MiB from a child that only writes:
// every byte, in order.
func TestPopenOneMiB(t *testing.T) {
	data := nettest.Pattern(1<<20, 16)
	t.Run("through cat", func(t *testing.T) {
		h := newHarness(t)
		p := h.newProbe()
		c := h.popen(exec.Command("cat"), p)
		h.do(func() {
			c.Write(data)
			c.CloseWrite()
		})
		require.NoError(t, p.waitUnbind(t))
		assert.True(t, bytes.Equal(data, p.Got()), "got %d bytes", len(p.Got()))
	})
	t.Run("from the child", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "data")
		require.NoError(t, os.WriteFile(file, data, 0o600))
		h := newHarness(t)
		p := h.newProbe()
		h.popen(exec.Command("cat", file), p)
		require.NoError(t, p.waitUnbind(t))
		assert.True(t, bytes.Equal(data, p.Got()), "got %d bytes", len(p.Got()))
	})
}

// stderr: dropped by default, merged into the input with WithStderr, and a
// cmd.Stderr the program set is honoured.
func TestPopenStderr(t *testing.T) {
	const script = "echo out; echo err >&2"
	h := newHarness(t)

	p := h.newProbe()
	h.popen(exec.Command("sh", "-c", script), p)
	require.NoError(t, p.waitUnbind(t))
	assert.Equal(t, "out\n", string(p.Got()))

	p = h.newProbe()
	h.popen(exec.Command("sh", "-c", script), p, WithStderr())
	require.NoError(t, p.waitUnbind(t))
	assert.Equal(t, "out\nerr\n", string(p.Got()), "stderr merged in the order written")

	p = h.newProbe()
	var stderr bytes.Buffer
	cmd := exec.Command("sh", "-c", script)
	cmd.Stderr = &stderr
	h.popen(cmd, p)
	require.NoError(t, p.waitUnbind(t))
	assert.Equal(t, "out\n", string(p.Got()))
	assert.Equal(t, "err\n", stderr.String(), "copied by os/exec; Unbind after the copy ended")
}

// What Popen refuses: stdio already set, a program that cannot start.
func TestPopenErrors(t *testing.T) {
	h := newHarness(t)
	p := looseProbe()
	h.do(func() {
		cmd := exec.Command("cat")
		cmd.Stdout = new(bytes.Buffer)
		_, err := h.r.Popen(cmd, p)
		assert.ErrorIs(t, err, ErrPopenStdio)

		cmd = exec.Command("cat")
		cmd.Stderr = new(bytes.Buffer)
		_, err = h.r.Popen(cmd, p, WithStderr())
		assert.ErrorIs(t, err, ErrPopenStdio)

		_, err = h.r.Popen(exec.Command(filepath.Join(t.TempDir(), "no-such-program")), p)
		assert.ErrorIs(t, err, os.ErrNotExist)
		assert.Zero(t, h.r.ConnectionCount())
	})
	assert.Empty(t, p.Events(), "no callbacks after an error")
}

// A HalfCloser hears the end of the child's output; Unbind still waits for
// the exit and carries its status.
func TestPopenHalfCloser(t *testing.T) {
	h := newHarness(t)
	p := h.newProbe()
	p.HalfCloser = true
	h.popen(exec.Command("sh", "-c", "echo done; exec >&-; sleep 0.2; exit 4"), p)
	var exitErr *exec.ExitError
	require.ErrorAs(t, p.waitUnbind(t), &exitErr)
	assert.Equal(t, 4, exitErr.ExitCode())
	assert.Equal(t, []string{"post", "data", "peerclosed", "unbind"}, p.Events())
}

// Close: cat reads EOF and exits by itself; Unbind (nil) after the exit.
// A child that ignores its EOF and SIGTERM is killed.
func TestPopenClose(t *testing.T) {
	h := newHarness(t)
	p := h.newProbe()
	cmd := exec.Command("cat")
	c := h.popen(cmd, p)
	h.do(func() { require.NoError(t, c.Close()) })
	require.NoError(t, p.waitUnbind(t))
	assert.True(t, cmd.ProcessState.Success(), "cat ended on EOF: %v", cmd.ProcessState)

	p = h.newProbe()
	cmd = exec.Command("sh", "-c", "trap '' TERM; exec sleep 30")
	c = h.popen(cmd, p)
	time.Sleep(100 * time.Millisecond) // let sh set its trap (a TERM before it would end it early, which passes too)
	start := time.Now()
	h.do(func() { require.NoError(t, c.Close()) })
	for range 5 { // the loop goes on while the child is being ended
		tick := time.Now()
		h.do(func() {})
		assert.Less(t, time.Since(tick), time.Second, "a tick during the reaping (the escalation takes 1.5 s)")
		time.Sleep(100 * time.Millisecond)
	}
	require.NoError(t, p.waitUnbind(t), "a local Close: nil")
	took := time.Since(start)
	ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
	assert.True(t, ws.Signaled(), "killed: %v", cmd.ProcessState)
	if ws.Signaled() && ws.Signal() == syscall.SIGKILL {
		assert.GreaterOrEqual(t, took, popenTermAfter+popenKillAfter-50*time.Millisecond, "TERM, then KILL")
	}
}

// Stop kills and reaps a running child: Unbind with ErrStopped, no zombie.
func TestPopenStopReaps(t *testing.T) {
	h := newHarness(t)
	p := h.newProbe()
	cmd := exec.Command("sleep", "30")
	h.popen(cmd, p)
	h.stop()
	assert.ErrorIs(t, p.waitUnbind(t), ErrStopped)
	require.NotNil(t, cmd.ProcessState, "reaped before Run returned")
	_, err := syscall.Wait4(cmd.Process.Pid, nil, syscall.WNOHANG, nil)
	assert.ErrorIs(t, err, syscall.ECHILD, "no zombie left")
}

// A write that fails because the child is gone (EPIPE) ends the Conn, and
// what the child wrote before it went is still delivered; the reason is the
// exit status.
func TestPopenBrokenPipeKeepsOutput(t *testing.T) {
	h := newHarness(t)
	p := h.newProbe()
	p.OnPostInit = func(c *Conn) { c.PauseReading() } // before the loop can read anything
	c := h.popen(exec.Command("sh", "-c", "echo last words; exit 5"), p)
	deadline := time.Now().Add(waitTimeout)
	for exited := false; !exited; time.Sleep(5 * time.Millisecond) {
		require.True(t, time.Now().Before(deadline), "the child did not exit")
		h.do(func() { exited = h.r.popens[c].exited })
	}
	h.do(func() {
		c.ResumeReading() // no read yet: the write below comes first
		_, err := c.WriteString("anyone there?")
		assert.True(t, err == nil || errors.Is(err, syscall.EPIPE), "err %v", err)
	})
	var exitErr *exec.ExitError
	require.ErrorAs(t, p.waitUnbind(t), &exitErr)
	assert.Equal(t, 5, exitErr.ExitCode())
	assert.Equal(t, "last words\n", string(p.Got()))
}

// Shutdown closes a Popen Conn after writing: cat reads EOF, exits, and
// the reactor stops once its Unbind has run.
func TestPopenShutdown(t *testing.T) {
	h := newHarness(t)
	p := h.newProbe()
	cmd := exec.Command("cat")
	c := h.popen(cmd, p)
	h.do(func() { c.WriteString("flushed first") })
	p.waitGot(t, len("flushed first"))
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	require.NoError(t, h.r.Shutdown(ctx))
	require.NoError(t, p.waitUnbind(t))
	assert.True(t, cmd.ProcessState.Success())
}

// Fifty children at once, each with its own exit status.
func TestPopenManyChildren(t *testing.T) {
	const n = 50
	h := newHarness(t)
	probes := make([]*probe, n)
	for i := range probes {
		probes[i] = h.newProbe()
		h.popen(exec.Command("sh", "-c", "echo "+strconv.Itoa(i)+"; exit "+strconv.Itoa(i)), probes[i])
	}
	for i, p := range probes {
		reason := p.waitUnbind(t)
		assert.Equal(t, strconv.Itoa(i)+"\n", string(p.Got()))
		if i == 0 {
			assert.NoError(t, reason)
			continue
		}
		var exitErr *exec.ExitError
		if assert.ErrorAs(t, reason, &exitErr) {
			assert.Equal(t, i, exitErr.ExitCode())
		}
	}
	h.do(func() { assert.Zero(t, h.r.ConnectionCount()) })
}

// Stop while a closed child is being ended, and Stop with a child a
// goroutine waits for (stderr copied by os/exec): both reaped before Run
// returns, each Unbind once.
func TestPopenStopMidReap(t *testing.T) {
	h := newHarness(t)
	closed := h.newProbe()
	stubborn := exec.Command("sh", "-c", "trap '' TERM; exec sleep 30")
	c := h.popen(stubborn, closed)
	waited := h.newProbe()
	copied := exec.Command("sleep", "30")
	copied.Stderr = new(bytes.Buffer)
	h.popen(copied, waited)
	h.do(func() { require.NoError(t, c.Close()) })
	h.stop()
	assert.NoError(t, closed.waitUnbind(t), "closed before the Stop: its own reason")
	assert.ErrorIs(t, waited.waitUnbind(t), ErrStopped)
	for _, cmd := range []*exec.Cmd{stubborn, copied} {
		require.NotNil(t, cmd.ProcessState, "reaped before Run returned")
		_, err := syscall.Wait4(cmd.Process.Pid, nil, syscall.WNOHANG, nil)
		assert.ErrorIs(t, err, syscall.ECHILD, "no zombie left")
	}
}

// A Popen Conn cannot be detached: the reactor owns its child.
func TestPopenRefusesDetach(t *testing.T) {
	h := newHarness(t)
	p := h.newProbe()
	c := h.popen(exec.Command("cat"), p)
	var err error
	h.do(func() { _, err = c.Detach() })
	require.ErrorContains(t, err, "Popen")
	h.do(func() { require.NoError(t, c.CloseWrite()) })
	require.NoError(t, p.waitUnbind(t))
}
