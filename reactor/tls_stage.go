package reactor

import (
	"crypto/tls"
	"fmt"
	"io"
	"time"

	"github.com/evmachine/evmachine/timer"
)

type tlsPhase uint8

const (
	tlsWaiting     tlsPhase = iota // for the connect, or for a handshake slot
	tlsHandshaking                 // the handshake goroutine runs
	tlsOpen                        // records are read and written on the loop
)

// tlsStage is the stage (stage.go) of a Conn that speaks TLS. Before the
// handshake it buffers the raw input for the handshake goroutine and the
// plaintext the handler writes; after it, readable decrypts what the socket
// gives and write encrypts, both on the loop. A TLS Conn that proxies keeps
// its proxy roles here (a Conn has one stage): decrypted bytes go to the
// target's Write (no splice through TLS).
type tlsStage struct {
	c        *Conn
	cfg      *tls.Config
	client   bool
	phase    tlsPhase
	begun    bool      // begin ran: the timeout runs, a slot is held or awaited
	queued   bool      // waiting for a handshake slot (tls_handshake.go)
	draining bool      // a tick that delivers buffered input is queued
	tc       *tls.Conn // made when the handshake starts, so a waiting Conn costs little
	tr       tlsTransport
	plain    []byte // plaintext written before the handshake completed
	timeout  time.Duration
	timer    timer.Handle
	proxy    *proxyState
}

// tlsStage returns c's TLS stage, or nil.
func (c *Conn) tlsStage() *tlsStage {
	ts, _ := c.st.(*tlsStage)
	return ts
}

// installTLS makes TLS c's stage. The handshake starts now, or when an
// outbound Conn's connect completes (finishConnect calls begin).
func (c *Conn) installTLS(cfg *tls.Config, client bool, timeout time.Duration, host string) {
	ts := &tlsStage{c: c, client: client, cfg: tlsConfig(cfg, client, host), timeout: timeout}
	ts.tr.st = ts
	ts.tr.cond.L = &ts.tr.mu
	c.st = ts
	if c.flags&(fConnecting|fResolving) == 0 {
		ts.begin()
	}
}

// begin arms the handshake timeout and starts the handshake, or queues it
// for a slot.
func (ts *tlsStage) begin() {
	c := ts.c
	if ts.begun || c.flags&fClosed != 0 {
		return
	}
	ts.begun = true
	ts.tr.laddr, ts.tr.raddr = c.LocalAddr(), c.RemoteAddr()
	if ts.timeout > 0 {
		ts.timer = c.r.timers.Schedule(ts.timeout, ts.timedOut)
	}
	c.r.tlsAcquire(ts)
}

func (ts *tlsStage) timedOut() {
	if ts.phase != tlsOpen {
		ts.c.closeWith(ErrTLSHandshakeTimeout)
	}
}

