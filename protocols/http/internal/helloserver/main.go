// Command helloserver is the hello-world HTTP server the protocols/http
// benchmarks load: the same answer from evmachine's Server (-impl evm) or
// from net/http (-impl nethttp), so the two compare in the same run.
//
//	go run ./protocols/http/internal/helloserver -impl evm -addr 127.0.0.1:8090
//	wrk -t2 -c100 -d10s --latency http://127.0.0.1:8090/
//
// bench.sh next to it runs the whole comparison.
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

var hello = []byte("Hello, World!")

func main() {
	impl := flag.String("impl", "evm", "evm (evmachine) or nethttp")
	addr := flag.String("addr", "127.0.0.1:8090", "TCP address to listen on")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile here until stopped (evm only)")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "helloserver:", err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	var err error
	switch *impl {
	case "evm":
		err = serveEvm(*addr)
		pprof.StopCPUProfile()
	case "nethttp":
		err = serveNetHTTP(*addr)
	default:
		err = fmt.Errorf("unknown -impl %q", *impl)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "helloserver:", err)
		os.Exit(1)
	}
}

func serveEvm(addr string) error {
	r, err := reactor.New()
	if err != nil {
		return err
	}
	srv := &evhttp.Server{Handler: evhttp.HandlerFunc(func(w *evhttp.Response, req *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write(hello)
		w.End()
	}), Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	if _, err := srv.Listen(r, "tcp", addr); err != nil {
		return err
	}
	go func() {
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
		<-sigs
		r.Stop()
	}()
	fmt.Println("listening", addr)
	return r.Run()
}

func serveNetHTTP(addr string) error {
	srv := &http.Server{Addr: addr, Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write(hello)
	})}
	fmt.Println("listening", addr)
	return srv.ListenAndServe()
}
