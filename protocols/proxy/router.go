package proxy

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/evmachine/evmachine/reactor"
	"github.com/evmachine/evmachine/timer"
)

// ErrNeedMore is what a RouteFunc returns when the bytes so far do not
// decide the route yet.
var ErrNeedMore = errors.New("proxy: route needs more bytes")

// RouteFunc picks the backend for a connection from its first bytes, as
// ProxyMachine's proxy block: it returns the backend's address, or
// ErrNeedMore to wait for more bytes, or another error to close the
// connection. first holds everything received so far (at most MaxPeek
// bytes) and is valid only during the call. It runs on the reactor
// goroutine and must not block.
type RouteFunc func(first []byte) (backend string, err error)

// Router is ProxyMachine's content-aware routing: it holds a connection's
// first bytes until its routing function decides, then acts on the
// decision. Give it either Commands, which returns ProxyMachine's full set
// of commands (a Route: connect, rewrite the bytes, reply, close, wait,
// timeouts, retries, error callbacks), or Route, the simpler form that
// names a backend or fails. Once connected it sends the bytes held so far
// to the backend and relays both ways as a Relay does. A connection that
// does not get a route within MaxPeek bytes or PeekTimeout, or whose route
// fails or says Close, is closed, logged and counted (RouteFailures). Set
// the fields before the first Handler call.
type Router struct {
	// Commands decides each connection's Route; it wins over Route.
	Commands CommandFunc
	// Route picks a backend; used when Commands is nil.
	Route RouteFunc
	// MaxPeek is the most bytes the routing function may wait for
	// (default 8 KiB).
	MaxPeek int
	// PeekTimeout is how long it may wait for them (default 10 s).
	PeekTimeout time.Duration
	Options

	once sync.Once
	set  *settings
}

// Handler is the newHandler to pass to reactor.Listen. Must be called on
// the reactor goroutine (Listen does); one Router may serve several
// reactors.
func (p *Router) Handler(client *reactor.Conn) reactor.Handler {
	p.init()
	return clientSide{&session{set: p.set, peek: &peek{rt: p}}}
}

// Stats returns the Router's counters. Safe for concurrent use.
func (p *Router) Stats() *Stats {
	p.init()
	return p.set.stats
}

func (p *Router) init() {
	p.once.Do(func() {
		p.set = p.Options.settings()
		if p.Route == nil {
			p.Route = func([]byte) (string, error) { return "", errors.New("proxy: Router has no Route") }
		}
		if p.MaxPeek <= 0 {
			p.MaxPeek = 8 << 10
		}
		if p.PeekTimeout <= 0 {
			p.PeekTimeout = 10 * time.Second
		}
	})
}

// peek is a Router session waiting for its route.
type peek struct {
	rt    *Router
	buf   []byte
	timer *timer.Timer
}

func (s *session) startPeek() {
	s.peek.timer = s.client.Reactor().AddTimer(s.peek.rt.PeekTimeout, func() {
		s.routeFailed(fmt.Errorf("no route within %v", s.peek.rt.PeekTimeout))
	})
}

// peekData adds the client's bytes to what the routing function sees and
// asks it again. Bytes past MaxPeek are kept (they are forwarded) but not
// shown to it.
func (s *session) peekData(p []byte) {
	pk := s.peek
	pk.buf = append(pk.buf, p...)
	first := pk.buf[:min(len(pk.buf), pk.rt.MaxPeek)]
	rt, err := pk.rt.decide(first)
	if err != nil {
		s.routeFailed(err)
		return
	}
	if rt.Data != nil {
		pk.buf = append(append([]byte(nil), rt.Data...), pk.buf[len(first):]...)
	}
	if len(rt.Reply) > 0 {
		s.client.Write(rt.Reply)
	}
	switch {
	case rt.Close || len(rt.CloseMessage) > 0:
		s.routeClosed(len(rt.Reply) > 0, rt.CloseMessage)
	case rt.Remote != "":
		pk.timer.Cancel()
		s.peek = nil
		s.routing = &routed{route: rt, pending: pk.buf}
		s.connectRoute()
	case len(pk.buf) >= pk.rt.MaxPeek:
		s.routeFailed(fmt.Errorf("no route within %d bytes", pk.rt.MaxPeek))
	}
}

// routeClosed closes a client as its Route says: after what was written
// to it (the Route's Reply, msg), or at once.
func (s *session) routeClosed(replied bool, msg []byte) {
	s.peek.timer.Cancel()
	s.peek = nil
	s.set.stats.routeFailures.Add(1)
	s.set.log.Info("proxy: the route closes the client", "client", addrString(s.client), "message", len(msg))
	if len(msg) > 0 {
		s.client.Write(msg)
	}
	if replied || len(msg) > 0 {
		s.client.CloseAfterWriting()
		return
	}
	s.client.Close()
}

// routeFailed closes a client that got no route.
func (s *session) routeFailed(err error) {
	if s.peek == nil || s.client.Closed() {
		return
	}
	s.peek.timer.Cancel()
	s.set.stats.routeFailures.Add(1)
	s.set.log.Warn("proxy: no route; closing the client", "client", addrString(s.client), "err", err)
	s.client.Close()
}
