package http

// Pause stops receiving the response, for flow control: the connection is
// not read until Resume, so the kernel's buffers fill and TCP holds the
// server back instead of the client buffering. It takes effect at once,
// also inside a Stream or OnHeaders callback: no further Stream call, and
// no completion, happens while paused (bytes already read wait, at most one
// read's worth). A request paused before its response arrives is sent, but
// its response is not read. While paused the inactivity timeout does not
// run (a quiet paused stream is not a dead server); it counts again from
// Resume. WithClientTimeout, a context, Cancel and a connection that breaks
// still end a paused request. Pause after completion, or when paused, does
// nothing. Must be called on the reactor goroutine.
func (r *ClientRequest) Pause() {
	if r.done || r.paused {
		return
	}
	r.paused = true
	if cc := r.conn; cc != nil {
		cc.hold()
	}
}

// Resume undoes Pause: reading goes on. Pieces held back reach Stream in a
// later callback of the loop, never inside Resume. Resume when not paused
// does nothing. Must be called on the reactor goroutine.
func (r *ClientRequest) Resume() {
	if r.done || !r.paused {
		return
	}
	r.paused = false
	if cc := r.conn; cc != nil {
		cc.resume(r)
	}
}

// Paused reports whether the request is paused (Pause without Resume, and
// not completed). Must be called on the reactor goroutine.
func (r *ClientRequest) Paused() bool { return r.paused && !r.done }

// hold stops reading the connection for a paused request. The inactivity
// timeout is suspended meanwhile: a paused connection carries no traffic
// on purpose, and the reactor would otherwise close it as dead. A TLS
// connection still handshaking is paused once the handshake completes
// (TLSHandshakeCompleted): a paused Conn does not read, and its handshake
// would stall until the handshake timeout closed it.
func (cc *clientConn) hold() {
	if !cc.handshaking() {
		cc.conn.PauseReading()
	}
	cc.conn.SetInactivityTimeout(0)
}

// unhold undoes hold; the inactivity timeout counts again from now.
func (cc *clientConn) unhold() {
	cc.conn.Resume()
	cc.conn.SetInactivityTimeout(cc.c.cfg.inactivity)
}

// resume restarts reading for r, which was paused: at once, unless parsing
// stopped at the pause with bytes (or the response's end) still to
// handle; those go first, in a later tick, and only then is the
// connection read again, so the order holds and Stream never runs inside
// Resume.
func (cc *clientConn) resume(r *ClientRequest) {
	if !cc.stalled {
		cc.unhold()
		return
	}
	if cc.resuming {
		return
	}
	cc.resuming = true
	cc.c.r.NextTick(func() {
		cc.resuming = false
		if cc.req != r || r.paused || cc.conn.Closed() {
			return // finished, paused again, or gone meanwhile
		}
		cc.unhold()
		cc.parseHeld(r)
	})
}

// parseHeld parses what was held at a pause.
func (cc *clientConn) parseHeld(r *ClientRequest) {
	data := cc.held
	cc.held, cc.stalled = nil, false
	cc.parse(r, data)
}

// pausedErr stops the parser when a callback paused r; on a closed Conn
// (its last bytes parsed in Unbind) a pause holds nothing back.
func (cc *clientConn) pausedErr(r *ClientRequest) error {
	if r.paused && !cc.conn.Closed() {
		return errClientPause
	}
	return nil
}
