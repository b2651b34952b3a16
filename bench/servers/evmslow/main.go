// Command evmslow is examples/echo's server (one reactor, the loop's read
// buffer written straight back) with the blocked-loop detector as a flag:
// -slow-threshold d turns reactor.WithSlowCallback on with threshold d,
// each report logged as a warning; 0 (the default) leaves it off. The
// benchmark runs the same binary both ways to measure what the detector
// costs.
//
//	go run ./bench/servers/evmslow -addr 127.0.0.1:9000 -slow-threshold 100ms
//
// It runs until killed; the benchmark runner stops it by PID (SIGTERM
// stops the reactor).
package main

import (
	"flag"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/evmachine/evmachine/reactor"
)

// echo writes back what it receives, as examples/echo's does.
type echo struct{ reactor.BaseHandler }

func (echo) ReceiveData(c *reactor.Conn, data []byte) { c.Write(data) }

// options returns the reactor's options: the logger, and the detector when
// threshold is positive, its reports logged.
func options(log *slog.Logger, threshold time.Duration) []reactor.Option {
	opts := []reactor.Option{reactor.WithLogger(log)}
	if threshold > 0 {
		opts = append(opts, reactor.WithSlowCallback(threshold, func(s reactor.SlowCallback) {
			log.Warn("slow callback", "callback", s.Name, "duration", s.Duration, "running", s.Running, "stack", string(s.Stack))
		}))
	}
	return opts
}

func main() {
	addr := flag.String("addr", "127.0.0.1:9000", "TCP address to listen on")
	threshold := flag.Duration("slow-threshold", 0, "report callbacks that hold the loop longer than this (0: the detector is off)")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	r, err := reactor.New(options(log, *threshold)...)
	if err != nil {
		log.Error("reactor", "err", err)
		os.Exit(1)
	}
	shared := &echo{}
	l, err := r.Listen("tcp", *addr, func(*reactor.Conn) reactor.Handler { return shared })
	if err != nil {
		log.Error("listen", "err", err)
		os.Exit(1)
	}
	log.Info("evmachine echo server listening", "addr", l.Addr().String(), "slow_threshold", *threshold, "pid", os.Getpid())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-sigs
		r.Stop()
	}()
	if err := r.Run(); err != nil {
		log.Error("run", "err", err)
		os.Exit(1)
	}
}
