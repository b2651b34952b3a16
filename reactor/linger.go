package reactor

import (
	"time"

	"golang.org/x/sys/unix"
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
	r.lingering[fd] = r.timers.Schedule(lingerTimeout, func() { r.endLinger(fd) })
}

// lingerReadable handles readiness of a lingering fd.
func (r *Reactor) lingerReadable(fd int) {
	if !r.discard(fd) {
		r.endLinger(fd)
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
func (r *Reactor) endLinger(fd int) {
	t, ok := r.lingering[fd]
	if !ok {
		return
	}
	delete(r.lingering, fd)
	t.Cancel()
	closeFd(fd)
}

// closeLingering closes every lingering fd (the reactor stops).
func (r *Reactor) closeLingering() {
	for fd := range r.lingering {
		r.endLinger(fd)
	}
}

// drained reports whether a Shutdown has nothing left to wait for.
func (r *Reactor) drained() bool {
	return r.draining && r.nconns == 0 && len(r.lingering) == 0
}
