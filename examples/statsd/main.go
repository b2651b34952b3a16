// Command statsd is a statsd-compatible metrics aggregator on evmachine's
// datagram sockets, as an EventMachine user would have written it with
// EM.open_datagram_socket and EM.add_periodic_timer.
//
//	go run ./examples/statsd                       # UDP 127.0.0.1:8125, a flush every 10 s
//	go run ./examples/statsd -flush 1s -loops 4    # a reactor.Group: 4 sockets on one port
//	go run ./examples/statsd -graphite 127.0.0.1:2003
//	echo "hits:1|c" | nc -u -w0 127.0.0.1 8125
//
// It takes statsd's line protocol, several lines per datagram: counters
// "name:1|c" (a sample rate "|@0.1" scales them), gauges "name:5|g" and
// deltas "name:+2|g", timers "name:12|ms" and sets "name:member|s". Every
// -flush interval it logs a summary, writes the interval's aggregates as
// one JSON line to stdout (counters, gauges, timers with count, min, max,
// mean, p90 and sum, set sizes) and, with -graphite, sends them to a
// Graphite plaintext endpoint over TCP, reconnecting when it goes away.
// Bad lines are counted (and logged with -debug), never fatal.
//
// With -loops N above 1 each of N loops has its own socket on the port
// (SO_REUSEPORT) and aggregates what it receives; a flush merges them on
// the first loop. SIGINT or SIGTERM flush once more and stop.
package main

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/evmachine/evmachine/reactor"
)

type config struct {
	addr, graphite, prefix string
	flush, grace           time.Duration
	loops                  int
	json                   bool
}

func main() {
	var cfg config
	flag.StringVar(&cfg.addr, "addr", "127.0.0.1:8125", "UDP address to listen on")
	flag.DurationVar(&cfg.flush, "flush", 10*time.Second, "flush interval")
	flag.IntVar(&cfg.loops, "loops", 1, "event loops (above 1: a reactor.Group on SO_REUSEPORT; 0: one per core)")
	flag.BoolVar(&cfg.json, "json", true, "write each flush as one JSON line to stdout")
	flag.StringVar(&cfg.graphite, "graphite", "", "also send each flush to this Graphite plaintext host:port")
	flag.StringVar(&cfg.prefix, "graphite-prefix", "stats", "the Graphite paths' prefix")
	flag.DurationVar(&cfg.grace, "grace", 10*time.Second, "how long the last flush and the stop may take")
	debug := flag.Bool("debug", false, "log every bad line")
	flag.Parse()
	level := slog.LevelInfo
	if *debug {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	var out io.Writer
	if cfg.json {
		out = os.Stdout
	}
	if err := run(log, cfg, out); err != nil {
		log.Error("statsd", "err", err)
		os.Exit(1)
	}
}

func run(log *slog.Logger, cfg config, out io.Writer) error {
	if cfg.flush <= 0 {
		return flagError("-flush must be positive")
	}
	var (
		rs       []*reactor.Reactor
		runAll   func() error
		stopAll  func()
		shutdown func(context.Context) error
		listen   func(s *server) ([]*reactor.PacketConn, error)
	)
	if cfg.loops == 1 {
		r, err := reactor.New(reactor.WithLogger(log))
		if err != nil {
			return err
		}
		rs, runAll, stopAll, shutdown = []*reactor.Reactor{r}, r.Run, r.Stop, r.Shutdown
		listen = func(s *server) ([]*reactor.PacketConn, error) {
			pc, err := r.ListenPacket("udp", cfg.addr, s.handlerFor(r))
			return []*reactor.PacketConn{pc}, err
		}
	} else {
		g, err := reactor.NewGroup(cfg.loops, reactor.WithLogger(log))
		if err != nil {
			return err
		}
		rs, runAll, stopAll, shutdown = g.Reactors(), g.Run, g.Stop, g.Shutdown
		listen = func(s *server) ([]*reactor.PacketConn, error) { return g.ListenPacket("udp", cfg.addr, s.handlerFor) }
	}
	home := rs[0]
	s := newServer(home, rs, log, out)
	if cfg.graphite != "" {
		s.graphite = &graphite{r: home, addr: cfg.graphite, prefix: cfg.prefix, log: log}
	}
	pcs, err := listen(s)
	if err != nil {
		stopAll()
		runAll() // releases the pollers
		return err
	}
	log.Info("statsd listening", "addr", pcs[0].LocalAddr().String(), "sockets", len(pcs), "loops", len(rs),
		"flush", cfg.flush.String(), "graphite", cfg.graphite, "pid", os.Getpid())
	home.NextTick(func() { home.AddPeriodicTimer(cfg.flush, func() { s.Flush(nil) }) })

	stop := stopOnSignal(log, cfg.grace, func(ctx context.Context) error {
		flushed := make(chan struct{})
		home.NextTick(func() { s.Flush(func(Snapshot) { close(flushed) }) })
		select {
		case <-flushed:
		case <-ctx.Done():
		}
		return shutdown(ctx) // Graphite's queued lines go out first
	})
	defer stop()
	if err := runAll(); err != nil {
		return err
	}
	log.Info("statsd stopped")
	return nil
}

type flagError string

func (e flagError) Error() string { return string(e) }

// stopOnSignal makes SIGINT or SIGTERM call shutdown (a graceful stop of at
// most grace; a second signal cuts it short). The returned function stops
// listening for the signals.
func stopOnSignal(log *slog.Logger, grace time.Duration, shutdown func(context.Context) error) func() {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		s, ok := <-sigs
		if !ok {
			return
		}
		log.Info("stopping: a last flush", "signal", s.String())
		ctx, cancel := context.WithTimeout(context.Background(), grace)
		defer cancel()
		go func() { <-sigs; cancel() }() // a second signal: stop now
		if err := shutdown(ctx); err != nil {
			log.Warn("graceful stop cut short", "err", err)
		}
	}()
	return func() { signal.Stop(sigs) }
}
