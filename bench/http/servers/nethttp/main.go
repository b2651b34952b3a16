// Command nethttp is bench/http's hello-world server on Go's net/http:
// http.Server with a HandlerFunc answering 200 "Hello, World!" as
// text/plain, keep-alive, a goroutine per connection.
//
//	go run ./bench/http/servers/nethttp -addr 127.0.0.1:8090
//
// It runs until killed; the driver stops it by PID.
package main

import (
	"flag"
	"fmt"
	"net/http"
	"os"
)

var (
	hello     = []byte("Hello, World!")
	textPlain = []string{"text/plain"}
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8090", "TCP address to listen on")
	flag.Parse()
	srv := &http.Server{Addr: *addr, Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header()["Content-Type"] = textPlain // a shared, canonical value: no allocation (as fasthttp's SetContentType)
		w.Write(hello)
	})}
	fmt.Println("listening", *addr)
	if err := srv.ListenAndServe(); err != nil {
		fmt.Fprintln(os.Stderr, "nethttp:", err)
		os.Exit(1)
	}
}
