package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
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

	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		s, ok := <-sigs
		if !ok {
			return
		}
		log.Info("stopping gracefully", "signal", s.String(), "connections", "draining")
		ctx, cancel := context.WithTimeout(context.Background(), grace)
		defer cancel()
		go func() { <-sigs; cancel() }() // a second signal: stop now
		if err := g.Shutdown(ctx); err != nil {
			log.Warn("graceful stop cut short", "err", err)
		}
	}()
	if err := g.Run(); err != nil {
		return err
	}
	log.Info("echo server stopped")
	return nil
}
