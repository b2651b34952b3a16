package reactor

// stage is what sits between a Conn's socket and its handler: the Conn's
// read path and the front of its write path. Every Conn has exactly one
// (Conn.st), plainStage unless something is installed; ProxyTo installs
// the proxy's (proxy.go) and its end puts plainStage back. The choice is
// made when a stage is installed, never tested for on the hot path: the
// loop calls the Conn's stage and the stage knows what it is. STAGES.md
// in this package gives the rules a stage follows and how TLS plugs in.
type stage interface {
	// readable runs when the socket is readable and the Conn wants to
	// read (no noRead flag). It reads at most readBudget buffers and
	// passes the bytes on: to ReceiveData (deliver), to a proxy target.
	readable(c *Conn)
	// write is Conn.Write once the Conn is known to be open: the bytes
	// the handler writes, on their way to the socket (writeSocket).
	write(c *Conn, p []byte) (int, error)
	// held returns the bytes the stage holds for the socket and has not
	// put in the outbound buffer; OutboundSize counts them.
	held() int
	// ready reports whether some of them can be written now, ahead of
	// the outbound buffer (the Conn then wants write readiness).
	ready() bool
	// flush writes those when the socket is writable and reports whether
	// none are left; the outbound buffer is written only then, so bytes
	// keep their order.
	flush(c *Conn) bool
	// drained runs when all the Conn's output (held and buffered) has
	// gone to the kernel.
	drained(c *Conn)
	// shutdown runs when the Conn will write nothing more
	// (CloseAfterWriting, CloseWrite): a stage with an end-of-stream
	// message of its own (TLS's close_notify) queues it now.
	shutdown(c *Conn)
	// resumed runs when the Conn wants to read again after a pause of any
	// kind: a stage that already holds input (decrypted records) must
	// deliver it, since the socket may never be readable again for it.
	resumed(c *Conn)
	// busy reports whether the stage has an exchange of its own to finish
	// (a TLS handshake): meanwhile the Conn reads even if its handler
	// stopped reading, and a CloseAfterWriting or CloseWrite waits; the
	// stage calls outputDrained when it is done.
	busy() bool
	// release runs when the Conn is swept, before its fd closes and
	// before Unbind.
	release(c *Conn)
}

// plainStage is a Conn with nothing between its socket and its handler.
type plainStage struct{}

func (plainStage) readable(c *Conn)                     { c.r.readPlain(c) }
func (plainStage) write(c *Conn, p []byte) (int, error) { return c.writeSocket(p) }
func (plainStage) held() int                            { return 0 }
func (plainStage) ready() bool                          { return false }
func (plainStage) flush(*Conn) bool                     { return true }
func (plainStage) drained(*Conn)                        {}
func (plainStage) shutdown(*Conn)                       {}
func (plainStage) resumed(*Conn)                        {}
func (plainStage) busy() bool                           { return false }
func (plainStage) release(*Conn)                        {}

var _ stage = plainStage{}

// isPlain reports whether c has no stage installed.
func (c *Conn) isPlain() bool {
	_, ok := c.st.(plainStage)
	return ok
}

// readBlock is the states in which not even a busy stage reads. A paused
// Conn still handshakes: Pause holds the data, not the stage's exchange.
const readBlock = fConnecting | fResolving | fReadClosed | fClosed | fTLSWait

// wantsRead reports whether c reads: its handler wants data, or its stage
// is busy with an exchange of its own.
func (c *Conn) wantsRead() bool {
	return c.flags&noRead == 0 || c.flags&readBlock == 0 && c.st.busy()
}

// writeReady reports whether c has bytes to write when its socket is
// writable: buffered, ready in its stage, or a SendFile's (sendfile.go).
func (c *Conn) writeReady() bool {
	return len(c.out) > c.outHead || c.st.ready() || c.sf != nil && c.sf.ready(c)
}
