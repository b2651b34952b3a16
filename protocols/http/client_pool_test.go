package http

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func clientHello(w http.ResponseWriter, req *http.Request) {
	io.WriteString(w, "hello "+req.URL.Path)
}

func TestClientKeepAliveReuse(t *testing.T) {
	s := clientNewServer(t, http.HandlerFunc(clientHello))
	r := startReactor(t)
	c := NewClient(r)

	for i := range 10 { // one at a time from outside the loop
		res := clientGet(t, r, c, fmt.Sprintf("%s/%d", s.URL, i))
		require.NoError(t, res.err)
		assert.Equal(t, fmt.Sprintf("hello /%d", i), string(res.resp.Body))
	}
	// chained: each callback makes the next request
	const chain = 50
	done := make(chan error, 1)
	var next func(i int)
	next = func(i int) {
		c.Get(fmt.Sprintf("%s/c%d", s.URL, i), func(resp *ClientResponse, err error) {
			switch {
			case err != nil:
				done <- err
			case string(resp.Body) != fmt.Sprintf("hello /c%d", i):
				done <- fmt.Errorf("request %d got %q", i, resp.Body)
			case i+1 == chain:
				done <- nil
			default:
				next(i + 1)
			}
		})
	}
	r.NextTick(func() { next(0) })
	require.NoError(t, waitFor(t, done, "end of the requests"))
	assert.Equal(t, int64(1), s.newConns.Load(), "60 sequential requests on one connection")
}

func TestClientKeepAliveOff(t *testing.T) {
	var closeAsked atomic.Int64
	s := clientNewServer(t, http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Close {
			closeAsked.Add(1)
		}
		clientHello(w, req)
	}))
	r := startReactor(t)
	c := NewClient(r, WithClientKeepAlive(false))
	for range 5 {
		require.NoError(t, clientGet(t, r, c, s.URL).err)
	}
	assert.Equal(t, int64(5), s.newConns.Load())
	assert.Equal(t, int64(5), closeAsked.Load(), "every request said Connection: close")
}

func TestClientMaxConnsPerHost(t *testing.T) {
	const limit, n = 3, 12
	var inflight, peak atomic.Int64
	s := clientNewServer(t, http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		cur := inflight.Add(1)
		for p := peak.Load(); cur > p && !peak.CompareAndSwap(p, cur); p = peak.Load() {
		}
		time.Sleep(100 * time.Millisecond)
		inflight.Add(-1)
		clientHello(w, req)
	}))
	r := startReactor(t)
	c := NewClient(r, WithClientMaxConnsPerHost(limit))
	results := make(chan clientResult, n)
	r.NextTick(func() {
		for i := range n {
			c.Get(fmt.Sprintf("%s/%d", s.URL, i), func(resp *ClientResponse, err error) {
				results <- clientResult{resp, err, time.Now()}
			})
		}
	})
	bodies := map[string]bool{}
	for range n {
		res := waitFor(t, results, "result")
		require.NoError(t, res.err)
		bodies[string(res.resp.Body)] = true
	}
	assert.Len(t, bodies, n, "every request got its own answer")
	assert.Equal(t, int64(limit), peak.Load(), "at most %d requests at a time, and the limit is used", limit)
	assert.Equal(t, int64(limit), s.newConns.Load(), "queued requests reuse the %d connections", limit)
}

func TestClientIdleConnections(t *testing.T) {
	s := clientNewServer(t, http.HandlerFunc(clientHello))
	activeConns := func() int {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(s.active)
	}
	r := startReactor(t)

	t.Run("CloseIdleConnections", func(t *testing.T) {
		c := NewClient(r)
		require.NoError(t, clientGet(t, r, c, s.URL).err)
		require.Equal(t, 1, activeConns())
		onLoop(t, r, c.CloseIdleConnections)
		assert.Eventually(t, func() bool { return activeConns() == 0 }, testWatchdog, 10*time.Millisecond)
	})
	t.Run("idle timeout", func(t *testing.T) {
		c := NewClient(r, WithClientIdleTimeout(200*time.Millisecond))
		require.NoError(t, clientGet(t, r, c, s.URL).err)
		assert.Eventually(t, func() bool { return activeConns() == 0 }, testWatchdog, 10*time.Millisecond)
		require.NoError(t, clientGet(t, r, c, s.URL).err, "a new connection after the idle one closed")
	})
	t.Run("server closes idle connection", func(t *testing.T) {
		c := NewClient(r)
		before := s.newConns.Load()
		require.NoError(t, clientGet(t, r, c, s.URL).err)
		s.CloseClientConnections()
		assert.Eventually(t, func() bool {
			n := 0
			onLoop(t, r, func() { n = r.ConnectionCount() })
			return n == 0
		}, testWatchdog, 10*time.Millisecond)
		require.NoError(t, clientGet(t, r, c, s.URL).err)
		assert.Equal(t, before+2, s.newConns.Load())
	})
}

// TestClientRetriesOnStaleConnection: the server reads the second request
// on a kept-alive connection and closes without answering (it had given
// up on the idle connection). A GET is sent again on a new connection; a
// POST fails rather than risk running twice.
func TestClientRetriesOnStaleConnection(t *testing.T) {
	var conns atomic.Int64
	url := clientRawServer(t, func(conn net.Conn) {
		conns.Add(1)
		br := bufio.NewReader(conn)
		for i := 0; ; i++ {
			req := clientReadRequest(br)
			if req == nil || (i == 1 && req.URL.Path != "/fresh") {
				return // close without an answer
			}
			io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		}
	})
	r := startReactor(t)
	c := NewClient(r)
	require.NoError(t, clientGet(t, r, c, url+"/").err)
	res := clientGet(t, r, c, url+"/again")
	require.NoError(t, res.err)
	assert.Equal(t, "ok", string(res.resp.Body))
	assert.Equal(t, int64(2), conns.Load(), "the retry used a new connection")

	res = clientDo(t, r, func(cb func(*ClientResponse, error)) { c.Post(url+"/post", "", []byte("x"), cb) })
	require.Error(t, res.err)
	assert.ErrorIs(t, res.err, io.ErrUnexpectedEOF)
}

// TestClientFanOutFromCallback: requests made inside a completion callback
// wait for that connection only as long as it is busy; the others get
// their own connections at once.
func TestClientFanOutFromCallback(t *testing.T) {
	const fan = 4
	var inflight, peak atomic.Int64
	s := clientNewServer(t, http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path != "/first" {
			cur := inflight.Add(1)
			for p := peak.Load(); cur > p && !peak.CompareAndSwap(p, cur); p = peak.Load() {
			}
			time.Sleep(150 * time.Millisecond)
			inflight.Add(-1)
		}
		clientHello(w, req)
	}))
	r := startReactor(t)
	c := NewClient(r)
	results := make(chan clientResult, fan)
	r.NextTick(func() {
		c.Get(s.URL+"/first", func(_ *ClientResponse, err error) {
			assert.NoError(t, err) // on the loop goroutine: assert, not require
			for i := range fan {
				c.Get(fmt.Sprintf("%s/%d", s.URL, i), func(resp *ClientResponse, err error) {
					results <- clientResult{resp: resp, err: err}
				})
			}
		})
	})
	for range fan {
		require.NoError(t, waitFor(t, results, "result").err)
	}
	assert.Equal(t, int64(fan), peak.Load(), "the fanned-out requests ran in parallel")
	assert.Equal(t, int64(fan), s.newConns.Load(), "the first connection was reused by one of them")
}
