package reactor

import (
	"io"
	"net"
	"time"

	"github.com/evmachine/evmachine/timer"
)

// connFlags is a Conn's state; interest in the poller is derived from it.
type connFlags uint32

const (
	fConnecting        connFlags = 1 << iota // outbound, connect not completed
	fResolving                               // outbound, waiting for a host name (no fd yet)
	fPaused                                  // Pause or PauseReading: no reads
	fReadClosed                              // peer sent FIN; a HalfCloser keeps the Conn open
	fCloseAfterWriting                       // no reads; close once the outbound buffer is empty
	fClosed                                  // closed; swept at the end of the iteration
	fRegRead                                 // read interest registered in the poller
	fRegWrite                                // write interest registered in the poller
	fRegistered                              // fd is in the poller at all
	fProxyWait                               // proxying: the target is full; no reads until it drains (proxy.go)
	fWriteShut                               // CloseWrite called: Writes fail (closewrite.go)
	fShutWrPending                           // CloseWrite waits for the outbound buffer to drain
	fParked                                  // hung up while not reading: out of the poller until it reads or writes again
	fLinger                                  // closed after writing everything: the fd lingers (linger.go)
	fOutbound                                // made by Connect (StartTLS: the TLS client)
	fTLSWait                                 // TLS handshake input at its bound: no reads until it is done (tls_stage.go)
	fWritePaused                             // Pause: writes are queued, not sent, until Resume
	fNotSocket                               // an attached pipe or device: read and write, not recv and send (attach.go)
)

// noRead is every state in which the Conn does not read.
const noRead = fConnecting | fResolving | fPaused | fReadClosed | fCloseAfterWriting | fClosed | fProxyWait | fTLSWait

// Conn is one connection (EventMachine's EM::Connection): accepted by a
// Listener or made by Connect. Its methods must be called on the reactor
// goroutine; from another goroutine, use r.NextTick(func() { c.Write(b) }).
type Conn struct {
	r     *Reactor
	h     Handler
	fd    int
	flags connFlags
	born  uint64 // r.iter when registered: events of that batch predate this Conn

	out     []byte // bytes the kernel has not taken yet; nil while empty
	outHead int    // out[:outHead] is written

	reason      error // Unbind reason (also the pending one while flushing before a close)
	lastActive  int64 // r.nowNs at the last byte moved
	idle        time.Duration
	maxOut      int          // WithMaxOutbound; 0: no limit (maxoutbound.go)
	idleTimer   timer.Handle // zero or dead while no inactivity timeout is armed
	connTimer   timer.Handle
	connTimeout time.Duration // the pending-connect timeout (emcalls.go)

	laddr, raddr net.Addr // cached on first use

	// st is what sits between the socket and the handler (stage.go):
	// plainStage, or the proxy's *proxyState while c proxies to, or is
	// proxied to from, another Conn (proxy.go).
	st stage

	sf *fileQueue // SendFiles and the writes behind them; nil until the first (sendfile.go)
}

// Write queues p for sending, as EventMachine's send_data; it implements
// io.Writer. It never blocks: it tries the socket at once and copies only
// what the kernel did not take into the Conn's outbound buffer, which the
// loop flushes as the socket becomes writable. Data written before an
// outbound connect completes is sent once it does. It returns len(p) unless
// the Conn is closed or closing or its write side was shut by CloseWrite
// (ErrClosed), or the write failed at once (the Conn then closes with that
// error).
func (c *Conn) Write(p []byte) (int, error) {
	if c.r.cfg.loopCheck {
		c.r.checkLoop("Conn.Write")
	}
	if c.flags&(fClosed|fCloseAfterWriting|fWriteShut) != 0 {
		return 0, ErrClosed
	}
	if c.sf.holdsWrites() {
		c.sf.hold(p) // behind a SendFile (sendfile.go)
		return len(p), nil
	}
	n, err := c.st.write(c, p)
	if c.maxOut > 0 && c.OutboundSize() > c.maxOut && c.flags&fClosed == 0 {
		c.overLimit()
	}
	return n, err
}

