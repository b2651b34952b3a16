package reactor

import (
	"errors"
	"fmt"
	"syscall"
)

// ProcessWatcher receives a ProcessWatch's events (EventMachine's
// EM::ProcessWatch). The loop calls its methods on the reactor goroutine.
type ProcessWatcher interface {
	// ProcessExited runs once, when the process has exited, with how it
	// ended where the kernel said (see ProcessStatus). The watch ends
	// then: Unbind follows with a nil reason.
	ProcessExited(w *ProcessWatch, status ProcessStatus)
	// Unbind runs exactly once, when the watch ends: nil after
	// ProcessExited or Close, ErrStopped when the reactor stopped (a
	// Shutdown does not wait for watches).
	Unbind(w *ProcessWatch, reason error)
}

// ProcessWatcherFuncs implements ProcessWatcher with closures; nil fields
// do nothing.
type ProcessWatcherFuncs struct {
	OnExited func(w *ProcessWatch, status ProcessStatus)
	OnUnbind func(w *ProcessWatch, reason error)
}

func (f ProcessWatcherFuncs) ProcessExited(w *ProcessWatch, st ProcessStatus) {
	if f.OnExited != nil {
		f.OnExited(w, st)
	}
}

func (f ProcessWatcherFuncs) Unbind(w *ProcessWatch, reason error) {
	if f.OnUnbind != nil {
		f.OnUnbind(w, reason)
	}
}

// ProcessStatus is how a watched process ended. Known is false when the
// kernel did not say: on Linux the status is read (without reaping, so a
// cmd.Wait elsewhere still gets it) only for a child of this process that
// nobody has reaped yet; on FreeBSD, NetBSD and OpenBSD the kernel reports
// it for any process; on macOS for children only.
type ProcessStatus struct {
	Known  bool
	Code   int            // the exit code; -1 when a signal ended the process
	Signal syscall.Signal // the signal that ended it; 0 when it exited
}

// Success reports whether the process is known to have exited with code 0.
func (s ProcessStatus) Success() bool { return s.Known && s.Code == 0 && s.Signal == 0 }

func (s ProcessStatus) String() string {
	switch {
	case !s.Known:
		return "exited (status unknown)"
	case s.Signal != 0:
		return "signal: " + s.Signal.String()
	}
	return fmt.Sprintf("exit status %d", s.Code)
}

// statusOf turns a wait status into a ProcessStatus.
func statusOf(ws syscall.WaitStatus) ProcessStatus {
	if ws.Signaled() {
		return ProcessStatus{Known: true, Code: -1, Signal: ws.Signal()}
	}
	return ProcessStatus{Known: true, Code: ws.ExitStatus()}
}

// ProcessWatch watches one process for its exit, as EM.watch_process, on
// every OS evmachine runs on (EventMachine's needs kqueue): a pidfd in the
// poller on Linux (5.3 and later), EVFILT_PROC on the BSDs and macOS. It
// never reaps the process. Its methods must be called on the reactor
// goroutine.
type ProcessWatch struct {
	r    *Reactor
	h    ProcessWatcher
	pid  int
	fd   int    // the pidfd (Linux) or the watch's own kqueue (BSD); -1 once ended
	born uint64 // r.iter when registered: events of that batch predate it
}

func (*ProcessWatch) ownsFd() {}

// WatchProcess watches the process pid and calls h.ProcessExited when it
// exits, as EM.watch_process. A pid that names no process is an error
// that wraps syscall.ESRCH; so is a process that has exited and been
// reaped. On Linux a child of this process that has exited but is not
// reaped yet (a zombie) is reported at once. h must not be nil. Must be
// called on the reactor goroutine.
func (r *Reactor) WatchProcess(pid int, h ProcessWatcher) (*ProcessWatch, error) {
	if r.cfg.loopCheck {
		r.checkLoop("Reactor.WatchProcess")
	}
	if h == nil {
		return nil, errors.New("reactor: WatchProcess needs a ProcessWatcher")
	}
	if pid <= 0 {
		return nil, fmt.Errorf("reactor: WatchProcess %d: %w", pid, syscall.ESRCH)
	}
	if r.stopReq.Load() && r.ran {
		return nil, ErrNotRunning
	}
	w := &ProcessWatch{r: r, h: h, pid: pid, fd: -1}
	if err := w.open(); err != nil {
		return nil, fmt.Errorf("reactor: WatchProcess %d: %w", pid, err)
	}
	if err := r.poller.Add(w.fd, true, false); err != nil {
		closeFd(w.fd)
		return nil, fmt.Errorf("reactor: WatchProcess %d: %w", pid, err)
	}
	w.born = r.iter
	r.fds.set(w.fd, w)
	return w, nil
}

// Pid returns the watched process's id.
func (w *ProcessWatch) Pid() int { return w.pid }

// Close stops watching, as stop_watching: Unbind runs with a nil reason
// before Close returns, and nothing else is called after it. It returns
// ErrClosed if the watch had already ended.
func (w *ProcessWatch) Close() error {
	if w.r.cfg.loopCheck {
		w.r.checkLoop("ProcessWatch.Close")
	}
	if w.fd < 0 {
		return ErrClosed
	}
	w.end(nil)
	return nil
}

// ready handles the readiness of the watch's fd: the process has exited.
func (w *ProcessWatch) ready() {
	if w.fd < 0 || w.born == w.r.iter {
		return // ended, or registered during this batch on a reused fd number
	}
	st, exited := w.exitStatus()
	if !exited {
		return
	}
	w.release()
	w.r.safeCall(func() { w.h.ProcessExited(w, st) })
	w.r.safeCall(func() { w.h.Unbind(w, nil) })
}

// end ends the watch with reason.
func (w *ProcessWatch) end(reason error) {
	if w.fd < 0 {
		return
	}
	w.release()
	w.r.safeCall(func() { w.h.Unbind(w, reason) })
}

// release takes the watch's fd out of the table and closes it (which
// also removes it from the poller).
func (w *ProcessWatch) release() {
	w.r.fds.clear(w.fd, w)
	closeFd(w.fd)
	w.fd = -1
}
