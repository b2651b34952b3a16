package main

import (
	"bufio"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/evmachine/evmachine/internal/selfexec"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const watchdog = 20 * time.Second // bounds every wait; never a measurement

// TestMain lets a test run the real program as a child process
// (internal/selfexec).
func TestMain(m *testing.M) { selfexec.Main(m, "tail", main) }

// tailProcess is the program running as a child process.
type tailProcess struct {
	cmd    *exec.Cmd
	log    chan string // stderr
	out    chan string // stdout, closed at its end
	exited chan struct{}
	werr   error
}

func startTail(t *testing.T, args ...string) *tailProcess {
	t.Helper()
	p := &tailProcess{log: make(chan string, 1024), out: make(chan string, 1024), exited: make(chan struct{})}
	p.cmd = selfexec.Command(t, "tail", args...)
	stderr, err := p.cmd.StderrPipe()
	require.NoError(t, err)
	stdout, err := p.cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, p.cmd.Start())
	stderrDone := make(chan struct{})
	go func() {
		defer close(stderrDone)
		for sc := bufio.NewScanner(stderr); sc.Scan(); {
			t.Log(sc.Text())
			p.log <- sc.Text()
		}
	}()
	go func() {
		for sc := bufio.NewScanner(stdout); sc.Scan(); {
			p.out <- sc.Text()
		}
		close(p.out)
		<-stderrDone // Wait closes the pipes: both read to their end first
		p.werr = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill() // by its PID; an error once it has exited: fine
		select {
		case <-p.exited:
		case <-time.After(watchdog):
			t.Errorf("tail (pid %d) did not exit", p.cmd.Process.Pid)
		}
	})
	return p
}

// waitLog waits for a log line matching re and returns its submatches.
func (p *tailProcess) waitLog(t *testing.T, re string) []string {
	t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.After(watchdog)
	for {
		select {
		case l := <-p.log:
			if m := rx.FindStringSubmatch(l); m != nil {
				return m
			}
		case <-deadline:
			require.FailNow(t, "watchdog: no log line", "%s", re)
		}
	}
}

// expect reads the next lines from lines and checks them.
func expect(t *testing.T, lines <-chan string, want ...string) {
	t.Helper()
	for _, w := range want {
		select {
		case got := <-lines:
			require.Equal(t, w, got)
		case <-time.After(watchdog):
			require.FailNow(t, "watchdog: no line", "want %q", w)
		}
	}
}

func appendTo(t *testing.T, path, data string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	require.NoError(t, err)
	_, err = f.WriteString(data)
	require.NoError(t, err)
	require.NoError(t, f.Close())
}

// One file appended to, truncated, rotated and deleted, and another that
// appears only later; every line reaches stdout and a -serve client.
func TestTailFollowsLikeTailF(t *testing.T) {
	dir := t.TempDir()
	logPath, later := filepath.Join(dir, "app.log"), filepath.Join(dir, "later.log")
	appendTo(t, logPath, "old, not printed\n")
	p := startTail(t, "-serve", "127.0.0.1:0", "-poll", "50ms", logPath, later)
	addr := p.waitLog(t, `msg="serving the lines" addr=(\S+)`)[1]
	p.waitLog(t, `msg=following path=\S+app.log offset=17`)
	p.waitLog(t, `msg="tail started"`)

	c, err := net.DialTimeout("tcp", addr, watchdog)
	require.NoError(t, err)
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(watchdog))
	served, joined := make(chan string, 1024), make(chan struct{})
	go func() { // the client's lines, but for the pings that prove it joined
		first := true
		for sc := bufio.NewScanner(c); sc.Scan(); {
			if strings.HasSuffix(sc.Text(), ": ping") {
				if first {
					first = false
					close(joined)
				}
				continue
			}
			served <- sc.Text()
		}
	}()
	// The client is in the server's set once a line reaches it.
	for ok := false; !ok; {
		appendTo(t, logPath, "ping\n")
		expect(t, p.out, logPath+": ping")
		select {
		case <-joined:
			ok = true
		case <-time.After(50 * time.Millisecond):
		}
	}
	both := func(want ...string) {
		t.Helper()
		for i := range want {
			want[i] = logPath + ": " + want[i]
		}
		expect(t, p.out, want...)
		expect(t, served, want...)
	}

	appendTo(t, logPath, "one\ntwo\nthr")
	both("one", "two")
	appendTo(t, logPath, "ee\n")
	both("three")

	require.NoError(t, os.Truncate(logPath, 0))
	p.waitLog(t, `msg="file truncated"`)
	appendTo(t, logPath, "after truncate\n")
	both("after truncate")

	require.NoError(t, os.Rename(logPath, logPath+".1")) // rotation
	p.waitLog(t, `(moved|gone); waiting for the path`)   // the watch or the poll
	appendTo(t, logPath, "new file\n")
	p.waitLog(t, `msg=following path=\S+app.log offset=0`)
	both("new file")

	appendTo(t, logPath, "last words")
	require.NoError(t, os.Remove(logPath))
	both("last words") // the unterminated line is let go with the file
	p.waitLog(t, `(deleted|gone); waiting for the path`)
	appendTo(t, logPath, "reborn\n")
	both("reborn")

	appendTo(t, later, "hello from later\n") // a path that did not exist at the start
	expect(t, p.out, later+": hello from later")
	expect(t, served, later+": hello from later")

	require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case <-p.exited:
	case <-time.After(watchdog):
		require.FailNow(t, "tail did not exit after SIGTERM")
	}
	require.NoError(t, p.werr)
}

func TestTailFlags(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	assert.ErrorContains(t, run(log, config{poll: time.Second}, io.Discard), "no files")
	assert.ErrorContains(t, run(log, config{files: []string{"x"}}, io.Discard), "-poll")
}
