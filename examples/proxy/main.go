// Command proxy is evmachine's TCP proxy, in the three shapes em-proxy and
// ProxyMachine made popular on EventMachine:
//
//	# relay: every client gets its own connection to the backend
//	go run ./examples/proxy -listen 127.0.0.1:8083 -backend 127.0.0.1:8081
//
//	# duplex: production answers, staging gets a copy (its answers are dropped)
//	go run ./examples/proxy -listen 127.0.0.1:8083 -backend 127.0.0.1:8081 -duplicate 127.0.0.1:8084
//
//	# router: the backend is chosen from the first bytes (HTTP Host header, prefix)
//	go run ./examples/proxy -listen 127.0.0.1:8083 \
//	    -route 'host:a.example=127.0.0.1:8081,host:b.example=127.0.0.1:8085,default=127.0.0.1:8081'
//
//	# TLS termination: clients speak TLS to the proxy, the backend plaintext
//	go run ./examples/proxy -listen 127.0.0.1:8443 -backend 127.0.0.1:8081 \
//	    -tls-cert cert.pem -tls-key key.pem
//
// With -tls-cert and -tls-key (PEM files: the certificate chain, leaf
// first, and its private key) the listener accepts TLS 1.2 and 1.3
// (reactor.WithTLS) in every mode; the bytes are decrypted in the reactor
// and go to the backend in plaintext, the answers encrypted back (a
// router sees the decrypted first bytes).
//
// Bytes move inside the reactor with splice(2) on Linux (-no-splice copies
// instead; TLS bytes are always copied). A backend that refuses gives its
// client a closed connection and the log one line. Every 10 s, when they
// changed, the counters are logged. SIGINT or SIGTERM stop it gracefully
// (listeners close, queued bytes are flushed, the proxy exits once the
// last connection is gone or -grace has passed); a second signal stops it
// at once.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/evmachine/evmachine/protocols/proxy"
	"github.com/evmachine/evmachine/reactor"
)

type config struct {
	listen, backend, duplicate, route string
	tlsCert, tlsKey                   string
	noSplice                          bool
	connectTimeout, idle, grace       time.Duration
	statsEvery                        time.Duration
}

func main() {
	var cfg config
	flag.StringVar(&cfg.listen, "listen", "127.0.0.1:8083", "TCP address to accept clients on")
	flag.StringVar(&cfg.backend, "backend", "", "backend address (relay), or the production backend with -duplicate")
	flag.StringVar(&cfg.duplicate, "duplicate", "", "staging backend that gets a copy of client traffic (needs -backend)")
	flag.StringVar(&cfg.route, "route", "", "route by first bytes: host:NAME=ADDR,prefix:TEXT=ADDR,default=ADDR (instead of -backend)")
	flag.StringVar(&cfg.tlsCert, "tls-cert", "", "accept TLS with this PEM certificate (chain) file (needs -tls-key)")
	flag.StringVar(&cfg.tlsKey, "tls-key", "", "the PEM private key of -tls-cert")
	flag.BoolVar(&cfg.noSplice, "no-splice", false, "copy bytes through user space instead of splice(2)")
	flag.DurationVar(&cfg.connectTimeout, "connect-timeout", 5*time.Second, "backend connect timeout")
	flag.DurationVar(&cfg.idle, "idle", 0, "close connections idle this long (0: never)")
	flag.DurationVar(&cfg.grace, "grace", 10*time.Second, "how long a graceful stop may take")
	flag.DurationVar(&cfg.statsEvery, "stats", 10*time.Second, "log the counters this often when they changed (0: never)")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))

	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	stop, hard := make(chan struct{}), make(chan struct{})
	go func() {
		s := <-sigs
		log.Info("stopping gracefully", "signal", s.String())
		close(stop)
		<-sigs
		close(hard)
	}()
	if err := run(log, cfg, stop, hard, nil); err != nil {
		log.Error("proxy", "err", err)
		os.Exit(1)
	}
}

