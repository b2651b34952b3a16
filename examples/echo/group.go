package main

import (
	"log/slog"
	"os"
	"time"

	"github.com/evmachine/evmachine/reactor"
)

// runGroup is run with -loops above 1: a reactor.Group of that many loops,
// one listener per loop on the same address (SO_REUSEPORT), each
// connection echoed by the loop that accepted it.
func runGroup(log *slog.Logger, loops int, network, addr string, grace time.Duration, opts []reactor.ConnOption) error {
	g, err := reactor.NewGroup(loops, reactor.WithLogger(log))
	if err != nil {
		return err
	}
	if err := g.Listen(network, addr, func(*reactor.Conn) reactor.Handler { return shared }, opts...); err != nil {
		g.Stop()
		g.Run() // releases the pollers
		return err
	}
	log.Info("echo server listening", "network", network, "addr", g.Listeners()[0].Addr().String(),
		"loops", len(g.Reactors()), "tls", len(opts) > 0, "pid", os.Getpid())

	stopCount := make(chan struct{})
	defer close(stopCount)
	go func() { // the connection count of all loops, every 5 s while it changes
		tick := time.NewTicker(5 * time.Second)
		defer tick.Stop()
		last := 0
		for {
			select {
			case <-stopCount:
				return
			case <-tick.C:
			}
			if n := g.Stats().Total.Connections; n != last {
				last = n
				log.Info("connections", "count", n)
			}
		}
	}()

	stop := stopOnSignal(log, grace, g.Shutdown)
	defer stop()
	if err := g.Run(); err != nil {
		return err
	}
	log.Info("echo server stopped")
	return nil
}
