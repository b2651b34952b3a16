package reactor

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/evmachine/evmachine/internal/nettest"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// childEnv names the environment variable that makes the test binary run
// a helper process (see runChild) instead of the tests.
const childEnv = "EVMACHINE_REACTOR_TEST_CHILD"

// runChild is the helper process's main; TestMain calls it when childEnv
// is set. It returns the exit code.
func runChild(name string) int {
	switch name {
	case "emfile":
		return emfileChild()
	case "tlsflood":
		return tlsFloodChild()
	}
	fmt.Fprintf(os.Stderr, "unknown child %q\n", name)
	return 2
}

// emfileChild runs an echo server whose soft RLIMIT_NOFILE leaves room for
// only a few connections, prints "addr HOST:PORT" on stdout and runs until
// stdin closes.
func emfileChild() int {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	r, err := New(WithLogger(log))
	if err != nil {
		log.Error("new", "err", err)
		return 1
	}
	l, err := r.Listen("tcp", "127.0.0.1:0", func(*Conn) Handler {
		return HandlerFuncs{OnReceiveData: func(c *Conn, data []byte) { c.Write(data) }}
	})
	if err != nil {
		log.Error("listen", "err", err)
		return 1
	}
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		log.Error("readdir", "err", err)
		return 1
	}
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		log.Error("getrlimit", "err", err)
		return 1
	}
	setInt(&lim.Cur, len(ents)+emfileRoom) // the ReadDir fd is closed again
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		log.Error("setrlimit", "err", err)
		return 1
	}
	fmt.Printf("addr %s\n", l.Addr())
	go func() {
		io.Copy(io.Discard, os.Stdin)
		r.Stop()
	}()
	if err := r.Run(); err != nil {
		log.Error("run", "err", err)
		return 1
	}
	return 0
}

// setInt sets an Rlimit field, uint64 on Linux and int64 on some BSDs.
func setInt[T ~int64 | ~uint64](p *T, v int) { *p = T(v) }

// emfileRoom is how many fds the child may open beyond those it has.
const emfileRoom = 8

// startChild starts the test binary as helper process name and returns it
// with its stdout lines, its stdin (closing it stops the child), its stderr
// and a channel that gets Wait's result. The child is killed at cleanup if
// still running.
func startChild(t *testing.T, name string) (*exec.Cmd, <-chan string, io.WriteCloser, *nettest.Buffer, <-chan error) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+name)
	stderr := &nettest.Buffer{}
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	sc := bufio.NewScanner(stdout)
	lines := make(chan string, 16)
	exited := make(chan error, 1)
	go func() {
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		exited <- cmd.Wait() // after stdout is drained, as Wait requires
	}()
	t.Cleanup(func() {
		stdin.Close()
		cmd.Process.Kill() // an error once it has exited: fine
		if t.Failed() {
			t.Logf("child %s stderr:\n%s", name, stderr)
		}
	})
	return cmd, lines, stdin, stderr, exited
}

// childLine returns the rest of the child's next stdout line that starts
// with prefix.
func childLine(t *testing.T, lines <-chan string, prefix string) string {
	t.Helper()
	timeout := time.After(waitTimeout)
	for {
		select {
		case s, ok := <-lines:
			require.True(t, ok, "child exited before printing %q", prefix)
			if rest, found := strings.CutPrefix(s, prefix); found {
				return rest
			}
		case <-timeout:
			t.Fatalf("child did not print %q", prefix)
			return ""
		}
	}
}

// cpuTicks returns the user+system CPU time of process pid in clock ticks
// (1/100 s on Linux).
func cpuTicks(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	require.NoError(t, err)
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:]) // after "pid (comm) "
	var utime, stime int64
	_, err = fmt.Sscan(fields[11], &utime) // field 14 of the full line
	require.NoError(t, err)
	_, err = fmt.Sscan(fields[12], &stime)
	require.NoError(t, err)
	return utime + stime
}
