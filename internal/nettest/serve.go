package nettest

import (
	"net"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// Serve runs a plain Go TCP server on loopback and returns its address:
// fn handles each accepted connection on its own goroutine, and the
// connection is closed when fn returns. Cleanup closes the listener and
// every connection still open (which unblocks an fn that stalls on
// purpose), then waits for every fn to return.
func Serve(t testing.TB, fn func(c *net.TCPConn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		conns  []net.Conn
		closed bool
	)
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		closed = true
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			if closed { // accepted while Cleanup ran
				c.Close()
			}
			mu.Unlock()
			wg.Go(func() {
				defer c.Close()
				fn(c.(*net.TCPConn))
			})
		}
	})
	return ln.Addr().String()
}
