package reactor_test

import (
	"bufio"
	"fmt"
	"net"
	"strings"

	"github.com/evmachine/evmachine/reactor"
)

// A server whose first message decides that the connection goes on in
// plain blocking Go code (what em-synchrony was for): the handler answers
// on the loop, detaches, and a goroutine takes over the net.Conn. The
// answer written before Detach reaches the client first, and the client's
// next line, which the reactor never read, is the goroutine's.
func ExampleConn_Detach() {
	var reason error
	err := reactor.Run(func(r *reactor.Reactor) error {
		l, err := r.Listen("tcp", "127.0.0.1:0", func(*reactor.Conn) reactor.Handler {
			return reactor.HandlerFuncs{
				OnReceiveData: func(c *reactor.Conn, data []byte) {
					c.WriteString("evented: got " + string(data))
					nc, err := c.Detach()
					if err != nil {
						c.Close()
						return
					}
					go func() { // blocking code from here on
						defer nc.Close()
						line, _ := bufio.NewReader(nc).ReadString('\n')
						fmt.Fprintf(nc, "blocking: got %s", line)
					}()
				},
				OnUnbind: func(c *reactor.Conn, why error) { reason = why },
			}
		})
		if err != nil {
			return err
		}
		go func() {
			defer r.Stop()
			conn, err := net.Dial("tcp", l.Addr().String())
			if err != nil {
				return
			}
			defer conn.Close()
			br := bufio.NewReader(conn)
			for _, msg := range []string{"one\n", "two\n"} {
				fmt.Fprint(conn, msg)
				reply, _ := br.ReadString('\n')
				fmt.Println(strings.TrimSpace(reply))
			}
		}()
		return nil
	})
	fmt.Println("Run returned:", err)
	fmt.Println("Unbind reason:", reason)
	// Output:
	// evented: got one
	// blocking: got two
	// Run returned: <nil>
	// Unbind reason: reactor: connection detached
}