// writeSocket is the end of the write path: p goes to the socket at once
// if nothing is queued ahead of it, and what the kernel does not take is
// queued in the outbound buffer.
func (c *Conn) writeSocket(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if c.writeReady() || c.flags&(fConnecting|fResolving|fWritePaused) != 0 && c.mustQueue() {
		c.queue(p)
		return len(p), nil
	}
	n, err := c.send(p)
	if err != nil && err != errAgain {
		err = syscallErr("write", err)
		c.closeWith(err)
		return 0, err
	}
	if n > 0 {
		c.lastActive = c.r.nowNs
		c.r.stats.bytesOut += uint64(n)
	}
	if n < len(p) {
		c.queue(p[n:])
		c.updateInterest()
	}
	return len(p), nil
}

// WriteString is Write for a string.
func (c *Conn) WriteString(s string) (int, error) { return c.Write([]byte(s)) }

// queue appends p to the outbound buffer, reusing its free front.
func (c *Conn) queue(p []byte) {
	if c.outHead > 0 && len(c.out)+len(p) > cap(c.out) {
		n := copy(c.out, c.out[c.outHead:])
		c.out = c.out[:n]
		c.outHead = 0
	}
	c.out = append(c.out, p...)
}

// Close closes the Conn now, as close_connection: queued output is dropped,
// Unbind runs with a nil reason at the end of this iteration. It also
// overrides a pending CloseAfterWriting. It returns ErrClosed if the Conn
// was already closed.
func (c *Conn) Close() error {
	if c.r.cfg.loopCheck {
		c.r.checkLoop("Conn.Close")
	}
	if c.flags&fClosed != 0 {
		return ErrClosed
	}
	c.closeWith(nil)
	return nil
}

// CloseAfterWriting stops reading, flushes everything queued and then
// closes the Conn with a nil Unbind reason, as
// close_connection_after_writing. Later Writes return ErrClosed. After
// Unbind the reactor keeps the socket for up to 2 s, its write side shut,
// discarding input until the peer closes: otherwise input the peer still
// sends would make the kernel reset the connection and drop the last bytes
// written (see linger.go).
func (c *Conn) CloseAfterWriting() error {
	if c.r.cfg.loopCheck {
		c.r.checkLoop("Conn.CloseAfterWriting")
	}
	if c.flags&fClosed != 0 {
		return ErrClosed
	}
	if c.flags&fCloseAfterWriting == 0 {
		c.flags |= fCloseAfterWriting
		c.reason = nil
		c.shutdownStage()
	}
	if c.OutboundSize() == 0 && c.flags&(fConnecting|fResolving) == 0 && !c.st.busy() && !c.sf.holdsWrites() {
		c.closeFlushed()
		return nil
	}
	c.updateInterest()
	return nil
}

// closeFlushed ends a CloseAfterWriting once everything is written. Unless
// the peer already closed its side, the fd then lingers (linger.go), so
// that input still arriving cannot make the kernel reset the connection
// and drop the last bytes written.
func (c *Conn) closeFlushed() {
	if c.flags&fClosed == 0 && c.reason == nil {
		c.flags |= fLinger
	}
	c.closeWith(c.reason)
}

// closeWith marks the Conn closed with reason; the sweep at the end of the
// iteration closes the fd and calls Unbind. The first close wins.
func (c *Conn) closeWith(reason error) {
	if c.flags&fClosed != 0 {
		return
	}
	c.flags |= fClosed
	c.reason = reason
	c.out, c.outHead = nil, 0
	c.r.closing = append(c.r.closing, c)
}

// Pause holds the Conn in both directions, as EM's pause: nothing is read
// (data the peer sends waits in the kernel, and TCP flow control pushes
// back on the peer) and nothing is written: Write still queues, and Resume
// sends what was queued. A TLS handshake under way goes on (it carries no
// data of the handler's). For backpressure, where the answers must keep
// flowing while input waits, use PauseReading.
func (c *Conn) Pause() {
	if c.r.cfg.loopCheck {
		c.r.checkLoop("Conn.Pause")
	}
	c.flags |= fPaused | fWritePaused
	c.updateInterest()
}

// PauseReading stops reading only; writing goes on. It is the pause a
// server uses for backpressure (net/http stops reading, and so does the
// HTTP server here). Resume or ResumeReading undoes it.
func (c *Conn) PauseReading() {
	if c.r.cfg.loopCheck {
		c.r.checkLoop("Conn.PauseReading")
	}
	c.flags |= fPaused
	c.updateInterest()
}

