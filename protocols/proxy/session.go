package proxy

import (
	"errors"
	"io"
	"sync/atomic"
	"time"

	"github.com/evmachine/evmachine/reactor"
)

// linger bounds how long one side of a finished session may take to flush
// what it still holds once the other side is gone.
const linger = 10 * time.Second

// session is one client connection and the backend it is joined to (and,
// for a Duplex, the staging copy). Its handlers run on the reactor
// goroutine only.
type session struct {
	set        *settings
	client     *reactor.Conn
	backend    *reactor.Conn
	addr       string        // the backend's address
	backendUp  bool          // the backend connect completed
	held       atomic.Uint64 // client bytes queued on the backend while it connects (atomic for WithProxyCounter)
	clientEOF  bool          // the client shut down its write side
	backendEOF bool          // the backend shut down its write side
	paused     bool          // Duplex: the client is paused for a full backend
	dup        *staging
	peek       *peek
	routing    *routed // a Router session once routed
	gen        int     // the backend connect attempt the backendSide events are for
}

// clientSide is the client Conn's handler.
type clientSide struct{ s *session }

func (h clientSide) PostInit(c *reactor.Conn)              { h.s.start(c) }
func (h clientSide) ConnectionCompleted(*reactor.Conn)     {}
func (h clientSide) ReceiveData(_ *reactor.Conn, p []byte) { h.s.fromClient(p) }
func (h clientSide) PeerClosedWrite(*reactor.Conn)         { h.s.clientClosedWrite() }
func (h clientSide) Unbind(_ *reactor.Conn, reason error)  { h.s.clientGone(reason) }

// backendSide is the backend Conn's handler. Once the client is gone the
// proxy to it stops and the backend's late bytes land in ReceiveData,
// which drops them. A Router session's backend gets its first bytes there
// too. gen tells a Router's connect attempts apart: the events of an
// earlier, failed one are ignored.
type backendSide struct {
	s   *session
	gen int
}

func (h backendSide) PostInit(*reactor.Conn) {}

func (h backendSide) ConnectionCompleted(*reactor.Conn) {
	switch {
	case h.gen != h.s.gen:
	case h.s.routing != nil:
		h.s.routeConnected()
	default:
		h.s.backendConnected()
	}
}

func (h backendSide) ReceiveData(_ *reactor.Conn, p []byte) {
	if s := h.s; h.gen == s.gen && s.routing != nil && !s.routing.sent && !s.client.Closed() {
		s.routeFirstBytes(p)
	}
}

func (h backendSide) PeerClosedWrite(*reactor.Conn) {
	if h.gen == h.s.gen {
		h.s.backendClosedWrite()
	}
}

func (h backendSide) OutboundDrained(*reactor.Conn) {
	if h.gen == h.s.gen {
		h.s.backendDrained()
	}
}

func (h backendSide) Unbind(_ *reactor.Conn, reason error) {
	switch {
	case h.gen != h.s.gen:
	case h.s.routing != nil:
		h.s.routeBackendGone(reason)
	default:
		h.s.backendGone(reason)
	}
}

func (s *session) proxyOpts(ctr *atomic.Uint64) []reactor.ProxyOption {
	return []reactor.ProxyOption{
		reactor.WithProxyBuffer(s.set.Buffer),
		reactor.WithProxyCounter(ctr),
		reactor.WithProxySplice(!s.set.NoSplice),
	}
}

// start runs in the client's PostInit.
func (s *session) start(c *reactor.Conn) {
	s.client = c
	s.set.stats.accepted.Add(1)
	s.set.stats.active.Add(1)
	if s.set.IdleTimeout > 0 {
		c.SetInactivityTimeout(s.set.IdleTimeout)
	}
	if s.peek != nil {
		s.startPeek() // a Router dials once it knows where
		return
	}
	if s.dial(s.addr) && s.dup != nil {
		s.dup.dial(s)
	}
}

// dial connects the backend and joins it to the client: backend to client
// always by proxy; client to backend by proxy too unless a Duplex copies
// the client's bytes itself. Until the connect completes, what the client
// sends is only held for the backend (s.held), not counted as delivered.
// It reports whether the connect started.
func (s *session) dial(addr string) bool {
	s.addr = addr
	r := s.client.Reactor()
	b, err := r.Connect(s.set.Network, addr, backendSide{s: s},
		reactor.WithPendingConnectTimeout(s.set.ConnectTimeout),
		reactor.WithInactivityTimeout(s.set.IdleTimeout))
	if err != nil {
		s.connectFailed(err)
		return false
	}
	s.backend = b
	if b.Closed() {
		return false // failed at once; its Unbind closes the client
	}
	if s.dup == nil {
		s.client.ProxyTo(b, s.proxyOpts(&s.held)...)
	}
	b.ProxyTo(s.client, s.proxyOpts(&s.set.stats.toClient)...)
	return true
}

