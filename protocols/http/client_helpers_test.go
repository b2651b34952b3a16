package http

import (
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

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
	s.Start()
	t.Cleanup(s.Close)
	return s
}

// clientRawServer accepts loopback connections and runs serve on each, for
// responses net/http would never send.
func clientRawServer(t testing.TB, serve func(c net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	closed := false
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		closed = true
		for _, c := range conns {
			c.Close() // unblocks a serve that stalls on purpose
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			if closed {
				c.Close()
			}
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				c.SetDeadline(time.Now().Add(testWatchdog))
				serve(c)
			}()
		}
	}()
	return "http://" + ln.Addr().String()
}
