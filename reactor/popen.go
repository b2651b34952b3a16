package reactor

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/evmachine/evmachine/timer"
)

// ErrPopenStdio is returned by Popen when cmd.Stdin or cmd.Stdout (or,
// with WithStderr, cmd.Stderr) is already set: the Conn is those.
var ErrPopenStdio = errors.New("reactor: Popen: cmd.Stdin or cmd.Stdout already set")

// After a local close of a Popen Conn, a child that has not exited is
// sent SIGTERM after popenTermAfter and SIGKILL popenKillAfter later
// (EventMachine's reap escalation, without blocking the loop).
const (
	popenTermAfter = 500 * time.Millisecond
	popenKillAfter = time.Second
)

// WithStderr makes a Popen Conn read the child's standard error too,
// merged with its standard output in the order the child writes them.
// Without it, a cmd.Stderr the program set is honoured, and a nil one
// discards the output (os/exec's /dev/null). Listen and Connect ignore it.
func WithStderr() ConnOption { return func(c *connConfig) { c.stderr = true } }

// Popen starts cmd with its standard input and output connected to a
// new Conn, as EM.popen: Write goes to the child's stdin, ReceiveData gets
// its stdout, CloseWrite closes its stdin (the child reads EOF) while its
// output goes on being read. The two ends are a Unix socket pair, as
// EventMachine's; the child's end is blocking, as a program expects. cmd
// must be fresh, with Stdin and Stdout nil (else ErrPopenStdio); Args,
// Env, Dir, ExtraFiles, SysProcAttr and a cmd.Stderr are honoured. An
// error (the program cannot start, a stopped reactor) means no Conn and
// no callbacks; otherwise PostInit runs before Popen returns. opts are
// the ConnOptions that apply to any Conn (WithInactivityTimeout,
// WithMaxOutbound) and WithStderr.
//
// Unbind runs once the child has exited and its output has been read to
// the end, never before: when the child's output ends (EOF; or EPIPE,
// ECONNRESET: its end broke, and what it wrote before is delivered
// first), the reason is cmd.Wait's result: nil for exit status 0, an
// *exec.ExitError otherwise (errors.As finds it, with the code). A
// grandchild that inherited the child's stdout keeps the output open, and
// the Conn with it, until it exits too. cmd.ProcessState is set when
// Unbind runs (EM's get_status; cmd.Process.Pid is get_pid). The reactor
// calls cmd.Wait: the program must not.
//
// The loop never blocks on the child: on Linux a pidfd in the poller
// says when it exited, and cmd.Wait then returns at once; elsewhere, and
// when cmd.Stderr is a writer os/exec copies from (its copy could outlast
// the child), a goroutine waits and tells the loop.
//
// A local end (Close, CloseAfterWriting, Shutdown, a timeout, a panic)
// closes the socket (the child reads EOF, and its writes fail with EPIPE
// or SIGPIPE); Unbind, with the local reason, still waits for the exit,
// and a child still running after popenTermAfter (0.5 s) gets SIGTERM,
// then SIGKILL 1 s later. Stop kills running children (SIGKILL, as for
// System) and reaps them before Run returns, up to the WithDeferCloseGrace
// period; their Unbind has reason ErrStopped. No zombie is left behind.
// Must be called on the reactor goroutine.
func (r *Reactor) Popen(cmd *exec.Cmd, h Handler, opts ...ConnOption) (*Conn, error) {
	if r.cfg.loopCheck {
		r.checkLoop("Reactor.Popen")
	}
	if cmd == nil || h == nil {
		return nil, errors.New("reactor: Popen needs a command and a Handler")
	}
	if r.stopReq.Load() && r.ran {
		return nil, ErrNotRunning
	}
	cc := applyConnOptions(opts)
	if cmd.Stdin != nil || cmd.Stdout != nil || cc.stderr && cmd.Stderr != nil {
		return nil, ErrPopenStdio
	}
	fd, child, err := popenSocketpair()
	if err != nil {
		return nil, fmt.Errorf("reactor: Popen: %w", err)
	}
	f := os.NewFile(uintptr(child), "popen")
	cmd.Stdin, cmd.Stdout = f, f
	if cc.stderr {
		cmd.Stderr = f
	}
	err = cmd.Start()
	f.Close() // the child has its own copies
	if err != nil {
		closeFd(fd)
		return nil, fmt.Errorf("reactor: Popen: %w", err)
	}
	c, err := r.newFdConn(fd, h, &cc, 0, func(c *Conn) {
		p := &popenProc{c: c, cmd: cmd}
		if r.popens == nil {
			r.popens = make(map[*Conn]*popenProc)
		}
		r.popens[c] = p
		p.startReaper()
	})
	if err != nil {
		_ = cmd.Process.Kill()
		go cmd.Wait() // reaped off the loop
		return nil, fmt.Errorf("reactor: Popen: %w", err)
	}
	return c, nil
}

// popenProc is a Popen Conn's child, from Start until the Conn's Unbind.
type popenProc struct {
	c   *Conn
	cmd *exec.Cmd
	w   *ProcessWatch // the pidfd watch; nil when a goroutine waits

	waitDone chan struct{} // the goroutine's: closed when cmd.Wait returned
	goErr    error         // cmd.Wait's result on the goroutine (read after waitDone)

	exited    bool  // reaped: waitErr is cmd.Wait's result
	waitErr   error //
	swept     bool  // the Conn is closed and swept; Unbind waits for the exit
	adoptExit bool  // the child's side ended the Conn: Unbind gets waitErr
	term      timer.Handle
	kill      timer.Handle
}