// backendConnected counts the bytes held for the backend while it
// connected, which it is now sent, and from then on counts the client's
// bytes as they are handed to it. The held bytes of a backend that never
// connects are never counted.
func (s *session) backendConnected() {
	s.backendUp = true
	s.set.stats.toBackend.Add(s.held.Swap(0))
	if s.client.Proxying() {
		// The same target, now counted in the Stats. It fails only for a
		// backend whose write side is already shut (the client half-closed
		// while it connected): the client sends nothing more then.
		s.client.ProxyTo(s.backend, s.proxyOpts(&s.set.stats.toBackend)...)
	}
}

// wroteToBackend counts n client bytes just written to the backend: as
// delivered once it is up, as held while it connects.
func (s *session) wroteToBackend(n int) {
	if s.backendUp {
		s.set.stats.toBackend.Add(uint64(n))
	} else {
		s.held.Add(uint64(n))
	}
}

func (s *session) connectFailed(err error) {
	s.set.stats.connectFailures.Add(1)
	s.set.log.Warn("proxy: backend connect failed; closing the client",
		"backend", s.addr, "client", addrString(s.client), "err", err)
	s.client.Close()
}

// fromClient gets the client's bytes that no proxy moved: a Router's first
// bytes, a Duplex's stream, or stray bytes after the backend went away.
func (s *session) fromClient(p []byte) {
	switch {
	case s.peek != nil:
		s.peekData(p)
	case s.routing != nil && !s.backendUp:
		s.routeHold(p)
	case s.dup != nil:
		s.tee(p)
	case s.backend != nil:
		if _, err := s.backend.Write(p); err == nil {
			s.wroteToBackend(len(p))
		}
	}
}

// clientClosedWrite passes the client's half-close on to the backend (and
// staging), after what the client sent.
func (s *session) clientClosedWrite() {
	s.clientEOF = true
	if s.peek != nil {
		s.routeFailed(errors.New("client closed before a route was chosen"))
		return
	}
	if s.routing != nil && !s.backendUp {
		return // passed on once connected
	}
	if s.backend != nil {
		s.backend.CloseWrite()
	}
	if s.dup != nil && s.dup.conn != nil {
		s.dup.conn.CloseWrite()
	}
	s.finishIfDone()
}

func (s *session) backendClosedWrite() {
	s.backendEOF = true
	s.client.CloseWrite()
	s.finishIfDone()
}

// finishIfDone closes both sides, after flushing, once both said EOF.
func (s *session) finishIfDone() {
	if s.clientEOF && s.backendEOF {
		s.client.CloseAfterWriting()
		s.backend.CloseAfterWriting()
	}
}

// backendDrained resumes a client a Duplex paused for its backend.
func (s *session) backendDrained() {
	if s.paused {
		s.paused = false
		s.client.Resume()
	}
}

func (s *session) clientGone(reason error) {
	s.set.stats.active.Add(-1)
	if s.peek != nil && s.peek.timer != nil {
		s.peek.timer.Cancel()
	}
	if s.routing != nil && s.routing.retry != nil {
		s.routing.retry.Cancel()
	}
	if b := s.backend; b != nil && !b.Closed() {
		closeSoon(b, reason)
	}
	if s.dup != nil && s.dup.conn != nil {
		closeSoon(s.dup.conn, reason)
	}
}

func (s *session) backendGone(reason error) {
	if s.client.Closed() {
		return // the client left first (and closed the backend)
	}
	if !s.backendUp {
		s.connectFailed(reason)
		return
	}
	closeSoon(s.client, reason)
}

// closeSoon closes c after what it holds is written, within linger, when
// its partner ended cleanly; at once when its partner failed.
func closeSoon(c *reactor.Conn, partnerReason error) {
	if partnerReason != nil && !errors.Is(partnerReason, io.EOF) {
		c.Close()
		return
	}
	if c.CloseAfterWriting() == nil && (c.InactivityTimeout() == 0 || c.InactivityTimeout() > linger) {
		c.SetInactivityTimeout(linger)
	}
}

func addrString(c *reactor.Conn) string {
	if a := c.RemoteAddr(); a != nil {
		return a.String()
	}
	return ""
}
