// Package redistest starts a real redis-server for the tests of the
// packages that talk to Redis (protocols/redis, jobs, examples). It is
// for tests only.
package redistest

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
)

// StopWithin bounds how long Kill waits for the server to exit.
const StopWithin = 20 * time.Second

// Server is a redis-server started by a test on a free loopback port.
type Server struct {
	t    testing.TB
	Port int
	Addr string   // 127.0.0.1:Port
	Args []string // redis-server's arguments
	cmd  *exec.Cmd
	done chan struct{}
}

// Start starts redis-server on a free loopback port, with no persistence
// and extra arguments, and waits until it answers PING. It skips the test
// if redis-server is not installed, and fails it instead when the
// environment variable CI is set. The server is killed (by PID) in
// t.Cleanup.
func Start(t testing.TB, extra ...string) *Server {
	t.Helper()
	return start(t, false, extra)
}

// StartTLS is Start with TLS only: the port is redis-server's --tls-port
// and the plain port is off. extra must hold the certificate options.
func StartTLS(t testing.TB, extra ...string) *Server {
	t.Helper()
	return start(t, true, extra)
}

// Require skips the test if tool is not on PATH, or fails it under CI;
// pkg names the Debian package that provides it.
func Require(t testing.TB, tool, pkg string) {
	t.Helper()
	if _, err := exec.LookPath(tool); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is missing under CI; .ci/run must install the Debian package %s", tool, pkg)
		}
		t.Skipf("%s is not installed (Debian: apt-get install %s); skipping", tool, pkg)
	}
}

func start(t testing.TB, tls bool, extra []string) *Server {
	t.Helper()
	Require(t, "redis-server", "redis-server")
	s := &Server{t: t}
	for try := 0; ; try++ {
		s.Port = FreePort(t)
		ports := []string{"--port", strconv.Itoa(s.Port)}
		if tls {
			ports = []string{"--port", "0", "--tls-port", strconv.Itoa(s.Port)}
		}
		s.Args = append(append([]string{"--bind", "127.0.0.1"}, ports...),
			"--save", "", "--appendonly", "no", "--dir", t.TempDir(), "--loglevel", "warning")
		s.Args = append(s.Args, extra...)
		if err := s.start(); err == nil {
			break
		} else if try == 5 {
			require.NoError(t, err)
		}
	}
	s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port))
	t.Cleanup(s.Kill)
	return s
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// PID returns the server's process id (0 when it is not running).
func (s *Server) PID() int {
	if s.cmd == nil || s.cmd.Process == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

// start runs the server with s.Args and waits for it to answer.
func (s *Server) start() error {
	cmd := exec.Command("redis-server", s.Args...)
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
			return fmt.Errorf("redis-server exited at start (port %d taken?): %s", s.Port, log.String())
		default:
		}
		if s.ping() == nil {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.Kill()
	return fmt.Errorf("redis-server did not answer on port %d", s.Port)
}

// ping checks the server with a plain blocking client. A TLS-only server
// (no plain port) counts as up once its port accepts connections.
func (s *Server) ping() error {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port))
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

func (s *Server) tlsOnly() bool {
	for i, a := range s.Args {
		if a == "--tls-port" && i+1 < len(s.Args) && s.Args[i+1] == strconv.Itoa(s.Port) {
			return true
		}
	}
	return false
}

// Kill stops the server with SIGKILL, by its PID, and waits for it.
func (s *Server) Kill() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(s.cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-s.done:
	case <-time.After(StopWithin):
		s.t.Errorf("redis-server (pid %d) did not exit", s.cmd.Process.Pid)
	}
	s.cmd = nil
}

// Restart starts the server again on the same port.
func (s *Server) Restart() {
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
