package http

import (
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/evmachine/evmachine/internal/nettest"
	"github.com/evmachine/evmachine/reactor"
)

// clientResult is what a request's callback received.
type clientResult struct {
	resp *ClientResponse
	err  error
	at   time.Time
}

// clientDo makes one request on the loop with start and waits for its
// callback.
func clientDo(t testing.TB, r *reactor.Reactor, start func(cb func(*ClientResponse, error))) clientResult {
	t.Helper()
	ch := make(chan clientResult, 1)
	r.NextTick(func() {
		start(func(resp *ClientResponse, err error) {
			ch <- clientResult{resp, err, time.Now()}
		})
	})
	return waitFor(t, ch, "callback")
}

// clientGet is clientDo for a GET.
func clientGet(t testing.TB, r *reactor.Reactor, c *Client, url string) clientResult {
	t.Helper()
	return clientDo(t, r, func(cb func(*ClientResponse, error)) { c.Get(url, cb) })
}

// clientServer is an httptest server on loopback that counts the
// connections it accepted (ConnState StateNew).
type clientServer struct {
	*httptest.Server
	newConns atomic.Int64
	mu       sync.Mutex
	active   map[net.Conn]http.ConnState
}

func clientNewServer(t testing.TB, h http.Handler) *clientServer {
	t.Helper()
	s := clientUnstartedServer(h)
	s.Start()
	t.Cleanup(s.Close)
	return s
}

// clientUnstartedServer is a clientServer not started yet (Start or
// StartTLS; the caller closes it).
func clientUnstartedServer(h http.Handler) *clientServer {
	s := &clientServer{Server: httptest.NewUnstartedServer(h), active: map[net.Conn]http.ConnState{}}
	s.Config.ConnState = func(c net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.newConns.Add(1)
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if st == http.StateClosed || st == http.StateHijacked {
			delete(s.active, c)
		} else {
			s.active[c] = st
		}
	}
	return s
}

// clientRawServer accepts loopback connections and runs serve on each, for
// responses net/http would never send.
func clientRawServer(t testing.TB, serve func(c net.Conn)) string {
	t.Helper()
	return "http://" + nettest.Serve(t, func(c *net.TCPConn) {
		c.SetDeadline(time.Now().Add(testWatchdog))
		serve(c)
	})
}