// startReaper arranges to learn of the child's exit without blocking the
// loop: a pidfd where it works and cmd.Wait has no output to copy, else
// a goroutine that waits.
func (p *popenProc) startReaper() {
	if popenPidfd && !copiesOutput(p.cmd) {
		if w, err := p.c.r.WatchProcess(p.cmd.Process.Pid, popenReaper{p}); err == nil {
			p.w = w
			return
		}
	}
	p.waitDone = make(chan struct{})
	r := p.c.r
	go func() {
		p.goErr = p.cmd.Wait()
		close(p.waitDone)
		r.post(func() { p.reaped(p.goErr) })
	}()
}

// copiesOutput reports whether os/exec copies the child's stderr through
// a goroutine of its own, which cmd.Wait waits for.
func copiesOutput(cmd *exec.Cmd) bool {
	_, isFile := cmd.Stderr.(*os.File)
	return cmd.Stderr != nil && !isFile
}

// popenReaper hears the pidfd watch of a Popen child.
type popenReaper struct{ p *popenProc }

func (pr popenReaper) ProcessExited(*ProcessWatch, ProcessStatus) {
	pr.p.w = nil
	pr.p.reaped(pr.p.cmd.Wait()) // the child has exited: returns at once
}

func (pr popenReaper) Unbind(*ProcessWatch, error) { pr.p.w = nil }

// reaped records cmd.Wait's result; a swept Conn's Unbind runs now.
func (p *popenProc) reaped(err error) {
	if p.exited {
		return
	}
	p.exited, p.waitErr = true, err
	p.term.Cancel()
	p.kill.Cancel()
	if p.swept {
		p.finish()
	}
}

// finish runs the Conn's Unbind, whose reason is the exit's when the
// child's side ended the Conn.
func (p *popenProc) finish() {
	r := p.c.r
	delete(r.popens, p.c)
	if p.adoptExit {
		p.c.reason = p.waitErr
	}
	r.nconns--
	r.unbind(p.c)
}

// popenSwept runs when a Conn is swept, before its fd closes, and reports
// whether its Unbind must wait for its child's exit (release, conn_io.go).
func (r *Reactor) popenSwept(c *Conn) bool {
	p := r.popens[c]
	if p == nil {
		return false
	}
	c.flags &^= fLinger // nobody to linger for: the child's end closes with it
	p.swept = true
	p.adoptExit = childEnded(c.reason)
	if p.adoptExit && c.fd >= 0 && c.isPlain() && c.flags&(fPaused|fReadClosed|fCloseAfterWriting) == 0 {
		r.salvage(c)
	}
	switch {
	case p.exited:
		delete(r.popens, c)
		if p.adoptExit {
			c.reason = p.waitErr
		}
		return false
	case r.stopReq.Load():
		_ = p.cmd.Process.Kill() // reapChildren reaps it
	case !p.adoptExit:
		p.term = r.timers.Schedule(popenTermAfter, p.sigterm)
	}
	return true
}

// childEnded reports whether a Conn's close reason comes from the child's
// side of the socket (its output ended or its end broke).
func childEnded(reason error) bool {
	return errors.Is(reason, io.EOF) || errors.Is(reason, syscall.EPIPE) || errors.Is(reason, syscall.ECONNRESET)
}

// salvage delivers the child's output still unread when the Conn ends on
// a broken write (the child has gone): nothing it wrote is lost. The child
// is gone, so its output is finite; the reads are bounded all the same.
func (r *Reactor) salvage(c *Conn) {
	for range 4 * readBudget {
		n, err := readFd(c.fd, r.readBuf)
		if n <= 0 {
			if err == errIntr {
				continue
			}
			return
		}
		r.stats.bytesIn += uint64(n)
		r.receive(c, r.readBuf[:n])
	}
}

func (p *popenProc) sigterm() {
	if p.exited {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	p.kill = p.c.r.timers.Schedule(popenKillAfter, func() {
		if !p.exited {
			_ = p.cmd.Process.Kill()
		}
	})
}

// reapChildren runs when the loop stops, after every Conn was swept: each
// child still running is killed, all are reaped (up to the defer close
// grace, on goroutines: a killed child exits at once unless the kernel
// holds it), and the Unbinds that waited for them run.
func (r *Reactor) reapChildren() {
	if len(r.popens) == 0 {
		return
	}
	grace := DefaultDeferCloseGrace
	if r.cfg.deferCfg.graceSet {
		grace = r.cfg.deferCfg.grace
	}
	deadline := time.NewTimer(grace)
	defer deadline.Stop()
	for _, p := range r.popens {
		if p.exited {
			continue
		}
		_ = p.cmd.Process.Kill()
		if p.waitDone == nil {
			if p.w != nil {
				p.w.Close()
			}
			p.waitDone = make(chan struct{})
			go func() {
				p.goErr = p.cmd.Wait()
				close(p.waitDone)
			}()
		}
	}
	for _, p := range r.popens {
		if !p.exited {
			select {
			case <-p.waitDone:
				p.exited, p.waitErr = true, p.goErr
			case <-deadline.C:
				r.log.Warn("reactor: Popen child not reaped after stop", "pid", p.cmd.Process.Pid, "grace", grace)
				deadline.Reset(0)
			}
		}
		p.term.Cancel()
		p.kill.Cancel()
		if p.swept {
			p.finish()
		}
	}
}
