package reactor

import (
	"io"

	"github.com/evmachine/evmachine/reactor/internal/poller"
)

// readBudget is how many full read buffers one Conn may read per readiness,
// so that one busy peer cannot starve the others (EventMachine reads 10).
const readBudget = 8

// dispatch runs phase 4: accepts, reads and writes for the ready fds,
// each handled by the owner the fd table names (fdtable.go). Events for a
// Conn closed earlier in this batch are dropped.
func (r *Reactor) dispatch(events []poller.Event) {
	for i := range events {
		ev := &events[i]
		switch o := r.fds.get(int(ev.Fd)).(type) {
		case *Conn:
			r.connReady(o, ev)
		case *Listener:
			o.accept()
		case *lingerFd:
			r.lingerReadable(o)
		case *dialAttempt:
			o.ready()
		case *Watch:
			o.ready(ev)
		case *ProcessWatch:
			o.ready() // procwatch.go
		case *fileNotifier:
			o.ready() // filewatch_linux.go, filewatch_bsd.go
		case *PacketConn:
			o.ready(ev)
		}
	}
}

// connReady handles one event of a Conn: the read path (its stage), a
// hang-up nobody would notice, then the write path.
func (r *Reactor) connReady(c *Conn, ev *poller.Event) {
	if c.flags&fClosed != 0 || c.born == r.iter {
		// Closed, or registered during this batch on the number of an
		// fd closed earlier in it (a listener): the event is stale.
		return
	}
	if c.flags&fConnecting != 0 {
		r.finishConnect(c)
		return
	}
	if ev.Readable && c.wantsRead() {
		c.st.readable(c)
	} else if (ev.Err || ev.Hup) && c.flags&fRegWrite == 0 {
		if !ev.Err && c.flags&(fPaused|fProxyWait) != 0 && c.flags&(fReadClosed|fCloseAfterWriting) == 0 {
			// Both directions shut while paused: bytes the peer sent
			// before its FIN may still wait to be read after Resume.
			c.park()
			return
		}
		// Nobody will read or write to find the error, and ERR/HUP stay
		// ready even without interest: close now.
		c.closeWith(sockError(c.fd, io.EOF))
		return
	}
	if ev.Writable && c.flags&fClosed == 0 && c.writeReady() {
		r.flush(c)
	}
}

// recv and send read and write c's fd: recvfrom and sendto for a socket
// (sock_linux.go), read and write for an attached pipe or device.
func (c *Conn) recv(p []byte) (int, error) {
	if c.flags&fNotSocket != 0 {
		return readFd(c.fd, p)
	}
	return recvFd(c.fd, p)
}

func (c *Conn) send(p []byte) (int, error) {
	if c.flags&fNotSocket != 0 {
		return writeFd(c.fd, p)
	}
	return sendFd(c.fd, p)
}

// readPlain is the plain stage's read path: it reads into the loop's
// shared buffer and hands each chunk to ReceiveData, within the read
// budget.
func (r *Reactor) readPlain(c *Conn) {
	buf := r.readBuf
	for range readBudget {
		n, err := c.recv(buf)
		switch {
		case n > 0:
			c.lastActive = r.nowNs
			r.stats.bytesIn += uint64(n)
			r.receive(c, buf[:n])
			if c.flags&noRead != 0 || n < len(buf) || !c.isPlain() {
				return // (ReceiveData installed a stage: it reads the rest)
			}
		case err == nil: // n == 0: the peer closed its write side
			r.peerClosed(c)
			return
		case err == errAgain:
			return
		case err == errIntr:
		default:
			c.closeWith(syscallErr("read", err))
			return
		}
	}
}

// receive calls ReceiveData; a panic closes only this Conn.
func (r *Reactor) receive(c *Conn, data []byte) {
	defer func() {
		if v := recover(); v != nil {
			r.connPanic(c, v)
		}
	}()
	if r.slow != nil {
		t := r.slow.begin(c.h, "ReceiveData")
		c.h.ReceiveData(c, data)
		r.slowEnd(t)
		return
	}
	c.h.ReceiveData(c, data)
}

