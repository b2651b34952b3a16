package reactor

import (
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// detachCloseWait bounds how long the Close of a detached net.Conn waits
// for the output queued before Detach when no earlier write deadline is
// set: a peer that does not read cannot hold Close for longer.
const detachCloseWait = 2 * time.Second

// Detach hands the Conn's socket to blocking Go code as a net.Conn, as
// EventMachine's detach (and what em-synchrony was for): the reactor stops
// watching it, and the Handler's Unbind runs at the end of this iteration
// with ErrDetached; the socket stays open for the net.Conn, which is a
// *net.TCPConn or *net.UnixConn underneath (NetConn returns it).
//
// No byte is lost, duplicated or reordered across the handoff. Input: the
// bytes ReceiveData has been given are the handler's (Detach from
// ReceiveData leaves the rest of that call's data to the handler), and the
// net.Conn's Read returns what follows them: the reactor holds no input of
// a plain Conn, so unread input (a paused Conn's too) is still the
// kernel's. Output: what Write queued (also while paused) is delivered
// before anything written to the net.Conn: Detach writes what the kernel
// takes at once, and a goroutine the net.Conn starts writes the rest, so
// a peer waiting for it gets it even if the new owner only reads. The
// net.Conn's Write, CloseWrite and Close wait for that goroutine first
// (honouring the write deadline, which the goroutine's write also obeys);
// if it failed, Write and CloseWrite return its error. Close waits at
// most until the write deadline, or 2 s when none is set, so that a peer
// that does not read cannot hold it; set a deadline in the past to drop
// the rest. A CloseWrite still waiting for the queued output happens after
// it.
//
// Refused, with the Conn left as it was: a TLS Conn (its session state
// lives in the reactor's crypto/tls, which cannot be handed over: end TLS
// at a proxy, or run the whole connection with crypto/tls in Go code), a
// Conn that proxies or is proxied to (StopProxy first), a Conn still
// connecting, and an attached pipe (not a socket). ErrClosed on a closed
// or closing Conn. Must be called on the reactor goroutine.
func (c *Conn) Detach() (net.Conn, error) {
	if c.r.cfg.loopCheck {
		c.r.checkLoop("Conn.Detach")
	}
	if err := c.canDetach(); err != nil {
		return nil, err
	}
	// Write what the kernel takes now, while the fd is surely non-blocking
	// (net.FileConn makes the shared open file blocking for a moment).
	rest, shutWr := c.out[c.outHead:], c.flags&fShutWrPending != 0
	for len(rest) > 0 {
		n, err := writeFd(c.fd, rest)
		if err == errIntr {
			continue
		}
		if err == errAgain {
			break
		}
		if err != nil {
			err = syscallErr("write", err)
			c.closeWith(err)
			return nil, err
		}
		rest = rest[n:]
		c.lastActive = c.r.nowNs
		c.r.stats.bytesOut += uint64(n)
	}
	nc, err := fileConn(c.fd)
	if err != nil {
		return nil, fmt.Errorf("reactor: Detach: %w", err)
	}
	if len(rest) == 0 && shutWr {
		unix.Shutdown(c.fd, unix.SHUT_WR) // the pending CloseWrite (ENOTCONN: the peer is gone, Read says so)
	}
	if c.flags&fRegistered != 0 {
		// net.Conn's duplicate keeps the open file, and with it the
		// reactor's epoll registration, alive after the sweep's close.
		c.r.poller.Del(c.fd)
		c.flags &^= fRegistered | fRegRead | fRegWrite
	}
	c.out, c.outHead = nil, 0
	c.closeWith(ErrDetached)
	return newDetachedConn(nc, rest, shutWr), nil
}

// canDetach explains why c cannot be detached, if it cannot.
func (c *Conn) canDetach() error {
	switch {
	case c.flags&(fClosed|fCloseAfterWriting) != 0:
		return ErrClosed
	case c.flags&(fConnecting|fResolving) != 0:
		return errors.New("reactor: Detach: the Conn is still connecting")
	case c.tlsStage() != nil:
		return errors.New("reactor: Detach of a TLS Conn: its TLS session cannot leave the reactor")
	case c.sf.holdsWrites():
		return errors.New("reactor: Detach while a SendFile is pending: wait for its done")
	case c.r.popens[c] != nil:
		return errors.New("reactor: Detach of a Popen Conn: the reactor reaps its child; Close it instead")
	}
	if ps := c.px(); ps != nil && (ps.dst != nil || ps.src != nil || ps.pipe != nil) {
		return errors.New("reactor: Detach of a Conn in a proxy: StopProxy first")
	}
	if c.st.held() > 0 {
		return errors.New("reactor: Detach: the Conn's stage holds output")
	}
	if _, err := unix.GetsockoptInt(c.fd, unix.SOL_SOCKET, unix.SO_TYPE); err != nil {
		return fmt.Errorf("reactor: Detach takes a socket: %w", syscallErr("getsockopt", err))
	}
	return nil
}

// fileConn makes a net.Conn of a duplicate of fd.
func fileConn(fd int) (net.Conn, error) {
	dup, err := dupFd(fd)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(dup), "evmachine-detached")
	nc, err := net.FileConn(f) // (its own duplicate)
	f.Close()
	return nc, err
}

