package reactor

import "crypto/tls"

// A TLS handshake needs a reader that blocks (crypto/tls cannot resume a
// handshake after a read error), so each runs on a goroutine of its own.
// The reactor runs at most cfg.tlsLimit at once (WithTLSHandshakeLimit);
// the other Conns wait in arrival order, their handshake timeout running,
// so a flood of handshakes costs a bounded number of goroutines. The slots
// are counted on the loop: a handshake ends with handshakeDone, a tick.

// tlsAcquire starts ts's handshake if a slot is free, or queues it.
func (r *Reactor) tlsAcquire(ts *tlsStage) {
	if r.tlsActive < r.cfg.tlsLimit {
		r.tlsActive++
		ts.start()
		return
	}
	ts.queued = true
	r.tlsQueue = append(r.tlsQueue, ts)
}

// tlsRelease frees a slot and starts the handshakes waiting for one.
func (r *Reactor) tlsRelease() {
	r.tlsActive--
	for len(r.tlsQueue) > 0 && r.tlsActive < r.cfg.tlsLimit {
		ts := r.tlsQueue[0]
		r.tlsQueue[0] = nil
		r.tlsQueue = r.tlsQueue[1:]
		ts.queued = false
		if ts.c.flags&fClosed != 0 {
			continue // closed while it waited (its timeout, most likely)
		}
		r.tlsActive++
		ts.start()
	}
	if len(r.tlsQueue) == 0 {
		r.tlsQueue = nil
	}
}

// start runs the handshake on its own goroutine; its end comes back to the
// loop as handshakeDone.
func (ts *tlsStage) start() {
	ts.phase = tlsHandshaking
	if ts.client {
		ts.tc = tls.Client(&ts.tr, ts.cfg)
	} else {
		ts.tc = tls.Server(&ts.tr, ts.cfg)
	}
	tc, r := ts.tc, ts.c.r
	if !ts.c.writeReady() {
		ts.tr.startDirect(ts.c.fd)
	}
	go func() {
		err := tc.Handshake()
		if !r.post(func() { ts.handshakeDone(err) }) {
			ts.tr.close() // the loop is gone
		}
	}()
}

// tlsBuffer returns the loop's buffer for decrypted records (one record's
// plaintext at most), made at the first use.
func (r *Reactor) tlsBuffer() []byte {
	if r.tlsBuf == nil {
		r.tlsBuf = make([]byte, 16<<10)
	}
	return r.tlsBuf
}
