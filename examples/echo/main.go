// Command echo is evmachine's echo server: every byte a client sends comes
// back to it. It is the reactor's smallest complete program and the server
// the benchmarks measure.
//
//	go run ./examples/echo                 # 127.0.0.1:8081
//	go run ./examples/echo -addr :9000
//	go run ./examples/echo -unix /tmp/echo.sock
//	go run ./examples/echo -tls-cert cert.pem -tls-key key.pem   # TLS echo
//	go run ./examples/echo -loops 4        # a reactor.Group: 4 loops on one port
//
// With -loops N above 1 it runs N reactors (reactor.Group), one per core,
// each with its own listener on the same address (SO_REUSEPORT); a
// connection stays on the loop that accepted it.
//
// With -tls-cert and -tls-key (PEM files: the certificate chain, leaf
// first, and its private key) every connection speaks TLS 1.2 or 1.3
// (reactor.WithTLS), e.g. for
// `openssl s_client -connect 127.0.0.1:8081 -CAfile ca.pem -quiet`.
//
// It logs one line when listening and the connection count every 5 s while
// it changes; SIGINT or SIGTERM stop it gracefully (queued replies are
// flushed), a second signal stops it at once.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/evmachine/evmachine/reactor"
)

// echo writes back what it receives. Write copies only what the kernel did
// not take, so the shared read buffer may be passed straight through.
type echo struct{ reactor.BaseHandler }

func (echo) ReceiveData(c *reactor.Conn, data []byte) { c.Write(data) }

var shared = &echo{}

func main() {
	addr := flag.String("addr", "127.0.0.1:8081", "TCP address to listen on")
	unixPath := flag.String("unix", "", "listen on this Unix socket path instead of TCP")
	grace := flag.Duration("grace", 10*time.Second, "how long a graceful stop may take")
	certFile := flag.String("tls-cert", "", "serve TLS with this PEM certificate (chain) file (needs -tls-key)")
	keyFile := flag.String("tls-key", "", "the PEM private key of -tls-cert")
	loops := flag.Int("loops", 1, "event loops (above 1: a reactor.Group on SO_REUSEPORT; 0: one per core)")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(log, *addr, *unixPath, *grace, *certFile, *keyFile, *loops); err != nil {
		log.Error("echo", "err", err)
		os.Exit(1)
	}
}

// tlsOptions returns the listener's TLS option for a certificate and key
// file, none when both are empty.
func tlsOptions(certFile, keyFile string) ([]reactor.ConnOption, error) {
	switch {
	case certFile == "" && keyFile == "":
		return nil, nil
	case certFile == "" || keyFile == "":
		return nil, errors.New("-tls-cert and -tls-key go together")
	}
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, err
	}
	return []reactor.ConnOption{reactor.WithTLS(&tls.Config{Certificates: []tls.Certificate{pair}})}, nil
}

func run(log *slog.Logger, addr, unixPath string, grace time.Duration, certFile, keyFile string, loops int) error {
	opts, err := tlsOptions(certFile, keyFile)
	if err != nil {
		return err
	}
	network := "tcp"
	if unixPath != "" {
		network, addr = "unix", unixPath
	}
	if loops != 1 {
		return runGroup(log, loops, network, addr, grace, opts)
	}
	r, err := reactor.New(reactor.WithLogger(log))
	if err != nil {
		return err
	}
	l, err := r.Listen(network, addr, func(*reactor.Conn) reactor.Handler { return shared }, opts...)
	if err != nil {
		return err
	}
	log.Info("echo server listening", "network", network, "addr", l.Addr().String(), "tls", len(opts) > 0, "pid", os.Getpid())

	last := 0
	r.AddPeriodicTimer(5*time.Second, func() {
		if n := r.ConnectionCount(); n != last {
			last = n
			log.Info("connections", "count", n)
		}
	})

	stop := stopOnSignal(log, grace, r.Shutdown)
	defer stop()
	if err := r.Run(); err != nil {
		return err
	}
	log.Info("echo server stopped")
	return nil
}

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
		log.Info("stopping gracefully", "signal", s.String(), "connections", "draining")
		ctx, cancel := context.WithTimeout(context.Background(), grace)
		defer cancel()
		go func() { <-sigs; cancel() }() // a second signal: stop now
		if err := shutdown(ctx); err != nil {
			log.Warn("graceful stop cut short", "err", err)
		}
	}()
	return func() { signal.Stop(sigs) }
}
