package http

import (
	"errors"

	"github.com/evmachine/evmachine/reactor"
)

// ListenGroup serves HTTP on every reactor of g (reactor.Group.Listen: one
// listener per reactor on the same address, so a server uses every core).
// Each connection is served on the reactor that accepted it; the Server's
// limits, body memory budget and Shutdown span all of them. The address
// is g.Listeners()[i].Addr(). Safe to call before g.Run, or from any
// goroutine while it runs.
func (s *Server) ListenGroup(g *reactor.Group, network, addr string, opts ...reactor.ConnOption) error {
	if s.Handler == nil {
		return errors.New("http server: ListenGroup with a nil Handler")
	}
	before := len(g.Listeners())
	if err := g.Listen(network, addr, s.NewHandler, opts...); err != nil {
		return err
	}
	for _, l := range g.Listeners()[before:] {
		s.track(l, l.Reactor())
	}
	return nil
}
