package reactor

// maxIovecs bounds the buffers one writev(2) takes (Linux's IOV_MAX is
// 1024); more are written by further calls.
const maxIovecs = 1024

// Writev writes bufs as one Write of their concatenation, in one writev(2)
// when the socket can take them at once: a protocol that writes a head and
// a body sends them in one segment instead of two (TCP_NODELAY is on). It
// never blocks; what the kernel does not take is queued, as Write does.
// Through a stage (TLS, a proxy) each buffer takes the stage's Write. It
// returns the bytes accepted and, like Write, ErrClosed or the write's
// error. Must be called on the reactor goroutine.
func (c *Conn) Writev(bufs ...[]byte) (int, error) {
	if c.r.cfg.loopCheck {
		c.r.checkLoop("Conn.Writev")
	}
	if c.flags&(fClosed|fCloseAfterWriting|fWriteShut) != 0 {
		return 0, ErrClosed
	}
	total := 0
	for _, b := range bufs {
		total += len(b)
	}
	if _, plain := c.st.(plainStage); !plain || c.writeReady() || c.sf.holdsWrites() || c.flags&(fConnecting|fResolving|fWritePaused) != 0 || len(bufs) > maxIovecs {
		for _, b := range bufs {
			if _, err := c.Write(b); err != nil {
				return 0, err
			}
		}
		return total, nil
	}
	if total == 0 {
		return 0, nil
	}
	n, err := writevFd(c.fd, bufs)
	if err != nil && err != errAgain && err != errIntr {
		err = syscallErr("writev", err)
		c.closeWith(err)
		return 0, err
	}
	n = max(n, 0)
	if n > 0 {
		c.lastActive = c.r.nowNs
		c.r.stats.bytesOut += uint64(n)
	}
	if n < total {
		for _, b := range bufs { // queue what the kernel did not take
			if n >= len(b) {
				n -= len(b)
				continue
			}
			c.queue(b[n:])
			n = 0
		}
		c.updateInterest()
	}
	if c.maxOut > 0 && c.OutboundSize() > c.maxOut && c.flags&fClosed == 0 {
		c.overLimit()
	}
	return total, nil
}
