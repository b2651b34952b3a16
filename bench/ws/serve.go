package main

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"

	gorilla "github.com/gorilla/websocket"
	"github.com/lesismal/nbio/nbhttp"
	nbws "github.com/lesismal/nbio/nbhttp/websocket"

	"github.com/evmachine/evmachine/protocols/websocket"
	"github.com/evmachine/evmachine/reactor"
)

// serve runs one echo server on a free loopback port, prints "READY
// <addr>" and serves until killed.
func serve(kind string) error {
	switch kind {
	case "evmachine":
		return reactor.Run(func(r *reactor.Reactor) {
			cfg := &websocket.Config{Logger: slog.New(slog.DiscardHandler), Handlers: websocket.Handlers{
				OnBinary:  func(c *websocket.Conn, m []byte) { c.SendBinary(m) },
				OnMessage: func(c *websocket.Conn, m string) { c.Send(m) },
			}}
			_, l, err := websocket.Listen(r, "tcp", "127.0.0.1:0", cfg, reactor.WithBacklog(16384))
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				r.Stop()
				return
			}
			fmt.Println("READY " + l.Addr().String())
		})
	case "gorilla":
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		up := gorilla.Upgrader{ReadBufferSize: 4096, WriteBufferSize: 4096}
		fmt.Println("READY " + ln.Addr().String())
		return http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, err := up.Upgrade(w, r, nil)
			if err != nil {
				return
			}
			defer c.Close()
			for {
				mt, msg, err := c.ReadMessage()
				if err != nil {
					return
				}
				if c.WriteMessage(mt, msg) != nil {
					return
				}
			}
		}))
	case "nbio":
		port, err := freePort()
		if err != nil {
			return err
		}
		up := nbws.NewUpgrader()
		up.OnMessage(func(c *nbws.Conn, mt nbws.MessageType, data []byte) { c.WriteMessage(mt, data) })
		addr := "127.0.0.1:" + strconv.Itoa(port)
		engine := nbhttp.NewEngine(nbhttp.Config{
			Network: "tcp", Addrs: []string{addr}, NPoller: 1, MaxLoad: 1 << 20, ReleaseWebsocketPayload: true,
			Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { up.Upgrade(w, r, nil) }),
		})
		if err := engine.Start(); err != nil {
			return err
		}
		fmt.Println("READY " + addr)
		select {}
	}
	return fmt.Errorf("unknown server %q (evmachine, gorilla, nbio)", kind)
}

// freePort asks the kernel for a free loopback port (nbio takes an
// address, not a listener).
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
