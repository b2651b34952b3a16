package main

import (
	"bufio"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
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
	p := selfexec.Start(t, "tail", watchdog, "-serve", "127.0.0.1:0", "-poll", "50ms", logPath, later)
	addr := p.WaitLog(t, `msg="serving the lines" addr=(\S+)`)[1]
	p.WaitLog(t, `msg=following path=\S+app.log offset=17`)
	p.WaitLog(t, `msg="tail started"`)

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
		expect(t, p.Out, logPath+": ping")
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
		expect(t, p.Out, want...)
		expect(t, served, want...)
	}

	appendTo(t, logPath, "one\ntwo\nthr")
	both("one", "two")
	appendTo(t, logPath, "ee\n")
	both("three")

	require.NoError(t, os.Truncate(logPath, 0))
	p.WaitLog(t, `msg="file truncated"`)
	appendTo(t, logPath, "after truncate\n")
	both("after truncate")

	require.NoError(t, os.Rename(logPath, logPath+".1")) // rotation
	p.WaitLog(t, `(moved|gone); waiting for the path`)   // the watch or the poll
	appendTo(t, logPath, "new file\n")
	p.WaitLog(t, `msg=following path=\S+app.log offset=0`)
	both("new file")

	appendTo(t, logPath, "last words")
	require.NoError(t, os.Remove(logPath))
	both("last words") // the unterminated line is let go with the file
	p.WaitLog(t, `(deleted|gone); waiting for the path`)
	appendTo(t, logPath, "reborn\n")
	both("reborn")

	appendTo(t, later, "hello from later\n") // a path that did not exist at the start
	expect(t, p.Out, later+": hello from later")
	expect(t, served, later+": hello from later")

	p.Stop(t)
}

func TestTailFlags(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	assert.ErrorContains(t, run(log, config{poll: time.Second}, io.Discard), "no files")
	assert.ErrorContains(t, run(log, config{files: []string{"x"}}, io.Discard), "-poll")
}
