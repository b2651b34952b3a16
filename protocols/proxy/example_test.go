package proxy_test

import (
	"bytes"
	"log"
	"net"
	"strconv"
	"time"

	"github.com/evmachine/evmachine/protocols/proxy"
	"github.com/evmachine/evmachine/reactor"
)

// A relay from 127.0.0.1:8083 to a backend on 127.0.0.1:8081.
func ExampleRelay() {
	relay := &proxy.Relay{Backend: "127.0.0.1:8081"}
	err := reactor.Run(func(r *reactor.Reactor) error {
		_, err := r.Listen("tcp", "127.0.0.1:8083", relay.Handler)
		return err // a port in use stops the reactor, and Run returns it
	})
	if err != nil {
		log.Fatal(err)
	}
}

// Production answers; staging gets a copy, cut off if it falls 4 MiB
// behind.
func ExampleDuplex() {
	dup := &proxy.Duplex{Production: "127.0.0.1:8081", Staging: "127.0.0.1:8084", StagingBuffer: 4 << 20}
	err := reactor.Run(func(r *reactor.Reactor) error {
		if _, err := r.Listen("tcp", "127.0.0.1:8083", dup.Handler); err != nil {
			return err
		}
		r.AddPeriodicTimer(10*time.Second, func() { log.Printf("%+v", dup.Stats().Snapshot()) })
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
}

// Route HTTP by Host header, SSH by its banner, everything else to a
// default backend.
func ExampleRouter() {
	rt := &proxy.Router{Route: proxy.Routes(
		proxy.Rule{Host: "a.example", Backend: "127.0.0.1:8081"},
		proxy.Rule{Host: "*.b.example", Backend: "127.0.0.1:8085"},
		proxy.Rule{Prefix: "SSH-", Backend: "127.0.0.1:22"},
		proxy.Rule{Backend: "127.0.0.1:8080"},
	)}
	err := reactor.Run(func(r *reactor.Reactor) error {
		_, err := r.Listen("tcp", "127.0.0.1:8083", rt.Handler)
		return err
	})
	if err != nil {
		log.Fatal(err)
	}
}

// A RouteFunc of one's own: the first line names the backend.
func ExampleRouteFunc() {
	byFirstLine := func(first []byte) (string, error) {
		for i, c := range first {
			if c == '\n' {
				switch string(first[:i]) {
				case "blue":
					return "127.0.0.1:9001", nil
				case "green":
					return "127.0.0.1:9002", nil
				}
				return "", proxy.ErrNoRoute
			}
		}
		return "", proxy.ErrNeedMore
	}
	rt := &proxy.Router{Route: byFirstLine, MaxPeek: 64}
	_ = rt
}

// ProxyMachine's commands: the README's SOCKS4 proxy in a CommandFunc.
func ExampleCommandFunc() {
	socks4 := func(data []byte) proxy.Route {
		if len(data) < 9 {
			return proxy.Route{} // {:noop => true}: wait for more bytes
		}
		if data[0] != 4 || data[1] != 1 {
			return proxy.Route{CloseMessage: []byte("\x00\x5b\x00\x00\x00\x00\x00\x00")}
		}
		user := bytes.IndexByte(data[8:], 0)
		if user < 0 {
			return proxy.Route{}
		}
		port := int(data[2])<<8 | int(data[3])
		return proxy.Route{
			Remote:         net.JoinHostPort(net.IP(data[4:8]).String(), strconv.Itoa(port)),
			Reply:          []byte("\x00\x5a\x00\x00\x00\x00\x00\x00"),
			Data:           data[8+user+1:], // what follows the request goes to the remote
			ConnectTimeout: 2 * time.Second,
			Retries:        3,
			OnConnectError: func(remote string) { log.Printf("cannot reach %s", remote) },
		}
	}
	rt := &proxy.Router{Commands: socks4}
	reactor.Run(func(r *reactor.Reactor) { r.Listen("tcp", "127.0.0.1:1080", rt.Handler) })
}