// handler builds the newHandler for the configured mode and a way to read
// its counters.
func handler(cfg config, log *slog.Logger) (func(*reactor.Conn) reactor.Handler, func() proxy.Snapshot, string, error) {
	opts := proxy.Options{ConnectTimeout: cfg.connectTimeout, IdleTimeout: cfg.idle, NoSplice: cfg.noSplice, Logger: log}
	switch {
	case cfg.route != "" && (cfg.backend != "" || cfg.duplicate != ""):
		return nil, nil, "", errors.New("-route replaces -backend and -duplicate")
	case cfg.route != "":
		rules, err := proxy.ParseRoutes(cfg.route)
		if err != nil {
			return nil, nil, "", err
		}
		rt := &proxy.Router{Route: proxy.Routes(rules...), Options: opts}
		return rt.Handler, rt.Stats().Snapshot, "router", nil
	case cfg.backend == "":
		return nil, nil, "", errors.New("give -backend ADDR (and -duplicate ADDR), or -route RULES")
	case cfg.duplicate != "":
		d := &proxy.Duplex{Production: cfg.backend, Staging: cfg.duplicate, Options: opts}
		return d.Handler, d.Stats().Snapshot, "duplex", nil
	}
	rl := &proxy.Relay{Backend: cfg.backend, Options: opts}
	return rl.Handler, rl.Stats().Snapshot, "relay", nil
}

// listenOptions returns the listener's options: TLS termination when a
// certificate and key are configured.
func listenOptions(cfg config) ([]reactor.ConnOption, error) {
	switch {
	case cfg.tlsCert == "" && cfg.tlsKey == "":
		return nil, nil
	case cfg.tlsCert == "" || cfg.tlsKey == "":
		return nil, errors.New("-tls-cert and -tls-key go together")
	}
	pair, err := tls.LoadX509KeyPair(cfg.tlsCert, cfg.tlsKey)
	if err != nil {
		return nil, err
	}
	return []reactor.ConnOption{reactor.WithTLS(&tls.Config{Certificates: []tls.Certificate{pair}})}, nil
}

// run serves until stop is closed, then stops gracefully within cfg.grace
// (or at once when hard is closed). ready, if not nil, gets the listening
// address.
func run(log *slog.Logger, cfg config, stop, hard <-chan struct{}, ready func(addr string)) error {
	newHandler, snapshot, mode, err := handler(cfg, log)
	if err != nil {
		return err
	}
	opts, err := listenOptions(cfg)
	if err != nil {
		return err
	}
	r, err := reactor.New(reactor.WithLogger(log))
	if err != nil {
		return err
	}
	l, err := r.Listen("tcp", cfg.listen, newHandler, opts...)
	if err != nil {
		return err
	}
	log.Info("proxy listening", "mode", mode, "addr", l.Addr().String(), "backend", cfg.backend,
		"duplicate", cfg.duplicate, "route", cfg.route, "splice", !cfg.noSplice, "tls", len(opts) > 0, "pid", os.Getpid())
	if ready != nil {
		ready(l.Addr().String())
	}
	if cfg.statsEvery > 0 {
		var last proxy.Snapshot
		r.AddPeriodicTimer(cfg.statsEvery, func() {
			if s := snapshot(); s != last {
				last = s
				log.Info("stats", "counters", fmt.Sprintf("%+v", s))
			}
		})
	}
	go func() {
		<-stop
		ctx, cancel := context.WithTimeout(context.Background(), cfg.grace)
		defer cancel()
		go func() {
			select {
			case <-hard:
				cancel()
			case <-ctx.Done():
			}
		}()
		if err := r.Shutdown(ctx); err != nil {
			log.Warn("graceful stop cut short", "err", err)
		}
	}()
	if err := r.Run(); err != nil {
		return err
	}
	log.Info("proxy stopped", "counters", fmt.Sprintf("%+v", snapshot()))
	return nil
}
