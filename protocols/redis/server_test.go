package redis

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evmachine/evmachine/internal/nettest"
	"github.com/evmachine/evmachine/internal/reactortest"
	"github.com/evmachine/evmachine/reactor"
)

// watchdog bounds every loop test: a test that hangs fails instead.
const watchdog = 20 * time.Second

// server is a redis-server started by a test on a free loopback port.
type server struct {
	t    testing.TB
	port int
	addr string
	args []string
	cmd  *exec.Cmd
	done chan struct{}
}

// startServer starts redis-server on a free loopback port, with no
// persistence and extra arguments, and waits until it answers PING. It
// skips the test if redis-server is not installed. The server is killed
// (by PID) in t.Cleanup.
func startServer(t testing.TB, extra ...string) *server {
	t.Helper()
	return startServerWith(t, false, extra)
}

// startServerTLS is startServer with TLS only: the port is redis-server's
// --tls-port and the plain port is off.
func startServerTLS(t testing.TB, extra ...string) *server {
	t.Helper()
	return startServerWith(t, true, extra)
}

func startServerWith(t testing.TB, tls bool, extra []string) *server {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("redis-server is missing under CI; .ci/run must install the Debian package redis-server")
		}
		t.Skip("redis-server is not installed (Debian: apt-get install redis-server); skipping")
	}
	s := &server{t: t}
	for try := 0; ; try++ {
		s.port = freePort(t)
		ports := []string{"--port", strconv.Itoa(s.port)}
		if tls {
			ports = []string{"--port", "0", "--tls-port", strconv.Itoa(s.port)}
		}
		s.args = append(append([]string{"--bind", "127.0.0.1"}, ports...),
			"--save", "", "--appendonly", "no", "--dir", t.TempDir(), "--loglevel", "warning")
		s.args = append(s.args, extra...)
		if err := s.start(); err == nil {
			break
		} else if try == 5 {
			require.NoError(t, err)
		}
	}
	s.addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))
	t.Cleanup(s.kill)
	return s
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// start runs the server with s.args and waits for it to answer.
func (s *server) start() error {
	cmd := exec.Command("redis-server", s.args...)
	var log nettest.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		return err
	}
	s.cmd, s.done = cmd, make(chan struct{})
	go func(done chan struct{}) { _ = cmd.Wait(); close(done) }(s.done)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return fmt.Errorf("redis-server exited at start (port %d taken?): %s", s.port, log.String())
		default:
		}
		if s.ping() == nil {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.kill()
	return fmt.Errorf("redis-server did not answer on port %d", s.port)
}

// ping checks the server with a plain blocking client. A TLS-only server
// (no plain port) counts as up once its port accepts connections.
func (s *server) ping() error {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	if s.tlsOnly() {
		return nil
	}
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if line != "+PONG\r\n" && !strings.HasPrefix(line, "-NOAUTH") {
		return fmt.Errorf("PING: %q", line)
	}
	return nil
}

func (s *server) tlsOnly() bool {
	for i, a := range s.args {
		if a == "--tls-port" && i+1 < len(s.args) && s.args[i+1] == strconv.Itoa(s.port) {
			return true
		}
	}
	return false
}

// kill stops the server with SIGKILL, by its PID, and waits for it.
func (s *server) kill() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(s.cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-s.done:
	case <-time.After(watchdog):
		s.t.Errorf("redis-server (pid %d) did not exit", s.cmd.Process.Pid)
	}
	s.cmd = nil
}

// restart starts the server again on the same port.
func (s *server) restart() {
	s.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := s.start()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			require.NoError(s.t, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// startReactor runs a reactor on its own goroutine; it is stopped in
// t.Cleanup.
func startReactor(t *testing.T) *reactor.Reactor {
	t.Helper()
	return reactortest.Start(t)
}

// onLoop runs fn on the reactor goroutine and waits for it.
func onLoop(t *testing.T, r *reactor.Reactor, fn func()) {
	t.Helper()
	ran := make(chan struct{})
	r.NextTick(func() { defer close(ran); fn() })
	wait(t, ran, "a tick")
}

// dial makes a Client on r (on the loop) and closes it in t.Cleanup.
func dial(t *testing.T, r *reactor.Reactor, addr string, opts ...Option) *Client {
	t.Helper()
	var c *Client
	onLoop(t, r, func() {
		var err error
		c, err = Dial(r, addr, opts...)
		require.NoError(t, err)
	})
	t.Cleanup(func() {
		done := make(chan struct{})
		r.NextTick(func() { c.Close(); close(done) })
		select {
		case <-done:
		case <-time.After(watchdog):
		}
	})
	return c
}

type reply struct {
	v   Value
	err error
}

// do runs one command on the loop and waits for its reply.
func do(t *testing.T, r *reactor.Reactor, c *Client, args ...any) (Value, error) {
	t.Helper()
	ch := make(chan reply, 1)
	r.NextTick(func() { c.Do(func(v Value, err error) { ch <- reply{v, err} }, args...) })
	rep := wait(t, ch, fmt.Sprint(args...))
	return rep.v, rep.err
}

// wait receives from ch within the watchdog.
func wait[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(watchdog):
		require.FailNowf(t, "watchdog", "timed out waiting for %s", what)
		var zero T
		return zero
	}
}
