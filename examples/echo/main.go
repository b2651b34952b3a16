// Command echo is evmachine's echo server: every byte a client sends comes
// back to it. It is the reactor's smallest complete program and the server
// the benchmarks measure.
//
//	go run ./examples/echo                 # 127.0.0.1:8081
//	go run ./examples/echo -addr :9000
//	go run ./examples/echo -unix /tmp/echo.sock
//
// It logs one line when listening and the connection count every 5 s while
// it changes; SIGINT or SIGTERM stop it gracefully (queued replies are
// flushed), a second signal stops it at once.
package main

import (
	"context"
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
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(log, *addr, *unixPath, *grace); err != nil {
		log.Error("echo", "err", err)
		os.Exit(1)
	}
}

func run(log *slog.Logger, addr, unixPath string, grace time.Duration) error {
	r, err := reactor.New(reactor.WithLogger(log))
	if err != nil {
		return err
	}
	network := "tcp"
	if unixPath != "" {
		network, addr = "unix", unixPath
	}
	l, err := r.Listen(network, addr, func(*reactor.Conn) reactor.Handler { return shared })
	if err != nil {
		return err
	}
	log.Info("echo server listening", "network", network, "addr", l.Addr().String(), "pid", os.Getpid())

	last := 0
	r.AddPeriodicTimer(5*time.Second, func() {
		if n := r.ConnectionCount(); n != last {
			last = n
			log.Info("connections", "count", n)
		}
	})

	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		s := <-sigs
		log.Info("stopping gracefully", "signal", s.String(), "connections", "draining")
		ctx, cancel := context.WithTimeout(context.Background(), grace)
		defer cancel()
		go func() { <-sigs; cancel() }() // a second signal: stop now
		if err := r.Shutdown(ctx); err != nil {
			log.Warn("graceful stop cut short", "err", err)
		}
	}()
	if err := r.Run(); err != nil {
		return err
	}
	log.Info("echo server stopped")
	return nil
}
