package reactor_test

import (
	"fmt"

	"github.com/evmachine/evmachine/reactor"
)

// echo is an echo server's handler: every byte received goes back.
// Write copies only what the kernel does not take at once, so the
// loop's shared read buffer can be passed straight through.
type echo struct{ reactor.BaseHandler }

func (echo) ReceiveData(c *reactor.Conn, data []byte) { c.Write(data) }

// An echo server and, on the same reactor, a client that sends one line,
// checks the echo and stops the reactor. As in EventMachine, everything
// runs on the reactor goroutine: no locks. A setup that returns an error
// (a port in use, say) stops the reactor, and Run returns the error.
func Example_echoServer() {
	err := reactor.Run(func(r *reactor.Reactor) error {
		l, err := r.Listen("tcp", "127.0.0.1:0", func(*reactor.Conn) reactor.Handler { return echo{} })
		if err != nil {
			return err
		}
		const msg = "hello, reactor"
		var got []byte
		_, err = r.Connect("tcp", l.Addr().String(), reactor.HandlerFuncs{
			OnConnectionCompleted: func(c *reactor.Conn) { c.Write([]byte(msg)) },
			OnReceiveData: func(c *reactor.Conn, data []byte) {
				got = append(got, data...) // data is only valid during the call
				if len(got) == len(msg) {
					fmt.Printf("client got %q\n", got)
					c.Close()
				}
			},
			OnUnbind: func(c *reactor.Conn, reason error) {
				fmt.Println("client closed, reason:", reason)
				r.Stop()
			},
		})
		return err
	})
	fmt.Println("Run returned:", err)
	// Output:
	// client got "hello, reactor"
	// client closed, reason: <nil>
	// Run returned: <nil>
}
