//go:build darwin || freebsd || netbsd || openbsd

package poller

import (
	"errors"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// Poller is the kqueue backend. Wake-ups go through a non-blocking pipe,
// which every BSD has (EVFILT_USER is missing on OpenBSD).
type Poller struct {
	kq       int
	wakeR    int
	wakeW    int
	raw      []unix.Kevent_t
	events   []Event
	interest map[int]uint8 // fd -> bit 1 read, bit 2 write, as registered
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
	p := &Poller{kq: kq, wakeR: fds[0], wakeW: fds[1], raw: make([]unix.Kevent_t, maxEvents), events: make([]Event, 0, maxEvents), interest: make(map[int]uint8)}
	if err := p.Add(p.wakeR, true, false); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

func (p *Poller) apply(fd int, old, want uint8) error {
	var changes [2]unix.Kevent_t
	n := 0
	for bit, filter := range map[uint8]int16{1: unix.EVFILT_READ, 2: unix.EVFILT_WRITE} {
		if old&bit == want&bit {
			continue
		}
		flags := uint16(unix.EV_ADD | unix.EV_ENABLE)
		if want&bit == 0 {
			flags = unix.EV_DELETE
		}
		unix.SetKevent(&changes[n], fd, int(filter), int(flags))
		n++
	}
	if n == 0 {
		return nil
	}
	if _, err := unix.Kevent(p.kq, changes[:n], nil, nil); err != nil {
		return os.NewSyscallError("kevent", err)
	}
	return nil
}

func bits(read, write bool) uint8 {
	var b uint8
	if read {
		b |= 1
	}
	if write {
		b |= 2
	}
	return b
}

// Add registers fd with the given interest.
func (p *Poller) Add(fd int, read, write bool) error {
	want := bits(read, write)
	p.interest[fd] = want
	return p.apply(fd, 0, want)
}

// Mod changes fd's interest.
func (p *Poller) Mod(fd int, read, write bool) error {
	want := bits(read, write)
	old := p.interest[fd]
	p.interest[fd] = want
	return p.apply(fd, old, want)
}

// Del removes fd.
func (p *Poller) Del(fd int) error {
	old := p.interest[fd]
	delete(p.interest, fd)
	return p.apply(fd, old, 0)
}

// Wait returns the ready events; see the package comment for the contract.
func (p *Poller) Wait(timeout time.Duration) ([]Event, error) {
	var ts *unix.Timespec
	if timeout >= 0 {
		t := unix.NsecToTimespec(int64(timeoutMillis(timeout)) * int64(time.Millisecond))
		ts = &t
	}
	var n int
	var err error
	for {
		n, err = unix.Kevent(p.kq, nil, p.raw, ts)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if err != nil {
		return nil, os.NewSyscallError("kevent", err)
	}
	evs := p.events[:0]
	for i := range n {
		r := &p.raw[i]
		fd := int(r.Ident)
		if fd == p.wakeR {
			var buf [64]byte
			for {
				if k, _ := unix.Read(p.wakeR, buf[:]); k <= 0 {
					break
				}
			}
			continue
		}
		ev := Event{Fd: int32(fd)}
		ev.Hup = r.Flags&unix.EV_EOF != 0 && r.Filter == unix.EVFILT_WRITE
		ev.Err = r.Flags&unix.EV_ERROR != 0
		ev.Readable = r.Filter == unix.EVFILT_READ || ev.Err || ev.Hup
		ev.Writable = r.Filter == unix.EVFILT_WRITE || ev.Err
		evs = append(evs, ev)
	}
	p.events = evs
	return evs, nil
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
