package websocket_test

import (
	"fmt"
	"log"

	"github.com/evmachine/evmachine/protocols/websocket"
	"github.com/evmachine/evmachine/reactor"
)

// An echo server on its own listener, and a client that says hello to it
// and stops the reactor when the server has echoed.
func Example() {
	err := reactor.Run(func(r *reactor.Reactor) {
		server := &websocket.Config{Handlers: websocket.Handlers{
			OnMessage: func(c *websocket.Conn, msg string) { c.Send(msg) },
		}}
		_, l, err := websocket.Listen(r, "tcp", "127.0.0.1:0", server)
		if err != nil {
			log.Fatal(err)
		}
		client := &websocket.Config{Handlers: websocket.Handlers{
			OnOpen: func(c *websocket.Conn) { c.Send("hello") },
			OnMessage: func(c *websocket.Conn, msg string) {
				fmt.Println("echoed:", msg)
				c.Close(websocket.CloseNormal, "done")
			},
			OnClose: func(*websocket.Conn, websocket.CloseEvent) { r.Stop() },
		}}
		if _, err := websocket.Dial(r, "ws://"+l.Addr().String()+"/", client); err != nil {
			log.Fatal(err)
		}
	})
	if err != nil {
		log.Fatal(err)
	}
	// Output: echoed: hello
}
