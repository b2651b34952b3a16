package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"time"

	"github.com/evmachine/evmachine/bench/internal/procfs"
)

// server is the redis-server the clients talk to.
type server struct {
	cmd  *exec.Cmd
	addr string
	dir  string
}

// startServer runs redis-server on a free loopback port, pinned to cpu,
// without persistence, and waits for it to answer.
func startServer(cpu int) (*server, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	dir, err := os.MkdirTemp("", "evm-redis-bench")
	if err != nil {
		return nil, err
	}
	args := []string{"redis-server", "--bind", "127.0.0.1", "--port", strconv.Itoa(port),
		"--save", "", "--appendonly", "no", "--dir", dir, "--loglevel", "warning"}
	if _, err := exec.LookPath("taskset"); err == nil {
		args = append([]string{"taskset", "-c", strconv.Itoa(cpu)}, args...)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = deathSig()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), dir: dir}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if ping(s.addr) == nil {
			return s, nil
		}
	}
	s.stop()
	return nil, fmt.Errorf("redis-server did not answer on %s", s.addr)
}

func ping(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || line != "+PONG\r\n" {
		return fmt.Errorf("PING: %q %v", line, err)
	}
	return nil
}

// cpu returns the server's CPU time so far.
func (s *server) cpu() time.Duration {
	st, err := procfs.ReadStat(s.cmd.Process.Pid)
	if err != nil {
		return 0
	}
	return st.CPU()
}

// stop kills the server by its PID and removes its directory.
func (s *server) stop() {
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	os.RemoveAll(s.dir)
}
