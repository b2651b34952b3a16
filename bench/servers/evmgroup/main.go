// Command evmgroup is the benchmark's multi-core echo server on evmachine:
// a reactor.Group of -loops reactors (default GOMAXPROCS), each on its own
// thread with its own SO_REUSEPORT listener on the same address, every
// connection served by the loop that accepted it, its bytes written back
// as examples/echo does.
//
//	go run ./bench/servers/evmgroup -addr 127.0.0.1:9000 -loops 2
//
// It runs until killed; the benchmark runner stops it by PID (SIGTERM
// stops the group).
package main

import (
	"flag"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"syscall"

	"github.com/evmachine/evmachine/reactor"
)

// echo writes back what it receives. Write copies only what the kernel did
// not take, so the loop's shared read buffer may be passed straight
// through. It holds no state: one value serves every loop.
type echo struct{ reactor.BaseHandler }

func (echo) ReceiveData(c *reactor.Conn, data []byte) { c.Write(data) }

func main() {
	addr := flag.String("addr", "127.0.0.1:9000", "TCP address to listen on")
	loops := flag.Int("loops", runtime.GOMAXPROCS(0), "reactors (loops) in the group")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	g, err := reactor.NewGroup(*loops, reactor.WithLogger(log))
	if err != nil {
		log.Error("group", "err", err)
		os.Exit(1)
	}
	shared := &echo{}
	if err := g.Listen("tcp", *addr, func(*reactor.Conn) reactor.Handler { return shared }); err != nil {
		log.Error("listen", "err", err)
		os.Exit(1)
	}
	log.Info("evmachine group echo server listening", "addr", g.Listeners()[0].Addr().String(),
		"loops", len(g.Reactors()), "pid", os.Getpid())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-sigs
		g.Stop()
	}()
	if err := g.Run(); err != nil {
		log.Error("run", "err", err)
		os.Exit(1)
	}
}
