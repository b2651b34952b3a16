package reactor

import (
	"errors"
	"fmt"
	"runtime/debug"

	"github.com/evmachine/evmachine/reactor/internal/poller"
	"golang.org/x/sys/unix"
)

// Watcher receives a Watch's readiness, as an EventMachine handler's
// notify_readable and notify_writable. The loop calls its methods on the
// reactor goroutine. Notifications are level-triggered, as EventMachine's:
// while a notification is switched on and the fd stays ready, the method
// runs again every loop iteration, so a Watcher reads (or writes) until
// the fd is no longer ready, or switches the notification off.
type Watcher interface {
	NotifyReadable(w *Watch)
	NotifyWritable(w *Watch)
}

// WatchUnbinder is implemented by Watchers that want to hear when their
// Watch ends, as EventMachine's unbind for a watch-only connection:
// UnbindWatch runs once, with a nil reason after Detach, ErrStopped when the
// reactor stopped, ErrPanic after a notification panicked, or the poller's
// error if it refused a change of interest. The fd is
// still open (it is the caller's): close it here if nothing else will.
type WatchUnbinder interface {
	UnbindWatch(w *Watch, reason error)
}

// Watch is a file descriptor the reactor watches for a program that does
// its own I/O on it, as EventMachine's EM.watch: a socket, a pipe, an
// eventfd, a device, any fd epoll (or kqueue) can poll. Both notifications
// start off; SetNotifyReadable and SetNotifyWritable switch them. Its
// methods must be called on the reactor goroutine.
//
// The fd stays the caller's: the reactor polls a duplicate of it
// (close-on-exec) and never reads, writes or closes the caller's fd, nor
// changes its flags (O_NONBLOCK stays as it was: a Watcher that reads a
// blocking fd must read only what is ready, or set O_NONBLOCK itself).
// Because the reactor holds a duplicate, the file (a socket, the write end
// of a pipe) stays open until the Watch ends even if the caller closes fd:
// Detach first, then close.
type Watch struct {
	r        *Reactor
	h        Watcher
	fd       int // the caller's fd
	dup      int // the reactor's duplicate, polled; -1 once ended
	born     uint64
	readable bool // notify readable
	writable bool // notify writable
	parked   bool // hung up with no notification on: out of the poller
}

// Watch starts watching fd for h, as EM.watch; no notification is on yet.
// It fails if fd cannot be polled (epoll refuses regular files and
// directories: they are always ready) or the reactor has stopped. Stop and
// the end of a Shutdown end every Watch (UnbindWatch with ErrStopped)
// without closing fd. Must be called on the reactor goroutine.
func (r *Reactor) Watch(fd int, h Watcher) (*Watch, error) {
	if r.cfg.loopCheck {
		r.checkLoop("Reactor.Watch")
	}
	if h == nil {
		return nil, errors.New("reactor: Watch needs a Watcher")
	}
	if r.stopReq.Load() && r.ran {
		return nil, ErrNotRunning
	}
	dup, err := dupFd(fd)
	if err != nil {
		return nil, fmt.Errorf("reactor: watch fd %d: %w", fd, err)
	}
	if err := r.poller.Add(dup, false, false); err != nil {
		closeFd(dup)
		return nil, fmt.Errorf("reactor: watch fd %d: %w", fd, err)
	}
	w := &Watch{r: r, h: h, fd: fd, dup: dup, born: r.iter}
	r.fds.set(dup, w)
	return w, nil
}

func (*Watch) ownsFd() {}

// dupFd duplicates fd with close-on-exec set, as the reactor's own copy.
func dupFd(fd int) (int, error) {
	nfd, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return -1, syscallErr("fcntl F_DUPFD_CLOEXEC", err)
	}
	return nfd, nil
}

// Fd returns the watched fd, the caller's (not the reactor's duplicate).
func (w *Watch) Fd() int { return w.fd }

// Watcher returns the Watch's Watcher.
func (w *Watch) Watcher() Watcher { return w.h }

// Watching reports whether the Watch is still on (not detached or ended).
func (w *Watch) Watching() bool { return w.dup >= 0 }

// SetNotifyReadable switches NotifyReadable on or off, as
// notify_readable=. It may be called from a notification.
func (w *Watch) SetNotifyReadable(on bool) {
	if w.r.cfg.loopCheck {
		w.r.checkLoop("Watch.SetNotifyReadable")
	}
	w.readable = on
	w.updateInterest()
}

