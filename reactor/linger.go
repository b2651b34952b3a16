package reactor

import (
	"time"

	"golang.org/x/sys/unix"

	"github.com/evmachine/evmachine/timer"
)

// lingerTimeout bounds how long the socket of a Conn closed after writing
// keeps swallowing the peer's input before it is closed regardless.
const lingerTimeout = 2 * time.Second

// A Conn that ends with CloseAfterWriting (or a Shutdown) has handed every
// byte to the kernel, but the kernel may not have sent them all yet. If
// close(2) finds unread input, or input arrives after it, TCP answers with
// a reset and the unsent bytes are dropped: the peer loses the end of what
// Write accepted. So the reactor keeps such a socket a little longer, as
// web servers do (nginx's lingering close): it shuts the write side
// (the peer reads the rest, then EOF), then reads and discards until the
// peer closes, or fails, or lingerTimeout passes, and only then closes the
// fd. The Conn itself is already swept and unbound; a lingering fd belongs
// to the reactor alone. Stop closes lingering fds at once; Shutdown waits
// for them.

// lingerFd is a socket in the fd table after its Conn was swept: it
// swallows input until the peer closes or its timer ends it.
type lingerFd struct {
	fd    int
	timer timer.Handle
}

// linger takes over fd from a Conn being swept.
func (r *Reactor) linger(fd int) {
	if err := unix.Shutdown(fd, unix.SHUT_WR); err != nil || !r.discard(fd) {
		closeFd(fd) // the peer is gone already
		return
	}
	if err := r.poller.Mod(fd, true, false); err != nil {
		closeFd(fd)
		return
	}
	lf := &lingerFd{fd: fd}
	lf.timer = r.timers.Schedule(lingerTimeout, func() { r.endLinger(lf) })
	r.fds.set(fd, lf)
	r.lingering++
}

// lingerReadable handles readiness of a lingering fd.
func (r *Reactor) lingerReadable(lf *lingerFd) {
	if !r.discard(lf.fd) {
		r.endLinger(lf)
	}
}

// discard reads and drops the input waiting on fd, a bounded amount per
// call. It returns false once the peer closed or the socket failed.
func (r *Reactor) discard(fd int) bool {
	for range readBudget {
		n, err := readFd(fd, r.readBuf)
		switch {
		case n > 0:
		case err == errAgain:
			return true
		case err == errIntr:
		default: // EOF or an error
			return false
		}
	}
	return true
}

// endLinger closes a lingering fd.
func (r *Reactor) endLinger(lf *lingerFd) {
	if lf.fd < 0 {
		return
	}
	r.fds.clear(lf.fd, lf)
	lf.timer.Cancel()
	closeFd(lf.fd)
	lf.fd = -1
	r.lingering--
}

// closeLingering closes every lingering fd (the reactor stops).
func (r *Reactor) closeLingering() {
	r.fds.each(func(o fdOwner) {
		if lf, ok := o.(*lingerFd); ok {
			r.endLinger(lf)
		}
	})
}

// drained reports whether a Shutdown has nothing left to wait for.
func (r *Reactor) drained() bool {
	return r.draining && r.nconns == 0 && r.lingering == 0
}
