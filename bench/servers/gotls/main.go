// Command gotls is the benchmark's TLS echo server on Go's standard
// library, the baseline of the TLS scenarios: tls.Listen, one goroutine per
// connection, and the same read/write loop with a 4 KiB buffer as the
// plain baseline (bench/servers/gostd). io.Copy is not used on purpose: a
// tls.Conn has neither ReadFrom nor WriteTo, so io.Copy would give every
// connection a 32 KiB buffer and flatter any server compared with it.
//
//	go run ./bench/servers/gotls -addr 127.0.0.1:9443 -cert cert.pem -key key.pem
//
// It runs until killed; the benchmark runner stops it by PID.
package main

import (
	"crypto/tls"
	"flag"
	"log/slog"
	"net"
	"os"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:9443", "TCP address to listen on")
	certFile := flag.String("cert", "", "the server's certificate chain (PEM)")
	keyFile := flag.String("key", "", "the certificate's private key (PEM)")
	bufSize := flag.Int("buf", 4096, "read buffer per connection, bytes")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
	if err != nil {
		log.Error("loading the certificate", "err", err)
		os.Exit(2)
	}
	ln, err := tls.Listen("tcp", *addr, &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		log.Error("listen", "err", err)
		os.Exit(1)
	}
	log.Info("go TLS echo server listening", "addr", ln.Addr().String(), "pid", os.Getpid())
	for {
		c, err := ln.Accept()
		if err != nil {
			log.Error("accept", "err", err)
			continue
		}
		go serve(c, *bufSize)
	}
}

// serve echoes until the peer closes or an error; the handshake runs in
// the first Read.
func serve(c net.Conn, size int) {
	defer c.Close()
	buf := make([]byte, size)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
