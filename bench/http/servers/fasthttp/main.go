// Command fasthttp is bench/http's hello-world server on
// github.com/valyala/fasthttp: fasthttp.Server with default options (a
// worker goroutine per connection, pooled), answering 200 "Hello, World!"
// as text/plain, keep-alive.
//
//	go run ./bench/http/servers/fasthttp -addr 127.0.0.1:8090
//
// -cpuprofile writes a CPU profile until the server is stopped (SIGTERM,
// by PID, as the driver does).
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/valyala/fasthttp"
)

var hello = []byte("Hello, World!")

func main() {
	addr := flag.String("addr", "127.0.0.1:8090", "TCP address to listen on")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile here until stopped")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "fasthttp:", err)
			os.Exit(1)
		}
	}
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		ctx.SetContentType("text/plain")
		ctx.Write(hello)
	}}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- srv.ListenAndServe(*addr) }()
	fmt.Println("listening", *addr)
	select {
	case err := <-done:
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "fasthttp:", err)
		os.Exit(1)
	case <-sigs:
		pprof.StopCPUProfile()
	}
}
