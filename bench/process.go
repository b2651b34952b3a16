package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"

	"github.com/evmachine/evmachine/bench/internal/childproc"
)

// proc is a child process the runner started: a server or the load
// generator. It is stopped by its PID, never by name.
type proc = childproc.Proc

// startProc starts argv, pinned to cpu with taskset when taskset is not
// empty (taskset execs the program, so the PID is the program's own). The
// child's output's tail is kept, or its stdout goes to stdout when not nil.
func startProc(name string, argv []string, taskset string, cpu int, env []string, stdout *os.File) (*proc, error) {
	if taskset != "" {
		argv = append([]string{taskset, "-c", strconv.Itoa(cpu)}, argv...)
	}
	return childproc.Start(name, argv, env, 16<<10, stdout)
}

// startLoadgenProc starts this program in its load-generator role, pinned
// to CPU 1, and returns the read end of its stdout. The pipe is an *os.File
// handed to the child directly, so Wait never races the reader.
func startLoadgenProc(argv []string, taskset, cfgJSON string) (*proc, io.ReadCloser, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, nil, fmt.Errorf("pipe for the load generator: %w", err)
	}
	env := []string{roleEnv + "=loadgen", cfgEnv + "=" + cfgJSON}
	p, err := startProc("load generator", argv, taskset, 1, env, w)
	w.Close()
	if err != nil {
		r.Close()
		return nil, nil, err
	}
	return p, r, nil
}

// splitAddr splits host:port.
func splitAddr(addr string) (host, port string) {
	host, port, _ = net.SplitHostPort(addr)
	return host, port
}

var errSkipped = errors.New("skipped")