// peerClosed handles a FIN from the peer: a HalfCloser is told and keeps the
// Conn open for writing; otherwise queued output is flushed, then the Conn
// closes with io.EOF.
func (r *Reactor) peerClosed(c *Conn) {
	if hc, ok := c.h.(HalfCloser); ok {
		c.flags |= fReadClosed
		c.updateInterest()
		r.callConn(c, hc.PeerClosedWrite)
		return
	}
	if c.OutboundSize() == 0 && !c.sf.holdsWrites() {
		c.closeWith(io.EOF)
		return
	}
	c.flags |= fCloseAfterWriting
	c.reason = io.EOF
	c.updateInterest()
}

// flush is the one write path: what the stage holds goes first, then the
// outbound buffer, until the kernel pushes back; the buffer is released
// once empty, which is when the stage and the handler hear that it
// drained, or a pending close-after-writing happens.
func (r *Reactor) flush(c *Conn) {
	if c.writeHeld() {
		c.updateInterest() // Pause: output waits for Resume
		return
	}
	if !c.st.flush(c) {
		return // the kernel pushed back, or c closed
	}
	for c.outHead < len(c.out) {
		n, err := c.send(c.out[c.outHead:])
		if err == errAgain {
			break
		}
		if err == errIntr {
			continue
		}
		if err != nil {
			c.closeWith(syscallErr("write", err))
			return
		}
		c.outHead += n
		c.lastActive = r.nowNs
		r.stats.bytesOut += uint64(n)
	}
	if c.outHead < len(c.out) {
		c.updateInterest()
		return
	}
	c.out, c.outHead = nil, 0
	r.outputDrained(c)
}

// outputDrained runs when c's outbound buffer became empty: unless its
// stage still holds output (TLS plaintext waiting for the handshake), a
// pending close-after-writing or CloseWrite happens now, and the stage and
// the handler hear that the output drained.
func (r *Reactor) outputDrained(c *Conn) {
	if c.st.held() > 0 {
		c.updateInterest()
		return
	}
	if c.sf.holdsWrites() && r.pumpFiles(c) {
		return // a SendFile goes on (sendfile.go)
	}
	if c.sf != nil && c.sf.shutdown { // the stage's end of stream, after the files
		c.sf.shutdown = false
		c.st.shutdown(c)
		if c.OutboundSize() > 0 {
			c.updateInterest()
			return
		}
	}
	if c.flags&fCloseAfterWriting != 0 {
		c.closeFlushed()
		return
	}
	if c.flags&fShutWrPending != 0 {
		c.shutdownWrite() // closewrite.go
	}
	c.updateInterest()
	c.st.drained(c)
	if d, ok := c.h.(Drainer); ok && c.flags&fClosed == 0 {
		r.callConn(c, d.OutboundDrained)
	}
}

// callConn calls one of c's handler methods; a panic closes only c.
func (r *Reactor) callConn(c *Conn, fn func(*Conn)) {
	defer func() {
		if v := recover(); v != nil {
			r.connPanic(c, v)
		}
	}()
	if r.slow != nil {
		t := r.slow.begin(fn, "")
		fn(c)
		r.slowEnd(t)
		return
	}
	fn(c)
}

