package main

import (
	"bufio"
	"encoding/json"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/evmachine/evmachine/internal/selfexec"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMain lets a test run the real program as a child process
// (internal/selfexec).
func TestMain(m *testing.M) { selfexec.Main(m, "statsd", main) }

// startStatsd runs the program with args on a free loopback port and waits
// for its "listening" line; it returns the process and the address. At
// cleanup it is killed by its PID.
func startStatsd(t *testing.T, args ...string) (*selfexec.Process, string) {
	t.Helper()
	p := selfexec.Start(t, "statsd", watchdog, append([]string{"-addr", "127.0.0.1:0", "-grace", "5s"}, args...)...)
	return p, p.WaitLog(t, `msg="statsd listening".* addr=(\S+)`)[1]
}

// Senders from several source ports (spread over the loops of -loops 2)
// send counters; the flushes, every 100 ms, add up to what was sent, and a
// Graphite endpoint gets the lines, and gets them again after it dropped
// the connection.
func TestProcessFlushesToStdoutAndGraphite(t *testing.T) {
	gl, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer gl.Close()
	p, addr := startStatsd(t, "-flush", "100ms", "-loops", "2", "-graphite", gl.Addr().String())

	const senders, each = 8, 50
	var total, bad float64
	deadline := time.After(watchdog)
	// waitFlushes reads flushes until they add up to want counters and bad
	// lines. Each sender waits for its datagrams to be counted before the
	// next one sends: UDP drops what overflows the socket's buffer, and a
	// burst of 400 datagrams can, on a busy machine.
	waitFlushes := func(want float64) {
		for total < want || bad < want {
			select {
			case line := <-p.Out: // a flush, as a JSON line
				var s Snapshot
				require.NoError(t, json.Unmarshal([]byte(line), &s), "stdout line %q", line)
				total += s.Counters["req"]
				bad += float64(s.Bad)
			case <-deadline:
				require.FailNow(t, "watchdog: the flushes did not add up", "req %v of %v, bad %v", total, want, bad)
			}
		}
	}
	for i := range senders {
		c, err := net.Dial("udp", addr)
		require.NoError(t, err)
		for range each {
			send(t, c, "req:1|c\nbad line")
		}
		send(t, c, "temp:7|g")
		c.Close()
		waitFlushes(float64((i + 1) * each))
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
	_, rest := p.Stop(t)
	for _, line := range rest { // the last flush
		var s Snapshot
		assert.NoError(t, json.Unmarshal([]byte(line), &s), "stdout line %q", line)
	}
}

func TestBadFlags(t *testing.T) {
	cmd := selfexec.Command(t, "statsd", "-flush", "0s")
	stderr, err := selfexec.Run(t, cmd, watchdog)
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit)
	assert.Contains(t, stderr, "-flush must be positive")
}
