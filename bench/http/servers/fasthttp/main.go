// Command fasthttp is bench/http's hello-world server on
// github.com/valyala/fasthttp: fasthttp.Server with default options (a
// worker goroutine per connection, pooled), answering 200 "Hello, World!"
// as text/plain, keep-alive.
//
//	go run ./bench/http/servers/fasthttp -addr 127.0.0.1:8090
//
// It runs until killed; the driver stops it by PID.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/valyala/fasthttp"
)

var hello = []byte("Hello, World!")

func main() {
	addr := flag.String("addr", "127.0.0.1:8090", "TCP address to listen on")
	flag.Parse()
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		ctx.SetContentType("text/plain")
		ctx.Write(hello)
	}}
	fmt.Println("listening", *addr)
	if err := srv.ListenAndServe(*addr); err != nil {
		fmt.Fprintln(os.Stderr, "fasthttp:", err)
		os.Exit(1)
	}
}
