package selfexec

import (
	"bufio"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Process is the program running as a child of a test: its stderr (the
// log) is kept line by line, its stdout comes line by line on Out, and it
// is killed by its PID at cleanup.
type Process struct {
	Out    chan string   // stdout lines; closed at its end
	Exited chan struct{} // closed once it has exited and both pipes are read
	Err    error         // its exit error (nil: status 0), set when Exited closes
	Pid    int

	wait  time.Duration // bounds every wait on it
	mu    sync.Mutex
	lines []string      // stderr so far
	ended bool          // stderr is at its end
	more  chan struct{} // a line (or the end) came
	next  int           // WaitLog's place in lines
}

// Start runs this test binary as the program name with args (Command)
// and reads its output; wait bounds every wait on it. It fails the test
// if the program cannot start.
func Start(t testing.TB, name string, wait time.Duration, args ...string) *Process {
	t.Helper()
	cmd := Command(t, name, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatalf("selfexec: %v", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("selfexec: %v", err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("selfexec: starting %s: %v", name, err)
	}
	p := &Process{Out: make(chan string, 1024), Exited: make(chan struct{}), Pid: cmd.Process.Pid,
		wait: wait, more: make(chan struct{}, 1)}
	logDone := make(chan struct{})
	go func() {
		defer close(logDone)
		for sc := bufio.NewScanner(stderr); sc.Scan(); {
			t.Log(sc.Text())
			p.add(sc.Text(), false)
		}
		p.add("", true)
	}()
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			p.Out <- sc.Text()
		}
		close(p.Out)
		<-logDone // Wait closes the pipes: both are read to their end first
		p.Err = cmd.Wait()
		close(p.Exited)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill() // by its PID; an error once it has exited: fine
		select {
		case <-p.Exited:
		case <-time.After(wait):
			t.Errorf("selfexec: %s (pid %d) did not exit", name, p.Pid)
		}
	})
	return p
}

func (p *Process) add(line string, end bool) {
	p.mu.Lock()
	if end {
		p.ended = true
	} else {
		p.lines = append(p.lines, line)
	}
	p.mu.Unlock()
	select {
	case p.more <- struct{}{}:
	default:
	}
}

// WaitLog waits for a log line after the last one WaitLog matched that
// matches re, and returns its submatches. It fails the test if the
// program's log ends first or nothing matches within the wait.
func (p *Process) WaitLog(t testing.TB, re string) []string {
	t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.After(p.wait)
	for {
		p.mu.Lock()
		for p.next < len(p.lines) {
			l := p.lines[p.next]
			p.next++
			if m := rx.FindStringSubmatch(l); m != nil {
				p.mu.Unlock()
				return m
			}
		}
		ended := p.ended
		p.mu.Unlock()
		if ended {
			t.Fatalf("selfexec: the program's log ended without a line matching %q", re)
		}
		select {
		case <-p.more:
		case <-deadline:
			t.Fatalf("selfexec: no log line matching %q within %v", re, p.wait)
		}
	}
}

// Stop sends SIGTERM and Waits.
func (p *Process) Stop(t testing.TB) (log string, rest []string) {
	t.Helper()
	p.Signal(t, syscall.SIGTERM)
	return p.Wait(t)
}

// Signal sends sig to the program, by its PID.
func (p *Process) Signal(t testing.TB, sig syscall.Signal) {
	t.Helper()
	if err := syscall.Kill(p.Pid, sig); err != nil {
		t.Fatalf("selfexec: %v: %v", sig, err)
	}
}

// Wait reads what is left of stdout, waits for the exit (within the wait)
// and fails the test unless the status is 0. It returns the whole log and
// the stdout lines nobody had read.
func (p *Process) Wait(t testing.TB) (log string, rest []string) {
	t.Helper()
	deadline := time.After(p.wait)
	for out := p.Out; out != nil; {
		select {
		case line, ok := <-out:
			if !ok {
				out = nil
				break
			}
			rest = append(rest, line)
		case <-deadline:
			t.Fatalf("selfexec: the program did not exit within %v", p.wait)
		}
	}
	select {
	case <-p.Exited:
	case <-deadline:
		t.Fatalf("selfexec: the program did not exit within %v", p.wait)
	}
	p.mu.Lock()
	log = strings.Join(p.lines, "\n")
	p.mu.Unlock()
	if p.Err != nil {
		t.Fatalf("selfexec: exit: %v; log:\n%s", p.Err, log)
	}
	return log, rest
}
