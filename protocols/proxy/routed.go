package proxy

import (
	"errors"

	"github.com/evmachine/evmachine/reactor"
	"github.com/evmachine/evmachine/timer"
)

// routed is a Router session from its Route on: the client's bytes are
// held (pending) until the backend connects, a failed connect is retried,
// and the backend's first byte starts the relay back to the client, as in
// ProxyMachine.
type routed struct {
	route   Route
	pending []byte       // client bytes for the backend until it connects
	paused  bool         // the client is paused: pending is full
	tries   int          // connects retried so far
	retry   *timer.Timer // the next retry, while one is due
	sent    bool         // the backend sent its first byte
}

// connectRoute connects (again) to the Route's Remote. Each attempt has
// its own generation, so that the events of a failed one are told apart.
func (s *session) connectRoute() {
	rt := s.routing
	rt.retry = nil
	if s.client.Closed() {
		return
	}
	s.addr, s.backend = rt.route.Remote, nil
	ct, it := rt.route.ConnectTimeout, rt.route.InactivityTimeout
	if ct <= 0 {
		ct = s.set.ConnectTimeout
	}
	if it <= 0 {
		it = s.set.IdleTimeout
	}
	s.gen++
	b, err := s.client.Reactor().Connect(s.set.Network, s.addr, backendSide{s, s.gen},
		reactor.WithPendingConnectTimeout(ct), reactor.WithInactivityTimeout(it))
	if err != nil {
		s.routeConnectFailed(err)
		return
	}
	s.backend = b
}

// routeConnectFailed retries, or gives up: the client is closed and
// OnConnectError called.
func (s *session) routeConnectFailed(err error) {
	rt := s.routing
	if rt.tries < rt.route.Retries {
		rt.tries++
		d := rt.route.RetryDelay
		if d <= 0 {
			d = DefaultRetryDelay
		}
		s.set.log.Info("proxy: backend connect failed; retrying", "backend", s.addr,
			"client", addrString(s.client), "try", rt.tries, "of", rt.route.Retries, "err", err)
		rt.retry = s.client.Reactor().AddTimer(d, s.connectRoute)
		return
	}
	s.connectFailed(err)
	if f := rt.route.OnConnectError; f != nil {
		f(rt.route.Remote)
	}
}

// routeConnected sends the held bytes and relays the client's from now on.
func (s *session) routeConnected() {
	rt := s.routing
	s.backendUp = true
	if len(rt.pending) > 0 {
		if _, err := s.backend.Write(rt.pending); err == nil {
			s.set.stats.toBackend.Add(uint64(len(rt.pending)))
		}
	}
	rt.pending = nil
	if rt.paused {
		rt.paused = false
		s.client.Resume()
	}
	if s.clientEOF {
		s.backend.CloseWrite()
		return
	}
	s.client.ProxyTo(s.backend, s.proxyOpts(&s.set.stats.toBackend)...)
}

// routeHold keeps client bytes that come while the backend connects; past
// the buffer the client is paused until it is connected.
func (s *session) routeHold(p []byte) {
	rt := s.routing
	rt.pending = append(rt.pending, p...)
	if len(rt.pending) >= s.set.Buffer && !rt.paused {
		rt.paused = true
		s.client.PauseReading() // a Reply to the client must still go out
	}
}

// routeFirstBytes hands the backend's first bytes to the client and relays
// the rest.
func (s *session) routeFirstBytes(p []byte) {
	s.routing.sent = true
	if _, err := s.client.Write(p); err == nil {
		s.set.stats.toClient.Add(uint64(len(p)))
	}
	s.backend.ProxyTo(s.client, s.proxyOpts(&s.set.stats.toClient)...)
}

// routeBackendGone handles the backend's Unbind: a failed connect is
// retried or reported, a backend that timed out before its first byte
// closes the client and is reported, any other end is a Relay's.
func (s *session) routeBackendGone(reason error) {
	rt := s.routing
	switch {
	case s.client.Closed():
		// The client left first (and closed the backend): no backend error.
	case !s.backendUp:
		s.routeConnectFailed(reason)
	case !rt.sent && errors.Is(reason, reactor.ErrInactivityTimeout):
		s.set.log.Warn("proxy: backend sent nothing within its inactivity timeout; closing the client",
			"backend", s.addr, "client", addrString(s.client), "timeout", rt.route.InactivityTimeout)
		s.client.Close()
		if f := rt.route.OnInactivity; f != nil {
			f(rt.route.Remote)
		}
	default:
		closeSoon(s.client, reason)
	}
}
