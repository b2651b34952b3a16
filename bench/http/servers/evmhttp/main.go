// Command evmhttp is bench/http's hello-world server on evmachine's
// protocols/http: one reactor (or a reactor.Group with -loops > 1), every
// request answered 200 "Hello, World!" as text/plain, keep-alive.
//
//	go run ./bench/http/servers/evmhttp -addr 127.0.0.1:8090
//
// -cpuprofile writes a CPU profile until the server is stopped (SIGTERM,
// by PID, as the driver does).
package main

import (
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	evhttp "github.com/evmachine/evmachine/protocols/http"
	"github.com/evmachine/evmachine/reactor"
)

var (
	hello     = []byte("Hello, World!")
	textPlain = []string{"text/plain"}
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8090", "TCP address to listen on")
	loops := flag.Int("loops", 1, "reactors: 1 serves on one reactor, more on a reactor.Group")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile here until stopped")
	flag.Parse()
	if err := run(*addr, *loops, *cpuprofile); err != nil {
		fmt.Fprintln(os.Stderr, "evmhttp:", err)
		os.Exit(1)
	}
}

func handler() evhttp.Handler {
	return evhttp.HandlerFunc(func(w *evhttp.Response, _ *http.Request) {
		w.Header()["Content-Type"] = textPlain // a shared, canonical value: no allocation (as fasthttp's SetContentType)
		w.Write(hello)
		w.End()
	})
}

func run(addr string, loops int, cpuprofile string) error {
	if cpuprofile != "" {
		f, err := os.Create(cpuprofile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer f.Close()
		defer pprof.StopCPUProfile()
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv := &evhttp.Server{Handler: handler(), Logger: log}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	if loops > 1 {
		g, err := reactor.NewGroup(loops, reactor.WithLogger(log))
		if err != nil {
			return err
		}
		if err := srv.ListenGroup(g, "tcp", addr); err != nil {
			return err
		}
		go func() { <-sigs; g.Stop() }()
		fmt.Println("listening", g.Listeners()[0].Addr())
		return g.Run()
	}
	r, err := reactor.New(reactor.WithLogger(log))
	if err != nil {
		return err
	}
	l, err := srv.Listen(r, "tcp", addr)
	if err != nil {
		return err
	}
	go func() { <-sigs; r.Stop() }()
	fmt.Println("listening", l.Addr())
	return r.Run()
}