// Resume undoes Pause (and PauseReading): reading restarts, and what was
// written while paused goes out.
func (c *Conn) Resume() {
	if c.r.cfg.loopCheck {
		c.r.checkLoop("Conn.Resume")
	}
	c.flags &^= fPaused | fWritePaused
	c.updateInterest()
}

// ResumeReading restarts reading after PauseReading; a Pause's hold on
// writing stays until Resume.
func (c *Conn) ResumeReading() {
	if c.r.cfg.loopCheck {
		c.r.checkLoop("Conn.ResumeReading")
	}
	c.flags &^= fPaused
	c.updateInterest()
}

// Paused reports whether the Conn is paused (Pause or PauseReading).
func (c *Conn) Paused() bool { return c.flags&fPaused != 0 }

// mustQueue reports, for a Conn connecting or paused, that a write waits
// in the outbound buffer: always while connecting; while paused, unless a
// busy stage (a TLS handshake) is writing its own exchange.
func (c *Conn) mustQueue() bool {
	return c.flags&(fConnecting|fResolving) != 0 || !c.st.busy()
}

// writeHeld reports whether Pause holds c's output.
func (c *Conn) writeHeld() bool { return c.flags&fWritePaused != 0 && !c.st.busy() }

// Closed reports whether the Conn has been closed (its Unbind has run or
// runs at the end of this iteration).
func (c *Conn) Closed() bool { return c.flags&fClosed != 0 }

// OutboundSize returns the number of bytes written but not yet taken by the
// kernel, as get_outbound_data_size. Bytes a proxy spliced into a pipe for
// this Conn and the socket has not taken yet count too, and so do bytes
// written behind a pending SendFile (not the file's).
func (c *Conn) OutboundSize() int { return len(c.out) - c.outHead + c.st.held() + c.sf.held() }

// SetInactivityTimeout closes the Conn with ErrInactivityTimeout after d
// without traffic in either direction, counted from now; 0 disables it.
// As comm_inactivity_timeout=.
func (c *Conn) SetInactivityTimeout(d time.Duration) {
	if c.r.cfg.loopCheck {
		c.r.checkLoop("Conn.SetInactivityTimeout")
	}
	if c.flags&fClosed != 0 {
		return
	}
	c.idle = max(d, 0)
	c.lastActive = c.r.nowNs
	switch {
	case c.idle == 0:
		c.idleTimer.Cancel()
	case !c.idleTimer.Reset(c.idle):
		c.idleTimer = c.r.timers.Schedule(c.idle, c.checkIdle)
	}
}

// InactivityTimeout returns the inactivity timeout (0 when off).
func (c *Conn) InactivityTimeout() time.Duration { return c.idle }

// checkIdle runs when the inactivity timer fires. Activity only stamps
// lastActive, so the timer is re-armed lazily here instead of on every read.
func (c *Conn) checkIdle() {
	if c.flags&fClosed != 0 || c.idle == 0 {
		return
	}
	quiet := time.Duration(c.r.nowNs - c.lastActive)
	if quiet >= c.idle {
		c.closeWith(ErrInactivityTimeout)
		return
	}
	c.idleTimer.Reset(c.idle - quiet)
}

// Handler returns the Conn's handler.
func (c *Conn) Handler() Handler { return c.h }

// Reactor returns the reactor the Conn belongs to.
func (c *Conn) Reactor() *Reactor { return c.r }

// Fd returns the socket's file descriptor, or -1 while a host name is being
// resolved and after the Conn was swept.
func (c *Conn) Fd() int { return c.fd }

// LocalAddr returns the local address (nil if unknown yet).
func (c *Conn) LocalAddr() net.Addr {
	if c.laddr == nil && c.fd >= 0 {
		c.laddr = sockname(c.fd, false)
	}
	return c.laddr
}

// RemoteAddr returns the peer's address, as get_peername (nil if unknown).
func (c *Conn) RemoteAddr() net.Addr {
	if c.raddr == nil && c.fd >= 0 {
		c.raddr = sockname(c.fd, true)
	}
	return c.raddr
}

var _ io.Writer = (*Conn)(nil)
