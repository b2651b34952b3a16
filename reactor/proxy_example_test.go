package reactor_test

import (
	"errors"
	"log"

	"github.com/evmachine/evmachine/reactor"
)

// EventMachine's proxy_incoming_to: each client's bytes go to its own
// backend connection and back, inside the loop (spliced on Linux), with
// backpressure both ways. protocols/proxy builds Relay, Duplex and Router
// on this.
func ExampleConn_ProxyTo() {
	err := reactor.Run(func(r *reactor.Reactor) error {
		_, err := r.Listen("tcp", "127.0.0.1:8083", func(client *reactor.Conn) reactor.Handler {
			backend, err := r.Connect("tcp", "127.0.0.1:8081", reactor.HandlerFuncs{
				OnUnbind: func(*reactor.Conn, error) { client.CloseAfterWriting() },
			})
			if err != nil {
				log.Print(err)
				client.Close()
				return reactor.BaseHandler{}
			}
			client.ProxyTo(backend, reactor.WithProxyStopped(func(c *reactor.Conn, reason error) {
				if errors.Is(reason, reactor.ErrProxyTargetClosed) { // proxy_target_unbound
					c.CloseAfterWriting()
				}
			}))
			backend.ProxyTo(client)
			return reactor.HandlerFuncs{OnUnbind: func(*reactor.Conn, error) { backend.CloseAfterWriting() }}
		})
		return err // a port in use stops the reactor, and Run returns it
	})
	if err != nil {
		log.Fatal(err)
	}
}
