package http

import (
	"bufio"
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

// Memory is measured in a helper process, so that the test's own clients
// and the race detector's bookkeeping stay out of the figure: this test
// binary re-executed with httpChildEnv naming what to run.
const httpChildEnv = "EVMACHINE_HTTP_TEST_CHILD"

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
	}
	fmt.Fprintf(os.Stderr, "unknown child %q\n", name)
	return 2
}

// startHTTPChild starts helper process name and returns its stdout lines
// and its stdin (closing it asks the child to report and exit). The child
// is killed at cleanup if still running.
func startHTTPChild(t *testing.T, name string) (<-chan string, io.WriteCloser) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), httpChildEnv+"="+name)
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

// vmHWM returns the process's peak resident set size in bytes.
func vmHWM() uint64 {
	data, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseUint(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}
