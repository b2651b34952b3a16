// Command gostd is the benchmark's goroutine-per-connection echo server on
// Go's standard library: the baseline every event loop has to beat. Each
// connection gets a goroutine and a 4 KiB buffer (bufio's default size),
// reads, and writes back what it read.
//
//	go run ./bench/servers/gostd -addr 127.0.0.1:9000
//
// It runs until killed; the benchmark runner stops it by PID.
package main

import (
	"flag"
	"log/slog"
	"net"
	"os"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:9000", "TCP address to listen on")
	bufSize := flag.Int("buf", 4096, "read buffer per connection, bytes")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Error("listen", "err", err)
		os.Exit(1)
	}
	log.Info("go echo server listening", "addr", ln.Addr().String(), "pid", os.Getpid())
	for {
		c, err := ln.Accept()
		if err != nil {
			log.Error("accept", "err", err)
			continue
		}
		go serve(c, *bufSize)
	}
}

// serve echoes until the peer closes or an error.
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
