package http

import (
	"context"

	"github.com/evmachine/evmachine/reactor"
)

// serverRegistry is what Shutdown needs to find: the listeners opened by
// Listen and the live connections. Guarded by Server.mu, because one
// Server may serve on several reactors.
type serverRegistry struct {
	listeners map[*reactor.Listener]*reactor.Reactor
	conns     map[*serverConn]struct{}
	empty     chan struct{} // closed when shutting down and no conns are left
}

func (s *Server) track(l *reactor.Listener, r *reactor.Reactor) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.reg.listeners == nil {
		s.reg.listeners = make(map[*reactor.Listener]*reactor.Reactor)
	}
	s.reg.listeners[l] = r
}

// register records a new connection; during a shutdown it reports false
// and the connection is closed at once.
func (s *Server) register(sc *serverConn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shuttingDown.Load() && s.reg.empty != nil {
		return false
	}
	if s.reg.conns == nil {
		s.reg.conns = make(map[*serverConn]struct{})
	}
	s.reg.conns[sc] = struct{}{}
	return true
}

func (s *Server) unregister(sc *serverConn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.reg.conns, sc)
	if len(s.reg.conns) == 0 && s.reg.empty != nil {
		select {
		case <-s.reg.empty:
		default:
			close(s.reg.empty)
		}
	}
}

// Shutdown stops the Server gracefully, the stop EventMachine servers
// lacked: the listeners opened by Listen close, idle connections close, and
// connections with answers under way finish them (with Connection: close)
// and then close; requests not yet read are not served. It returns nil
// once every connection is gone, or ctx's error if ctx ends first (the
// remaining connections are closed then). The reactors keep running.
//
// Safe for concurrent use, but it waits for the loops: do not call it on
// a reactor goroutine that this Server serves on.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.shuttingDown.Store(true)
	if s.reg.empty == nil {
		s.reg.empty = make(chan struct{})
		if len(s.reg.conns) == 0 {
			close(s.reg.empty)
		}
	}
	empty := s.reg.empty
	for l, r := range s.reg.listeners {
		r.NextTick(func() { l.Close() })
	}
	s.reg.listeners = nil
	for sc := range s.reg.conns {
		sc.c.Reactor().NextTick(sc.shutdown)
	}
	s.mu.Unlock()

	select {
	case <-empty:
		return nil
	case <-ctx.Done():
	}
	s.mu.Lock()
	for sc := range s.reg.conns {
		sc.c.Reactor().NextTick(func() { sc.c.Close() })
	}
	s.mu.Unlock()
	return ctx.Err()
}

// shutdown closes the connection now if it is idle, else once its pending
// answers are done.
func (sc *serverConn) shutdown() {
	if sc.closed {
		return
	}
	sc.closing = true
	if len(sc.queue) == 0 {
		sc.c.Close()
	}
}