// readable: before the handshake is done, the raw input is handed to the
// handshake goroutine (bounded); after it, it is decrypted and delivered.
func (ts *tlsStage) readable(c *Conn) {
	buf := c.r.readBuf
	for range readBudget {
		if !c.wantsRead() {
			return
		}
		n, err := c.recv(buf)
		switch {
		case n > 0:
			c.lastActive = c.r.nowNs
			c.r.stats.bytesIn += uint64(n)
			if ts.phase != tlsOpen {
				ts.tr.feed(buf[:n])
				if ts.tr.buffered() > maxHandshakeInput {
					c.flags |= fTLSWait // handshakeDone clears it
					c.updateInterest()
				}
				continue
			}
			inPlace := len(ts.tr.in) == 0
			if inPlace {
				ts.tr.in = buf[:n] // decrypted from the loop's buffer, copied only if left over
			} else {
				ts.tr.in = append(ts.tr.in, buf[:n]...)
			}
			ts.drain()
			if inPlace && len(ts.tr.in) > 0 {
				ts.tr.in = append([]byte(nil), ts.tr.in...) // the loop's buffer is reused
			}
			if n < len(buf) {
				return
			}
		case err == nil && ts.phase != tlsOpen, err != errAgain && err != errIntr && ts.phase != tlsOpen:
			// The peer closed (or reset) during the handshake: the
			// handshake sees the end and fails with its own error (a peer
			// that rejected our certificate sends an alert first), and
			// handshakeDone reports it; nothing more is read.
			ts.tr.peerClosed()
			c.flags |= fReadClosed
			c.updateInterest()
			return
		case err == nil: // the peer closed its write side
			ts.drain()
			if c.flags&fClosed == 0 {
				c.r.peerClosed(c)
			}
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

// drain decrypts the records crypto/tls has (or can read from the
// transport) and delivers the plaintext, until it needs more input or the
// Conn stops reading.
func (ts *tlsStage) drain() {
	c := ts.c
	out := c.r.tlsBuffer()
	for c.flags&noRead == 0 {
		n, err := ts.tc.Read(out)
		if n > 0 {
			ts.deliver(out[:n])
		}
		switch {
		case err == nil:
			if n < len(out) && ts.tr.caughtUp() {
				// crypto/tls returned a whole record's plaintext and has
				// nothing more: spare it a Read that could only say so.
				return
			}
		case err == errWouldBlock:
			return
		case err == io.EOF: // close_notify: as a FIN
			if c.flags&(fClosed|fReadClosed) == 0 {
				c.r.peerClosed(c)
			}
			return
		default:
			c.closeWith(fmt.Errorf("reactor: TLS: %w", err))
			return
		}
	}
}

// deliver hands plaintext to ReceiveData, or to the proxy target.
func (ts *tlsStage) deliver(p []byte) {
	if ps := ts.proxy; ps != nil && ps.dst != nil {
		ts.c.r.proxyForward(ts.c, ps, p)
		return
	}
	ts.c.r.receive(ts.c, p)
}

func (ts *tlsStage) write(c *Conn, p []byte) (int, error) {
	if ts.phase != tlsOpen {
		ts.plain = append(ts.plain, p...)
		return len(p), nil
	}
	var n int
	err := ts.encrypt(func() (err error) { n, err = ts.tc.Write(p); return err })
	return n, err
}

// encrypt runs fn (a tls.Conn Write or CloseWrite) with the records it
// produces collected in the loop's scratch buffer, then hands them to the
// socket in one write: crypto/tls writes a record at a time, and a large
// Write (or its first records, which it keeps small) would otherwise cost
// a system call each.
func (ts *tlsStage) encrypt(fn func() error) error {
	r := ts.c.r
	r.tlsOut = r.tlsOut[:0]
	ts.tr.batch = &r.tlsOut // the reactor's own field: no allocation per call
	err := fn()
	ts.tr.batch = nil
	buf := r.tlsOut
	if len(buf) > 0 {
		ts.c.writeSocket(buf) // copies what the kernel does not take
	}
	if cap(buf) <= 1<<20 {
		r.tlsOut = buf[:0]
	} else {
		r.tlsOut = nil // a large write's buffer is not kept
	}
	return err
}

// busy: the handshake still needs to read, and to finish before the Conn
// may be closed or shut.
func (ts *tlsStage) busy() bool { return ts.phase != tlsOpen }

func (ts *tlsStage) held() int        { return len(ts.plain) }
func (ts *tlsStage) ready() bool      { return false }
func (ts *tlsStage) flush(*Conn) bool { return true }

func (ts *tlsStage) drained(c *Conn) {
	if ts.proxy != nil {
		c.r.proxyDrained(c)
	}
}

// shutdown sends close_notify, at once or right after the handshake.
func (ts *tlsStage) shutdown(*Conn) {
	if ts.phase == tlsOpen {
		ts.encrypt(ts.tc.CloseWrite)
	}
}

// resumed delivers, from a tick, records decrypted or buffered while the
// Conn was not reading: the socket may have nothing more to say for them.
func (ts *tlsStage) resumed(c *Conn) {
	if ts.phase == tlsOpen && !ts.draining {
		ts.draining = true
		c.r.NextTick(ts.resumeTick)
	}
}

func (ts *tlsStage) resumeTick() {
	ts.draining = false
	if ts.c.flags&fClosed == 0 {
		ts.drain()
	}
}

func (ts *tlsStage) release(c *Conn) {
	ts.timer.Cancel()
	ts.tr.close()
	if ts.proxy != nil {
		c.r.proxyRelease(c)
	}
}

// moveOut hands the records the handshake goroutine wrote to the socket
// (a tick the transport queues).
func (ts *tlsStage) moveOut() {
	out, sent := ts.tr.takeOut()
	c := ts.c
	if sent > 0 {
		c.lastActive = c.r.nowNs
		c.r.stats.bytesOut += uint64(sent)
	}
	if len(out) > 0 && c.flags&fClosed == 0 {
		c.writeSocket(out)
	}
}

// handshakeDone runs on the loop when the handshake goroutine returned:
// the transport becomes the loop's, the handler hears it, the plaintext
// written meanwhile goes out (and close_notify, if the Conn was closed
// after writing meanwhile), and input that came with the handshake is
// delivered.
func (ts *tlsStage) handshakeDone(err error) {
	c := ts.c
	c.r.tlsRelease()
	if c.flags&fClosed != 0 {
		return
	}
	ts.moveOut()
	if err != nil {
		c.closeWith(tlsHandshakeError(c, err))
		return
	}
	ts.timer.Cancel()
	ts.tr.handOver()
	ts.phase = tlsOpen
	if hs, ok := c.h.(TLSHandshaker); ok {
		c.r.callConn(c, hs.TLSHandshakeCompleted)
		if c.flags&fClosed != 0 {
			return
		}
	}
	pending := len(ts.plain) > 0 || c.flags&(fCloseAfterWriting|fShutWrPending) != 0
	if plain := ts.plain; len(plain) > 0 {
		ts.plain = nil
		ts.encrypt(func() error { _, err := ts.tc.Write(plain); return err })
	}
	if c.flags&(fCloseAfterWriting|fWriteShut) != 0 && !c.sf.holdsWrites() { // (else after the files: sendfile.go)
		ts.encrypt(ts.tc.CloseWrite)
	}
	c.flags &^= fTLSWait
	c.updateInterest()
	if pending && c.flags&fClosed == 0 && c.OutboundSize() == 0 {
		c.r.outputDrained(c)
	}
	if c.flags&noRead == 0 {
		ts.drain()
	}
}

var _ stage = (*tlsStage)(nil)