// detachedConn is the net.Conn Detach returns: the socket's net.Conn,
// which first writes the output the Conn had queued.
type detachedConn struct {
	net.Conn
	flushed chan struct{} // closed once the queued output is written, or failed
	err     error         // the flush's error; read after flushed is closed

	mu  sync.Mutex
	wdl time.Time // the write deadline set, which bounds Close's wait
}

func newDetachedConn(nc net.Conn, rest []byte, shutWr bool) *detachedConn {
	d := &detachedConn{Conn: nc, flushed: make(chan struct{})}
	if len(rest) == 0 {
		close(d.flushed)
		return d
	}
	go d.flush(rest, shutWr)
	return d
}

// flush writes the output queued before Detach, then does a CloseWrite
// that was waiting for it.
func (d *detachedConn) flush(p []byte, shutWr bool) {
	defer close(d.flushed)
	if _, err := d.Conn.Write(p); err != nil {
		d.err = err
		return
	}
	if shutWr {
		d.err = d.closeWrite()
	}
}

// Write writes p after the output queued before Detach.
func (d *detachedConn) Write(p []byte) (int, error) {
	<-d.flushed
	if d.err != nil {
		return 0, d.err
	}
	return d.Conn.Write(p)
}

// Close closes the connection once the output queued before Detach is
// written, waiting for it at most until the write deadline, or
// detachCloseWait when none is set.
func (d *detachedConn) Close() error {
	select {
	case <-d.flushed:
	default:
		limit := time.Now().Add(detachCloseWait)
		d.mu.Lock()
		if d.wdl.IsZero() || d.wdl.After(limit) {
			d.Conn.SetWriteDeadline(limit)
		}
		d.mu.Unlock()
		<-d.flushed
	}
	return d.Conn.Close()
}

// CloseWrite shuts the write side once the output queued before Detach is
// written.
func (d *detachedConn) CloseWrite() error {
	<-d.flushed
	if d.err != nil {
		return d.err
	}
	return d.closeWrite()
}

func (d *detachedConn) closeWrite() error {
	if cw, ok := d.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.ErrUnsupported
}

// CloseRead shuts the read side.
func (d *detachedConn) CloseRead() error {
	if cr, ok := d.Conn.(interface{ CloseRead() error }); ok {
		return cr.CloseRead()
	}
	return errors.ErrUnsupported
}

// SetDeadline sets both deadlines (the write deadline also bounds the
// queued output's write).
func (d *detachedConn) SetDeadline(t time.Time) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.wdl = t
	return d.Conn.SetDeadline(t)
}

// SetWriteDeadline sets the write deadline (which also bounds the queued
// output's write).
func (d *detachedConn) SetWriteDeadline(t time.Time) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.wdl = t
	return d.Conn.SetWriteDeadline(t)
}

// NetConn returns the *net.TCPConn or *net.UnixConn underneath. Writing
// to it before Write has returned once may overtake the output queued
// before Detach.
func (d *detachedConn) NetConn() net.Conn { return d.Conn }
