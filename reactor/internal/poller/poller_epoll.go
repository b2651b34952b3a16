//go:build linux

package poller

import (
	"errors"
	"os"
	"runtime"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Poller is the epoll backend.
type Poller struct {
	epfd   int
	wakefd int // eventfd
	raw    []unix.EpollEvent
	events []Event
}

// New creates an epoll instance with an eventfd for wake-ups.
func New() (*Poller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	wakefd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		unix.Close(epfd)
		return nil, os.NewSyscallError("eventfd", err)
	}
	p := &Poller{epfd: epfd, wakefd: wakefd, raw: make([]unix.EpollEvent, maxEvents), events: make([]Event, 0, maxEvents)}
	if err := p.Add(wakefd, true, false); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

func epollMask(read, write bool) uint32 {
	// EPOLLRDHUP only with read interest: after a FIN it stays ready, and a
	// half-closed or paused Conn must not spin.
	var m uint32
	if read {
		m |= unix.EPOLLIN | unix.EPOLLRDHUP
	}
	if write {
		m |= unix.EPOLLOUT
	}
	return m
}

func (p *Poller) ctl(op, fd int, read, write bool) error {
	ev := unix.EpollEvent{Events: epollMask(read, write), Fd: int32(fd)}
	if err := unix.EpollCtl(p.epfd, op, fd, &ev); err != nil {
		return os.NewSyscallError("epoll_ctl", err)
	}
	return nil
}

// Add registers fd with the given interest.
func (p *Poller) Add(fd int, read, write bool) error {
	return p.ctl(unix.EPOLL_CTL_ADD, fd, read, write)
}

// Mod changes fd's interest.
func (p *Poller) Mod(fd int, read, write bool) error {
	return p.ctl(unix.EPOLL_CTL_MOD, fd, read, write)
}

// Del removes fd. Closing an fd removes it too; Del is for fds that stay
// open. An fd that is not registered is no error.
func (p *Poller) Del(fd int) error {
	if err := unix.EpollCtl(p.epfd, unix.EPOLL_CTL_DEL, fd, nil); err != nil && err != unix.ENOENT {
		return os.NewSyscallError("epoll_ctl", err)
	}
	return nil
}

// rawWait polls without a timeout and without telling the Go scheduler: it
// cannot block, so the loop keeps its P.
func (p *Poller) rawWait() (int, unix.Errno) {
	n, _, e := unix.RawSyscall6(unix.SYS_EPOLL_PWAIT, uintptr(p.epfd), uintptr(unsafe.Pointer(&p.raw[0])), uintptr(len(p.raw)), 0, 0, 0)
	return int(n), e
}

// Wait returns the ready events; see the package comment for the contract.
func (p *Poller) Wait(timeout time.Duration) ([]Event, error) {
	n, e := p.rawWait()
	if e != 0 && e != unix.EINTR {
		return nil, os.NewSyscallError("epoll_pwait", e)
	}
	if n <= 0 && timeout != 0 {
		// Nothing is ready and the loop is about to sleep. Let the other
		// runnable goroutines run on this thread first: entering a blocking
		// syscall with work queued makes the scheduler hand the loop's P to
		// another thread and back, a context switch or two per sleep (gnet
		// yields here for the same reason). Then poll once more, since
		// something may have arrived meanwhile.
		runtime.Gosched()
		if n, e = p.rawWait(); e != 0 && e != unix.EINTR {
			return nil, os.NewSyscallError("epoll_pwait", e)
		}
	}
	if n <= 0 && timeout != 0 {
		var err error
		for {
			n, err = unix.EpollWait(p.epfd, p.raw, timeoutMillis(timeout))
			if !errors.Is(err, unix.EINTR) {
				break
			}
		}
		if err != nil {
			return nil, os.NewSyscallError("epoll_wait", err)
		}
	}
	return p.convert(max(n, 0)), nil
}

func (p *Poller) convert(n int) []Event {
	evs := p.events[:0]
	for i := range n {
		r := &p.raw[i]
		if int(r.Fd) == p.wakefd {
			p.drainWake()
			continue
		}
		ev := Event{Fd: r.Fd}
		ev.Readable = r.Events&(unix.EPOLLIN|unix.EPOLLRDHUP|unix.EPOLLHUP|unix.EPOLLERR) != 0
		ev.Writable = r.Events&(unix.EPOLLOUT|unix.EPOLLHUP|unix.EPOLLERR) != 0
		ev.Hup = r.Events&unix.EPOLLHUP != 0
		ev.Err = r.Events&unix.EPOLLERR != 0
		evs = append(evs, ev)
	}
	p.events = evs
	return evs
}

func (p *Poller) drainWake() {
	var buf [8]byte
	unix.Read(p.wakefd, buf[:])
}

// Wake makes the current or next Wait return. Safe for concurrent use.
func (p *Poller) Wake() error {
	one := [8]byte{1}
	_, err := unix.Write(p.wakefd, one[:])
	if err != nil && err != unix.EAGAIN { // EAGAIN: the counter is full, a wake is pending anyway
		return os.NewSyscallError("write eventfd", err)
	}
	return nil
}

// Close releases the epoll instance and the eventfd.
func (p *Poller) Close() error {
	err1 := unix.Close(p.wakefd)
	err2 := unix.Close(p.epfd)
	return errors.Join(err1, err2)
}
