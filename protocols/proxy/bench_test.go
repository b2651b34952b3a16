package proxy_test

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/evmachine/evmachine/protocols/proxy"
	"github.com/evmachine/evmachine/reactor"
)

// BenchmarkRelayBulk moves 64 KiB writes over one connection through a
// Relay to a sink, with and without splice, and for comparison directly.
// The whole-system figures (the proxy in its own process, the io.Copy
// proxy, ping-pong at 1,000 connections, RSS) come from go run ./bench/proxy.
func BenchmarkRelayBulk(b *testing.B) {
	for _, mode := range []string{"direct", "splice", "copy"} {
		b.Run(mode, func(b *testing.B) { benchBulk(b, mode) })
	}
}

func benchBulk(b *testing.B, mode string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	got := make(chan int64, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- -1
			return
		}
		defer c.Close()
		n, _ := io.CopyBuffer(io.Discard, struct{ io.Reader }{c}, make([]byte, 256<<10))
		got <- n
	}()
	target := ln.Addr().String()
	if mode != "direct" {
		lg := &logBuf{}
		relay := &proxy.Relay{Backend: target, Options: proxy.Options{NoSplice: mode == "copy", Logger: lg.Logger()}}
		r, err := reactor.New(reactor.WithLogger(lg.Logger()))
		if err != nil {
			b.Fatal(err)
		}
		l, err := r.Listen("tcp", "127.0.0.1:0", relay.Handler)
		if err != nil {
			b.Fatal(err)
		}
		go r.Run()
		defer r.Stop()
		target = l.Addr().String()
	}
	c, err := net.Dial("tcp", target)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 64<<10)
	b.SetBytes(int64(len(buf)))
	b.ResetTimer()
	for range b.N {
		if _, err := c.Write(buf); err != nil {
			b.Fatal(err)
		}
	}
	c.(*net.TCPConn).CloseWrite()
	select {
	case n := <-got:
		if n != int64(b.N*len(buf)) {
			b.Fatalf("sink got %d of %d bytes", n, b.N*len(buf))
		}
	case <-time.After(time.Minute):
		b.Fatal("sink did not finish")
	}
}