// updateInterest tells the poller what c wants, derived from its state,
// and only when that changed: read unless paused, connecting, half-closed
// or closing; write while connecting or while output waits.
func (c *Conn) updateInterest() {
	if c.flags&(fClosed|fResolving) != 0 || c.flags&(fRegistered|fParked) == 0 {
		return
	}
	wantR := c.wantsRead()
	wantW := c.flags&fConnecting != 0 || c.writeReady() && !c.writeHeld()
	if wantR && c.flags&fRegRead == 0 {
		defer c.st.resumed(c) // reading again: a stage may hold input already
	}
	if c.flags&fParked != 0 {
		c.unpark(wantR, wantW)
		return
	}
	if wantR == (c.flags&fRegRead != 0) && wantW == (c.flags&fRegWrite != 0) {
		return
	}
	if err := c.r.poller.Mod(c.fd, wantR, wantW); err != nil {
		c.closeWith(err)
		return
	}
	c.flags &^= fRegRead | fRegWrite
	if wantR {
		c.flags |= fRegRead
	}
	if wantW {
		c.flags |= fRegWrite
	}
}

// park takes a hung-up Conn that is not reading out of the poller, where
// the hang-up would be reported again and again without interest (epoll
// always reports it), until it wants to read or write again.
func (c *Conn) park() {
	if err := c.r.poller.Del(c.fd); err != nil {
		c.closeWith(err)
		return
	}
	c.flags = c.flags&^(fRegistered|fRegRead|fRegWrite) | fParked
}

// unpark puts a parked Conn back in the poller once it wants something.
func (c *Conn) unpark(wantR, wantW bool) {
	if !wantR && !wantW {
		return
	}
	if err := c.r.poller.Add(c.fd, wantR, wantW); err != nil {
		c.closeWith(err)
		return
	}
	c.flags = c.flags&^fParked | fRegistered
	if wantR {
		c.flags |= fRegRead
	}
	if wantW {
		c.flags |= fRegWrite
	}
}

// register adds a new Conn's fd to the poller and the fd table.
func (r *Reactor) register(c *Conn) error {
	wantR := c.wantsRead()
	wantW := c.flags&fConnecting != 0 || c.writeReady()
	if err := r.poller.Add(c.fd, wantR, wantW); err != nil {
		return err
	}
	c.flags |= fRegistered
	c.born = r.iter
	if wantR {
		c.flags |= fRegRead
	}
	if wantW {
		c.flags |= fRegWrite
	}
	r.fds.set(c.fd, c)
	return nil
}

// sweep is phase 5: for every Conn closed in this iteration, close the fd
// (which also removes it from the poller), cancel its timers and call
// Unbind. An Unbind may close more Conns; they are swept too.
func (r *Reactor) sweep() {
	for len(r.closing) > 0 {
		batch := r.closing
		r.closing = nil
		for _, c := range batch {
			r.release(c)
		}
		if r.closing == nil {
			r.closing = batch[:0]
			clear(batch)
		}
	}
}

func (r *Reactor) release(c *Conn) {
	hold := len(r.popens) > 0 && r.popenSwept(c) // a Popen Conn's Unbind waits for its child (popen.go)
	c.st.release(c)                              // before the fd closes: a TLS handshake goroutine may still write to it
	if c.fd >= 0 {
		r.fds.clear(c.fd, c) // not there if register failed
		if c.flags&(fLinger|fRegistered) == fLinger|fRegistered && !r.stopReq.Load() {
			r.linger(c.fd)
		} else {
			closeFd(c.fd)
		}
		c.fd = -1
	} else {
		if d := r.resolving[c]; d != nil {
			d.abort() // a happy-eyeballs race still under way (dial.go)
		}
		delete(r.resolving, c)
	}
	c.idleTimer.Cancel()
	c.connTimer.Cancel()
	if hold {
		return
	}
	r.nconns--
	r.abortFiles(c)
	r.unbind(c)
}

// unbind calls Unbind once; a panic there is reported, not re-closed.
func (r *Reactor) unbind(c *Conn) {
	defer func() {
		if v := recover(); v != nil {
			r.connPanic(c, v)
		}
	}()
	if r.slow != nil {
		t := r.slow.begin(c.h, "Unbind")
		c.h.Unbind(c, c.reason)
		r.slowEnd(t)
		return
	}
	c.h.Unbind(c, c.reason)
}