// SetNotifyWritable switches NotifyWritable on or off, as
// notify_writable=. It may be called from a notification.
func (w *Watch) SetNotifyWritable(on bool) {
	if w.r.cfg.loopCheck {
		w.r.checkLoop("Watch.SetNotifyWritable")
	}
	w.writable = on
	w.updateInterest()
}

// NotifyReadable reports whether NotifyReadable is on, as notify_readable?.
func (w *Watch) NotifyReadable() bool { return w.readable }

// NotifyWritable reports whether NotifyWritable is on, as notify_writable?.
func (w *Watch) NotifyWritable() bool { return w.writable }

// Detach stops watching, as detach on a watch-only connection: the fd is
// left open and untouched, and the Watcher's UnbindWatch, if it has one,
// runs with a nil reason before Detach returns. Detaching twice returns
// ErrClosed. Must be called on the reactor goroutine.
func (w *Watch) Detach() error {
	if w.r.cfg.loopCheck {
		w.r.checkLoop("Watch.Detach")
	}
	if w.dup < 0 {
		return ErrClosed
	}
	w.end(nil)
	return nil
}

// end takes the Watch out of the poller and the fd table, closes the
// duplicate and calls UnbindWatch.
func (w *Watch) end(reason error) {
	if w.dup < 0 {
		return
	}
	r := w.r
	r.fds.clear(w.dup, w)
	if !w.parked {
		// Closing the duplicate does not take it out of epoll: the
		// caller's fd keeps the file open, and with it the registration.
		r.poller.Del(w.dup)
	}
	closeFd(w.dup)
	w.dup = -1
	w.readable, w.writable = false, false
	if _, ok := w.h.(WatchUnbinder); ok {
		w.call(callUnbind, reason)
	}
}

// updateInterest asks the poller for what the switched-on notifications
// need; a parked Watch goes back in the poller once one is on.
func (w *Watch) updateInterest() {
	if w.dup < 0 {
		return
	}
	var err error
	switch {
	case w.parked && (w.readable || w.writable):
		err = w.r.poller.Add(w.dup, w.readable, w.writable)
		w.parked = false
	case !w.parked:
		err = w.r.poller.Mod(w.dup, w.readable, w.writable)
	}
	if err != nil {
		w.r.log.Error("reactor: watch: poller", "fd", w.fd, "err", err)
		w.end(err)
	}
}

// ready dispatches one event of the Watch: NotifyReadable, then
// NotifyWritable, each if it is on. A hang-up or error is reported as both
// (as EventMachine does); one that no notification hears would be
// reported again at once, so the Watch leaves the poller until a
// notification is switched on.
func (w *Watch) ready(ev *poller.Event) {
	if w.born == w.r.iter {
		return // registered during this batch: the event is another fd's
	}
	heard := false
	if ev.Readable && w.readable {
		heard = true
		w.call(callReadable, nil)
	}
	if ev.Writable && w.writable && w.dup >= 0 {
		heard = true
		w.call(callWritable, nil)
	}
	if !heard && (ev.Hup || ev.Err) && w.dup >= 0 && !w.parked {
		if err := w.r.poller.Del(w.dup); err != nil {
			w.end(err)
			return
		}
		w.parked = true
	}
}

// The Watcher's methods, for call.
const (
	callReadable = iota
	callWritable
	callUnbind
)

var watchMethods = [...]string{"NotifyReadable", "NotifyWritable", "UnbindWatch"}

// call runs one of the Watcher's methods; a panic is reported and ends
// the Watch with ErrPanic.
func (w *Watch) call(method int, reason error) {
	r := w.r
	defer func() {
		if v := recover(); v != nil {
			r.slowAbort()
			r.reportPanic(v, debug.Stack(), nil)
			w.end(fmt.Errorf("%w: %v", ErrPanic, v))
		}
	}()
	var t int64
	if r.slow != nil {
		t = r.slow.begin(w.h, watchMethods[method])
	}
	switch method {
	case callReadable:
		w.h.NotifyReadable(w)
	case callWritable:
		w.h.NotifyWritable(w)
	case callUnbind:
		w.h.(WatchUnbinder).UnbindWatch(w, reason)
	}
	if r.slow != nil {
		r.slowEnd(t)
	}
}
