package main

import (
	"bufio"
	"encoding/json"
	"net"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/evmachine/evmachine/internal/selfexec"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMain lets a test run the real program as a child process
// (internal/selfexec).
func TestMain(m *testing.M) { selfexec.Main(m, "statsd", main) }

// statsdProcess is the program running as a child process.
type statsdProcess struct {
	cmd     *exec.Cmd
	addr    string
	log     chan string   // stderr
	flushes chan Snapshot // stdout, closed at its end
	exited  chan struct{}
	werr    error
}

// startStatsd runs the program with args on a free loopback port and waits
// for its "listening" line. At cleanup it is killed by its PID.
func startStatsd(t *testing.T, args ...string) *statsdProcess {
	t.Helper()
	p := &statsdProcess{log: make(chan string, 1024), flushes: make(chan Snapshot, 1024), exited: make(chan struct{})}
	p.cmd = selfexec.Command(t, "statsd", append([]string{"-addr", "127.0.0.1:0", "-grace", "5s"}, args...)...)
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
			select {
			case p.log <- sc.Text():
			default:
			}
		}
	}()
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var s Snapshot
			if assert.NoError(t, json.Unmarshal(sc.Bytes(), &s), "stdout line %q", sc.Text()) {
				p.flushes <- s
			}
		}
		close(p.flushes)
		<-stderrDone // Wait closes the pipes: both read to their end first
		p.werr = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill() // by its PID; an error once it has exited: fine
		select {
		case <-p.exited:
		case <-time.After(watchdog):
			t.Errorf("statsd (pid %d) did not exit", p.cmd.Process.Pid)
		}
	})
	addrRE := regexp.MustCompile(`msg="statsd listening".* addr=(\S+)`)
	for p.addr == "" {
		select {
		case l := <-p.log:
			if m := addrRE.FindStringSubmatch(l); m != nil {
				p.addr = m[1]
			}
		case <-p.exited:
			require.FailNow(t, "statsd exited before listening")
		case <-time.After(watchdog):
			require.FailNow(t, "statsd did not start")
		}
	}
	return p
}

// stop sends SIGTERM and checks the program exits 0.
func (p *statsdProcess) stop(t *testing.T) {
	t.Helper()
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
	for range p.flushes { // the last flush, then EOF
	}
	select {
	case <-p.exited:
	case <-time.After(watchdog):
		require.FailNow(t, "statsd did not exit after SIGTERM")
	}
	require.NoError(t, p.werr)
}

// Senders from several source ports (spread over the loops of -loops 2)
// send counters; the flushes, every 100 ms, add up to what was sent, and a
// Graphite endpoint gets the lines, and gets them again after it dropped
// the connection.
func TestProcessFlushesToStdoutAndGraphite(t *testing.T) {
	gl, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer gl.Close()
	p := startStatsd(t, "-flush", "100ms", "-loops", "2", "-graphite", gl.Addr().String())

	const senders, each = 8, 50
	for range senders {
		c, err := net.Dial("udp", p.addr)
		require.NoError(t, err)
		for range each {
			send(t, c, "req:1|c\nbad line")
		}
		send(t, c, "temp:7|g")
		c.Close()
	}
	var total, bad float64
	deadline := time.After(watchdog)
	for total < senders*each || bad < senders*each {
		select {
		case s := <-p.flushes:
			total += s.Counters["req"]
			bad += float64(s.Bad)
		case <-deadline:
			require.FailNow(t, "watchdog: the flushes did not add up", "req %v of %d, bad %v", total, senders*each, bad)
		}
	}
	assert.Equal(t, float64(senders*each), total, "every counter once")

	readGraphite := func() string {
		gl.(*net.TCPListener).SetDeadline(time.Now().Add(watchdog))
		c, err := gl.Accept()
		require.NoError(t, err)
		defer c.Close()
		c.SetDeadline(time.Now().Add(watchdog))
		sc := bufio.NewScanner(c)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "stats.gauges.temp ") {
				return sc.Text()
			}
		}
		require.FailNow(t, "no gauge line from statsd", "err %v", sc.Err())
		return ""
	}
	assert.Regexp(t, `^stats\.gauges\.temp 7 \d+$`, readGraphite())
	assert.Regexp(t, `^stats\.gauges\.temp 7 \d+$`, readGraphite(), "reconnected")
	p.stop(t)
}

func TestBadFlags(t *testing.T) {
	cmd := selfexec.Command(t, "statsd", "-flush", "0s")
	stderr, err := selfexec.Run(t, cmd, watchdog)
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit)
	assert.Contains(t, stderr, "-flush must be positive")
}
