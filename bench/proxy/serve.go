package main

import (
	"fmt"
	"io"
	"net"
	"os"

	"github.com/evmachine/evmachine/protocols/proxy"
	"github.com/evmachine/evmachine/reactor"
)

// serve runs one proxy under test in this (child) process until it is
// killed: it prints "READY <addr>" on stdout once it listens.
func serve(mode, backend string) error {
	switch mode {
	case "relay", "relay-nosplice":
		return serveRelay(backend, mode == "relay-nosplice")
	case "iocopy":
		return serveIOCopy(backend)
	}
	return fmt.Errorf("unknown proxy mode %q", mode)
}

// serveRelay is the evmachine relay: one reactor, protocols/proxy.Relay.
func serveRelay(backend string, noSplice bool) error {
	r, err := reactor.New()
	if err != nil {
		return err
	}
	relay := &proxy.Relay{Backend: backend, Options: proxy.Options{NoSplice: noSplice}}
	l, err := r.Listen("tcp", "127.0.0.1:0", relay.Handler)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stdout, "READY %s\n", l.Addr())
	return r.Run()
}

// serveIOCopy is the proxy most Go programs would write: two goroutines
// per client, each an io.Copy (which splices on Linux), half-close passed
// on.
func serveIOCopy(backend string) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stdout, "READY %s\n", ln.Addr())
	for {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		go func() {
			defer c.Close()
			b, err := net.Dial("tcp", backend)
			if err != nil {
				return
			}
			defer b.Close()
			done := make(chan struct{})
			go func() {
				io.Copy(b, c)
				b.(*net.TCPConn).CloseWrite()
				close(done)
			}()
			io.Copy(c, b)
			c.(*net.TCPConn).CloseWrite()
			<-done
		}()
	}
}
