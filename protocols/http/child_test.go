package http

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Memory is measured in helper processes, so that the test's own peers
// stay out of the figure: this test binary re-executed with httpChildEnv
// naming what to run and httpChildArgEnv its argument.
const (
	httpChildEnv    = "EVMACHINE_HTTP_TEST_CHILD"
	httpChildArgEnv = "EVMACHINE_HTTP_TEST_CHILD_ARG"
)

func init() {
	if name := os.Getenv(httpChildEnv); name != "" {
		os.Exit(runHTTPChild(name))
	}
}

// runHTTPChild runs helper process name and returns its exit code.
func runHTTPChild(name string) int {
	switch name {
	case "bodyflood":
		return bodyFloodChild()
	case "clientmem":
		return clientMemChild(strings.Split(os.Getenv(httpChildArgEnv), ","))
	}
	fmt.Fprintf(os.Stderr, "unknown child %q\n", name)
	return 2
}

// startHTTPChild starts helper process name and returns its stdout lines
// and its stdin (closing it asks the child to report and exit). The child
// is killed at cleanup if still running.
func startHTTPChild(t *testing.T, name string) (<-chan string, io.WriteCloser) {
	t.Helper()
	cmd := httpChildCommand(context.Background(), name, "")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		cmd.Wait()
	}()
	t.Cleanup(func() {
		stdin.Close()
		cmd.Process.Kill() // an error once it has exited: fine
		if t.Failed() {
			t.Logf("child %s stderr:\n%s", name, stderr.String())
		}
	})
	return lines, stdin
}

// httpChildCommand is the command that runs helper process name with arg.
func httpChildCommand(ctx context.Context, name, arg string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), httpChildEnv+"="+name, httpChildArgEnv+"="+arg)
	return cmd
}

// childValue returns the rest of the child's next stdout line that starts
// with prefix.
func childValue(t *testing.T, lines <-chan string, prefix string) string {
	t.Helper()
	timeout := time.After(2 * testWatchdog)
	for {
		select {
		case s, ok := <-lines:
			require.True(t, ok, "child exited before printing %q", prefix)
			if rest, found := strings.CutPrefix(s, prefix); found {
				return rest
			}
		case <-timeout:
			t.Fatalf("watchdog: child did not print %q", prefix)
			return ""
		}
	}
}

// heapPeak samples the Go heap in use every few milliseconds until stop
// is closed and returns the highest value seen.
func heapPeak(stop <-chan struct{}) func() uint64 {
	var peak atomic.Uint64
	done := make(chan struct{})
	go func() {
		defer close(done)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	return func() uint64 { <-done; return peak.Load() }
}

// procKiB returns a "Vm..." field of /proc/self/status in KiB.
func procKiB(field string) (int64, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			f := strings.Fields(rest)
			if len(f) == 0 {
				break
			}
			return strconv.ParseInt(f[0], 10, 64)
		}
	}
	return 0, fmt.Errorf("no %s in /proc/self/status", field)
}
