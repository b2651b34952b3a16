package reactor

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/evmachine/evmachine/internal/nettest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// goTool returns the go command that runs these tests.
func goTool(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	p := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(p); err != nil {
		t.Skip("no go command to build with")
	}
	return p
}

// moduleRoot is the directory of go.mod (the tests run in reactor/).
func moduleRoot(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	require.NoError(t, err)
	return filepath.Dir(wd)
}

var listeningLine = regexp.MustCompile(`msg="echo server listening".* addr=(\S+)`)

// TestEchoExampleProcess builds examples/echo, runs it as a real process
// on a free port (-addr 127.0.0.1:0) and on a unix socket, talks to it,
// and stops it with SIGTERM: it drains, logs, and exits 0.
func TestEchoExampleProcess(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "echo")
	build := exec.Command(goTool(t), "build", "-o", bin, "./examples/echo")
	build.Dir = moduleRoot(t)
	out, err := build.CombinedOutput()
	require.NoError(t, err, "go build ./examples/echo:\n%s", out)

	for _, mode := range []string{"tcp", "unix"} {
		t.Run(mode, func(t *testing.T) {
			args := []string{"-addr", "127.0.0.1:0"}
			if mode == "unix" {
				args = []string{"-unix", filepath.Join(t.TempDir(), "echo.sock")}
			}
			runEchoProcess(t, bin, mode, args)
		})
	}
}

func runEchoProcess(t *testing.T, bin, network string, args []string) {
	cmd := exec.Command(bin, args...)
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	logs := &nettest.Buffer{}
	addrCh := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logs.Write([]byte(sc.Text() + "\n"))
			if m := listeningLine.FindStringSubmatch(sc.Text()); m != nil {
				addrCh <- m[1]
			}
		}
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		cmd.Process.Kill() // an error once it has exited: fine
		if t.Failed() {
			t.Logf("echo's log:\n%s", logs)
		}
	})

	var addr string
	select {
	case addr = <-addrCh:
	case <-time.After(waitTimeout):
		t.Fatal("no \"echo server listening\" log line")
	}
	c := dial(t, network, strings.Trim(addr, `"`))
	for _, msg := range []string{"hello", strings.Repeat("x", 100_000)} {
		go c.Write([]byte(msg))
		got := make([]byte, len(msg))
		_, err := io.ReadFull(c, got)
		require.NoError(t, err)
		assert.Equal(t, msg, string(got))
	}

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	rest, err := io.ReadAll(c)
	assert.NoError(t, err, "the open connection is closed cleanly by the graceful stop")
	assert.Empty(t, rest)
	c.Close() // the server's lingering socket (see linger.go) ends now
	select {
	case err := <-exited:
		assert.NoError(t, err, "exit status")
		assert.Equal(t, 0, cmd.ProcessState.ExitCode())
	case <-time.After(waitTimeout):
		t.Fatal("echo did not exit after SIGTERM")
	}
	assert.Contains(t, logs.String(), "stopping gracefully")
	assert.Contains(t, logs.String(), "echo server stopped")
	if network == "unix" {
		_, err := os.Stat(args[1])
		assert.True(t, os.IsNotExist(err), "socket file removed")
	}
}
