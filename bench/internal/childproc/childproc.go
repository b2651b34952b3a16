// Package childproc is what the benchmark commands (bench, bench/http)
// share to run their servers: child processes stopped by their PID, their
// output's tail kept for error messages, free loopback ports, the
// open-file limit and the repository's root.
package childproc

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Proc is a child process a benchmark started. It is stopped by its PID,
// never by name.
type Proc struct {
	name string
	cmd  *exec.Cmd
	out  *TailBuffer
	done chan struct{} // closed when the process has exited
	err  error         // Wait's result, valid after done
}

// Start starts argv with env added to the environment, in a session of its
// own and (on Linux) killed if the parent dies. Its output's last tail
// bytes are kept (Output), or its stdout goes to stdout when not nil.
func Start(name string, argv, env []string, tail int, stdout *os.File) (*Proc, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	out := &TailBuffer{Max: tail}
	cmd.Stdout, cmd.Stderr = out, out
	if stdout != nil {
		cmd.Stdout = stdout
	}
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = ChildAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &Proc{name: name, cmd: cmd, out: out, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// Pid is the child's process id.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Done is closed when the process has exited.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Err is Wait's result, once Done is closed.
func (p *Proc) Err() error { return p.err }

// Output is the tail of what the process wrote.
func (p *Proc) Output() string { return p.out.String() }

// Exited reports whether the process has exited.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Stop sends SIGTERM to the PID, waits up to grace, then SIGKILL.
func (p *Proc) Stop(grace time.Duration) {
	if p.Exited() {
		return
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return
	case <-time.After(grace):
	}
	p.cmd.Process.Kill()
	<-p.done
}

// WaitListening polls addr until it accepts a connection, the process
// exits, ctx ends or timeout passes.
func (p *Proc) WaitListening(ctx context.Context, addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.DialTimeout("tcp", addr, 250*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		if p.Exited() {
			return fmt.Errorf("%s exited before listening (%v): %s", p.name, p.err, p.Output())
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not listening on %s after %v: %w", p.name, addr, timeout, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// FreeAddr returns a loopback address with a port free right now.
func FreeAddr() (string, error) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("finding a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// TailBuffer keeps the last Max bytes written to it. Safe for concurrent
// use (a child's stdout and stderr share it).
type TailBuffer struct {
	Max int
	mu  sync.Mutex
	b   []byte
}

func (t *TailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if over := len(t.b) - t.Max; over > 0 {
		t.b = append(t.b[:0], t.b[over:]...)
	}
	return len(p), nil
}

func (t *TailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}

// ModulePath is the library's module path.
const ModulePath = "github.com/evmachine/evmachine"

// ModuleRoot walks up from dir to the directory holding evmachine's go.mod.
func ModuleRoot(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := abs; ; d = filepath.Dir(d) {
		b, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil {
			first, _, _ := bytes.Cut(b, []byte{'\n'})
			if strings.TrimSpace(string(first)) == "module "+ModulePath {
				return d, nil
			}
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod of %s above %s: run from the repository", ModulePath, dir)
		}
	}
}

// RaiseNoFile raises the soft open-file limit to the hard one, explicitly,
// so that the children inherit it too (Go raises its own limit at start-up
// but hands children the original one), and returns the new limit.
func RaiseNoFile() (uint64, error) {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		return 0, fmt.Errorf("getrlimit: %w", err)
	}
	r.Cur = r.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		return 0, fmt.Errorf("setrlimit: %w", err)
	}
	return uint64(r.Cur), nil // int64 on the BSDs
}
