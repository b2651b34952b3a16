//go:build darwin || freebsd || netbsd || openbsd

package poller

import (
	"errors"
	"os"
	"runtime"
	"time"

	"golang.org/x/sys/unix"
)

// Poller is the kqueue backend. Wake-ups go through a non-blocking pipe,
// which every BSD has (EVFILT_USER is missing on OpenBSD).
//
// Every registered fd has both filters in the kqueue, each enabled or
// disabled as the interest asks (EV_ADD with EV_ENABLE or EV_DISABLE), so
// Add and Mod need not remember what was registered before: the poller
// keeps no interest state of its own. kqueue reports the two filters of an
// fd as two events; Wait merges them into one Event, as ae_kqueue does.
type Poller struct {
	kq     int
	wakeR  int
	wakeW  int
	raw    []unix.Kevent_t
	events []Event
	slot   []int32 // Wait's scratch: fd -> 1 + its index in events, 0 when none
}

// New creates a kqueue with a pipe for wake-ups.
func New() (*Poller, error) {
	kq, err := unix.Kqueue()
	if err != nil {
		return nil, os.NewSyscallError("kqueue", err)
	}
	unix.CloseOnExec(kq)
	var fds [2]int
	if err := unix.Pipe(fds[:]); err != nil {
		unix.Close(kq)
		return nil, os.NewSyscallError("pipe", err)
	}
	for _, fd := range fds {
		unix.CloseOnExec(fd)
		if err := unix.SetNonblock(fd, true); err != nil {
			unix.Close(kq)
			unix.Close(fds[0])
			unix.Close(fds[1])
			return nil, os.NewSyscallError("fcntl", err)
		}
	}
	p := &Poller{kq: kq, wakeR: fds[0], wakeW: fds[1], raw: make([]unix.Kevent_t, maxEvents), events: make([]Event, 0, maxEvents)}
	if err := p.Add(p.wakeR, true, false); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

// set registers both filters of fd, each enabled as asked.
func (p *Poller) set(fd int, read, write bool) error {
	var changes [2]unix.Kevent_t
	for i, f := range [2]struct {
		filter int
		on     bool
	}{{unix.EVFILT_READ, read}, {unix.EVFILT_WRITE, write}} {
		flags := unix.EV_ADD | unix.EV_DISABLE
		if f.on {
			flags = unix.EV_ADD | unix.EV_ENABLE
		}
		unix.SetKevent(&changes[i], fd, f.filter, flags)
	}
	if _, err := unix.Kevent(p.kq, changes[:], nil, nil); err != nil {
		return os.NewSyscallError("kevent", err)
	}
	return nil
}

// Add registers fd with the given interest.
func (p *Poller) Add(fd int, read, write bool) error { return p.set(fd, read, write) }

// Mod changes fd's interest.
func (p *Poller) Mod(fd int, read, write bool) error { return p.set(fd, read, write) }

// Del removes fd. Closing an fd removes it too; Del is for fds that stay
// open. A filter that is not registered is no error.
func (p *Poller) Del(fd int) error {
	for _, filter := range [2]int{unix.EVFILT_READ, unix.EVFILT_WRITE} {
		var change [1]unix.Kevent_t
		unix.SetKevent(&change[0], fd, filter, unix.EV_DELETE)
		if _, err := unix.Kevent(p.kq, change[:], nil, nil); err != nil && err != unix.ENOENT {
			return os.NewSyscallError("kevent", err)
		}
	}
	return nil
}

var zeroTimeout = unix.Timespec{}

// Wait returns the ready events; see the package comment for the contract.
func (p *Poller) Wait(timeout time.Duration) ([]Event, error) {
	n, err := p.kevent(&zeroTimeout)
	if err == nil && n == 0 && timeout != 0 {
		// Nothing is ready and the loop is about to sleep: let the other
		// runnable goroutines run first, then poll once more (as the epoll
		// backend does), and only then block.
		runtime.Gosched()
		n, err = p.kevent(&zeroTimeout)
		if err == nil && n == 0 {
			var ts *unix.Timespec
			if timeout > 0 {
				t := unix.NsecToTimespec(int64(timeoutMillis(timeout)) * int64(time.Millisecond))
				ts = &t
			}
			n, err = p.kevent(ts)
		}
	}
	if err != nil {
		return nil, err
	}
	return p.convert(n), nil
}

// kevent waits for events, retrying on EINTR.
func (p *Poller) kevent(ts *unix.Timespec) (int, error) {
	for {
		n, err := unix.Kevent(p.kq, nil, p.raw, ts)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return 0, os.NewSyscallError("kevent", err)
		}
		return n, nil
	}
}

// convert turns the kernel's events into Events, one per fd.
func (p *Poller) convert(n int) []Event {
	evs := p.events[:0]
	for i := range n {
		r := &p.raw[i]
		fd := int(r.Ident)
		if fd == p.wakeR {
			p.drainWake()
			continue
		}
		for fd >= len(p.slot) {
			p.slot = append(p.slot, make([]int32, max(len(p.slot), 64))...)
		}
		if p.slot[fd] == 0 {
			evs = append(evs, Event{Fd: int32(fd)})
			p.slot[fd] = int32(len(evs))
		}
		ev := &evs[p.slot[fd]-1]
		failed := r.Flags&unix.EV_ERROR != 0 || r.Flags&unix.EV_EOF != 0 && r.Fflags != 0
		hup := r.Flags&unix.EV_EOF != 0 && r.Filter == unix.EVFILT_WRITE
		ev.Err = ev.Err || failed
		ev.Hup = ev.Hup || hup
		ev.Readable = ev.Readable || r.Filter == unix.EVFILT_READ || failed || hup
		ev.Writable = ev.Writable || r.Filter == unix.EVFILT_WRITE || failed
	}
	for i := range evs {
		p.slot[evs[i].Fd] = 0
	}
	p.events = evs
	return evs
}

func (p *Poller) drainWake() {
	var buf [64]byte
	for {
		if k, _ := unix.Read(p.wakeR, buf[:]); k <= 0 {
			return
		}
	}
}

// Wake makes the current or next Wait return. Safe for concurrent use.
func (p *Poller) Wake() error {
	_, err := unix.Write(p.wakeW, []byte{1})
	if err != nil && err != unix.EAGAIN {
		return os.NewSyscallError("write pipe", err)
	}
	return nil
}

// Close releases the kqueue and the wake-up pipe.
func (p *Poller) Close() error {
	return errors.Join(unix.Close(p.wakeR), unix.Close(p.wakeW), unix.Close(p.kq))
}
