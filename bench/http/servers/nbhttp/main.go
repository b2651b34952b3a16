// Command nbhttp is bench/http's hello-world server on nbio's nbhttp
// (github.com/lesismal/nbio/nbhttp): an nbhttp.Engine with its defaults
// (non-blocking I/O on nbio's pollers, handlers run on its goroutine
// pool) but MaxLoad raised from 10,000 to 20,000 connections, serving an
// http.HandlerFunc that answers 200 "Hello, World!" as text/plain.
//
//	go run ./bench/http/servers/nbhttp -addr 127.0.0.1:8090
//
// It runs until stopped (SIGTERM, by PID, as the driver does).
package main

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/lesismal/nbio/logging"
	"github.com/lesismal/nbio/nbhttp"
)

var (
	hello     = []byte("Hello, World!")
	textPlain = []string{"text/plain"}
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8090", "TCP address to listen on")
	flag.Parse()
	logging.SetLevel(logging.LevelError)
	engine := nbhttp.NewEngine(nbhttp.Config{
		Network: "tcp",
		Addrs:   []string{*addr},
		MaxLoad: 20_000,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header()["Content-Type"] = textPlain // a shared, canonical value: no allocation (as fasthttp's SetContentType)
			w.Write(hello)
		}),
	})
	if err := engine.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "nbhttp:", err)
		os.Exit(1)
	}
	fmt.Println("listening", *addr)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	<-sigs
	engine.Stop()
}
