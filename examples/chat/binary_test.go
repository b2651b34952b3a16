package main

import (
	"bufio"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestChatBinary builds the real program, runs it on a free port, chats
// through it with two clients and stops it with SIGTERM: it must tell the
// clients, close them and exit with status 0.
func TestChatBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the program")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build the program with")
	}
	bin := filepath.Join(t.TempDir(), "chat")
	build := exec.Command(goBin, "build", "-o", bin, ".")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)

	cmd := exec.Command(bin, "-addr", "127.0.0.1:0", "-grace", "10s")
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	exited := make(chan struct{}) // closed once Wait has returned waitErr
	var waitErr error
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		select {
		case <-exited:
		case <-time.After(watchdog):
			t.Error("the program did not exit")
		}
	})

	// The first log line says where it listens; later lines are collected.
	logs := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			select {
			case logs <- sc.Text():
			default:
			}
		}
		waitErr = cmd.Wait()
		close(exited)
	}()
	addrRE := regexp.MustCompile(`chat server listening.* addr=(\S+)`)
	var addr string
	select {
	case line := <-logs:
		m := addrRE.FindStringSubmatch(line)
		require.NotNil(t, m, "first log line: %q", line)
		addr = m[1]
	case <-time.After(watchdog):
		require.FailNow(t, "the program did not start listening")
	}

	a, nameA := joinChat(t, addr)
	b, _ := joinChat(t, addr)
	a.send("hello from a")
	assert.Equal(t, nameA+": hello from a", b.expect(nameA+":"))

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	assert.Equal(t, "* server shutting down", a.expect("* server"))
	assert.Equal(t, "* server shutting down", b.expect("* server"))
	a.expectEOF()
	b.expectEOF()
	select {
	case <-exited:
		require.NoError(t, waitErr, "exit status")
	case <-time.After(watchdog):
		require.FailNow(t, "the program did not exit after SIGTERM")
	}
	assert.Equal(t, 0, cmd.ProcessState.ExitCode())
}
