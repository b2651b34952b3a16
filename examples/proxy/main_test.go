package main

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/evmachine/evmachine/internal/nettest"
	"github.com/evmachine/evmachine/internal/selfexec"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const waitFor = 20 * time.Second // bounds every wait; never a measurement

// TestMain lets a test signal a real proxy process (internal/selfexec).
func TestMain(m *testing.M) { selfexec.Main(m, "proxy", main) }

// start runs the proxy in this process; Cleanup stops it and checks run's
// result.
func start(t *testing.T, cfg config) (string, *nettest.Buffer) {
	t.Helper()
	logs := &nettest.Buffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	cfg.listen, cfg.connectTimeout, cfg.grace = "127.0.0.1:0", 2*time.Second, 2*time.Second
	stop, hard := make(chan struct{}), make(chan struct{})
	addrc, done := make(chan string, 1), make(chan error, 1)
	go func() { done <- run(log, cfg, stop, hard, func(a string) { addrc <- a }) }()
	var addr string
	select {
	case addr = <-addrc:
	case err := <-done:
		require.FailNow(t, "run failed", "%v", err)
	case <-time.After(waitFor):
		require.FailNow(t, "proxy did not start")
	}
	t.Cleanup(func() {
		close(stop)
		select {
		case err := <-done:
			assert.NoError(t, err)
		case <-time.After(waitFor):
			t.Error("proxy did not stop")
		}
		if t.Failed() {
			t.Logf("proxy log:\n%s", logs)
		}
	})
	return addr, logs
}

// backend runs a Go server that answers with tag and then echoes.
func backend(t *testing.T, tag string) string {
	t.Helper()
	return nettest.Serve(t, func(c *net.TCPConn) {
		c.SetDeadline(time.Now().Add(waitFor))
		c.Write([]byte(tag))
		io.Copy(c, c)
		c.CloseWrite()
	})
}

// exchange sends msg, half-closes and returns everything read back.
func exchange(t *testing.T, addr, msg string) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, waitFor)
	require.NoError(t, err)
	defer c.Close()
	c.SetDeadline(time.Now().Add(waitFor))
	// A proxy that closes the connection at once (refusing backend) may
	// fail the write or the half-close (reset, broken pipe, not connected).
	if _, err = c.Write([]byte(msg)); err == nil {
		err = c.(*net.TCPConn).CloseWrite()
	}
	if err != nil {
		assert.True(t, errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ENOTCONN), "%v", err)
	}
	got, err := io.ReadAll(c)
	if err != nil {
		assert.ErrorContains(t, err, "reset")
	}
	return string(got)
}

func TestModes(t *testing.T) {
	a, b := backend(t, "A:"), backend(t, "B:")
	req := "GET / HTTP/1.1\r\nHost: b.example\r\n\r\n"
	for _, tc := range []struct {
		name string
		cfg  config
		want string
	}{
		{"relay", config{backend: a}, "A:" + req},
		{"relay without splice", config{backend: a, noSplice: true}, "A:" + req},
		{"duplex", config{backend: a, duplicate: b}, "A:" + req},
		{"duplex, staging refusing", config{backend: a, duplicate: nettest.RefusedAddr(t)}, "A:" + req},
		{"router", config{route: "host:a.example=" + a + ",host:b.example=" + b}, "B:" + req},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr, _ := start(t, tc.cfg)
			assert.Equal(t, tc.want, exchange(t, addr, req))
		})
	}
}

func TestRefusingBackendClosesClientWithOneLogLine(t *testing.T) {
	addr, logs := start(t, config{backend: nettest.RefusedAddr(t)})
	assert.Empty(t, exchange(t, addr, "hello"))
	deadline := time.Now().Add(waitFor)
	for !strings.Contains(logs.String(), "backend connect failed") && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	assert.Equal(t, 1, strings.Count(logs.String(), "level=WARN"), "one log line:\n%s", logs)
	assert.Equal(t, "A:x", exchange(t, mustStart(t, backend(t, "A:")), "x"), "and it still serves")
}

func mustStart(t *testing.T, be string) string {
	addr, _ := start(t, config{backend: be})
	return addr
}

func TestBadFlags(t *testing.T) {
	for _, cfg := range []config{{}, {route: "x"}, {route: "default=1:2", backend: "1:2"}} {
		cfg.listen = "127.0.0.1:0"
		assert.Error(t, run(slog.New(slog.DiscardHandler), cfg, nil, nil, nil))
	}
}

// SIGTERM stops a real proxy process gracefully: a client in the middle of
// an exchange gets its answer, the process logs "proxy stopped" and exits 0.
func TestSignalStopsGracefully(t *testing.T) {
	be := backend(t, "A:")
	p := selfexec.Start(t, "proxy", waitFor, "-listen", "127.0.0.1:0", "-backend", be, "-grace", "5s")
	addr := p.WaitLog(t, `msg="proxy listening".* addr=(\S+)`)[1]
	c, err := net.DialTimeout("tcp", addr, waitFor)
	require.NoError(t, err)
	defer c.Close()
	c.SetDeadline(time.Now().Add(waitFor))
	_, err = c.Write([]byte("in flight"))
	require.NoError(t, err)
	got := make([]byte, len("A:in flight"))
	_, err = io.ReadFull(c, got)
	require.NoError(t, err)

	p.Signal(t, syscall.SIGTERM)
	rest, _ := io.ReadAll(c) // the proxy closes the client after flushing
	assert.Empty(t, rest)
	c.Close()           // (else the proxy's lingering close waits for it)
	all, _ := p.Wait(t) // exit status 0
	assert.Contains(t, all, "stopping gracefully")
	assert.Contains(t, all, "proxy stopped")
	assert.Equal(t, "A:in flight", string(got))
}

// A port already in use is reported on stderr and the program exits 1,
// instead of hanging or exiting 0.
func TestPortInUse(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer taken.Close()
	cmd := selfexec.Command(t, "proxy", "-listen", taken.Addr().String(), "-backend", "127.0.0.1:9")
	stderr, err := selfexec.Run(t, cmd, waitFor)
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, "stderr: %s", stderr)
	assert.Equal(t, 1, exit.ExitCode())
	assert.Contains(t, stderr, "address already in use")
}
