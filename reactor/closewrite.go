package reactor

import (
	"errors"

	"golang.org/x/sys/unix"
)

// CloseWrite shuts down the write side of the Conn once everything queued
// has been written: shutdown(SHUT_WR), so the peer reads EOF (TCP sends a
// FIN), while this side goes on reading. A relay uses it to pass a client's
// half-close on to the backend and still deliver the backend's full answer.
// Later Writes return ErrClosed; calling it again does nothing. On a Conn
// still connecting, the shutdown happens once the connect completes and the
// queued bytes are written. When the peer closes its side too, the Conn
// closes with io.EOF. It returns ErrClosed on a closed Conn. Must be called
// on the reactor goroutine.
func (c *Conn) CloseWrite() error {
	if c.r.cfg.loopCheck {
		c.r.checkLoop("Conn.CloseWrite")
	}
	if c.flags&fClosed != 0 {
		return ErrClosed
	}
	if c.flags&(fWriteShut|fCloseAfterWriting) != 0 {
		return nil
	}
	c.flags |= fWriteShut
	c.shutdownStage()
	if c.OutboundSize() > 0 || c.flags&(fConnecting|fResolving) != 0 || c.st.busy() || c.sf.holdsWrites() {
		c.flags |= fShutWrPending // flush, finishConnect or the stage shuts it down
		return nil
	}
	c.shutdownWrite()
	return nil
}

// WriteClosed reports whether CloseWrite was called. Must be called on the
// reactor goroutine.
func (c *Conn) WriteClosed() bool { return c.flags&fWriteShut != 0 }

// shutdownWrite does the shutdown(SHUT_WR) of a CloseWrite whose output has
// been written. ENOTCONN means the peer is already gone: the next read or
// event reports that. An attached pipe has no shutdown: its write end is
// closed instead (the reader's EOF), which ends its Conn.
func (c *Conn) shutdownWrite() {
	c.flags &^= fShutWrPending
	if c.flags&fClosed != 0 || c.fd < 0 {
		return
	}
	err := unix.Shutdown(c.fd, unix.SHUT_WR)
	if errors.Is(err, unix.ENOTSOCK) {
		c.closeWith(nil)
		return
	}
	if err != nil && !errors.Is(err, unix.ENOTCONN) {
		c.closeWith(syscallErr("shutdown", err))
	}
}
