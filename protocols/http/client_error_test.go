package http

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/evmachine/evmachine/internal/nettest"
	"github.com/evmachine/evmachine/reactor"
)

func TestClientConnectionRefused(t *testing.T) {
	addr := nettest.RefusedAddr(t)
	r := startReactor(t)
	c := NewClient(r)
	res := clientGet(t, r, c, "http://"+addr+"/x")
	require.Error(t, res.err)
	assert.ErrorIs(t, res.err, syscall.ECONNREFUSED)
	var ue *url.Error
	require.ErrorAs(t, res.err, &ue)
	assert.Equal(t, "Get", ue.Op)
	assert.Equal(t, "http://"+addr+"/x", ue.URL)
	assert.False(t, ue.Timeout())
	assert.Contains(t, res.err.Error(), "connecting to "+addr)
}

func TestClientResolvesHostNames(t *testing.T) {
	s := clientNewServer(t, http.HandlerFunc(clientHello))
	r := startReactor(t)
	c := NewClient(r)
	u := strings.Replace(s.URL, "127.0.0.1", "localhost", 1)
	res := clientGet(t, r, c, u+"/named")
	require.NoError(t, res.err)
	assert.Equal(t, "hello /named", string(res.resp.Body))

	if ln, err := net.Listen("tcp", "[::1]:0"); err == nil {
		srv := &http.Server{Handler: http.HandlerFunc(clientHello)}
		go srv.Serve(ln)
		t.Cleanup(func() { srv.Close() })
		res = clientGet(t, r, c, "http://"+ln.Addr().String()+"/v6")
		require.NoError(t, res.err)
		assert.Equal(t, "hello /v6", string(res.resp.Body))
	} else {
		t.Logf("no IPv6 loopback (%v): IPv6 literal not tested", err)
	}

	res = clientGet(t, r, c, "http://no-such-host.invalid/")
	require.Error(t, res.err)
	var dnsErr *net.DNSError
	if !errors.Is(res.err, reactor.ErrConnectTimeout) { // a resolver that never answers hits the connect timeout
		assert.ErrorAs(t, res.err, &dnsErr)
	}
}

func TestClientMalformedResponses(t *testing.T) {
	cases := []struct {
		name, reply string
		opts        []ClientOption
		want        error
	}{
		{"garbage status line", "HTTP/1.1 two hundred OK\r\n\r\n", nil, ErrClientMalformedResponse},
		{"not HTTP", "SSH-2.0-OpenSSH_9.6\r\n\r\n", nil, ErrClientMalformedResponse},
		{"HTTP/2 status line", "HTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n", nil, ErrClientMalformedResponse},
		{"bad Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n", nil, ErrClientMalformedResponse},
		{"two Content-Lengths", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", nil, ErrClientMalformedResponse},
		{"unknown transfer coding", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", nil, ErrClientMalformedResponse},
		{"bad chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", nil, ErrClientMalformedResponse},
		{"chunk without CRLF", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX", nil, ErrClientMalformedResponse},
		{"header too large", "HTTP/1.1 200 OK\r\nX-Big: " + strings.Repeat("a", 4096) + "\r\n\r\n",
			[]ClientOption{WithClientMaxHeaderBytes(1024)}, ErrClientResponseTooLarge},
		{"declared body too large", "HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n",
			[]ClientOption{WithClientMaxBodyBytes(1000)}, ErrClientResponseTooLarge},
		{"chunked body too large", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n400\r\n" + strings.Repeat("b", 1024) + "\r\n0\r\n\r\n",
			[]ClientOption{WithClientMaxBodyBytes(1000)}, ErrClientResponseTooLarge},
		{"close-delimited body too large", "HTTP/1.0 200 OK\r\n\r\n" + strings.Repeat("c", 2000),
			[]ClientOption{WithClientMaxBodyBytes(1000)}, ErrClientResponseTooLarge},
		{"cut short body", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten!!", nil, io.ErrUnexpectedEOF},
		{"cut short chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", nil, io.ErrUnexpectedEOF},
		{"cut short header", "HTTP/1.1 200 OK\r\nContent-Le", nil, io.ErrUnexpectedEOF},
		{"no response at all", "", nil, io.ErrUnexpectedEOF},
	}
	r := startReactor(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			url := clientRawServer(t, func(conn net.Conn) {
				if clientReadRequest(bufio.NewReader(conn)) != nil {
					io.WriteString(conn, tc.reply)
				}
			})
			c := NewClient(r, tc.opts...)
			res := clientGet(t, r, c, url)
			require.Error(t, res.err)
			assert.ErrorIs(t, res.err, tc.want)
			assert.Nil(t, res.resp)
		})
	}
}

func TestClientBadRequests(t *testing.T) {
	r := startReactor(t)
	c := NewClient(r)
	for _, u := range []string{"ftp://example.com/", "ws://example.com/", "http:///nohost", "https:///nohost", "::not a url"} {
		t.Run(u, func(t *testing.T) {
			returned := false
			res := clientDo(t, r, func(cb func(*ClientResponse, error)) {
				c.Get(u, func(resp *ClientResponse, err error) {
					assert.True(t, returned, "the callback never runs inside Get")
					cb(resp, err)
				})
				returned = true
			})
			assert.ErrorIs(t, res.err, ErrClientBadRequest)
		})
	}
	t.Run("header injection", func(t *testing.T) {
		req, err := http.NewRequest("GET", "http://127.0.0.1:1/", nil)
		require.NoError(t, err)
		req.Header["X-Evil\r\nInjected"] = []string{"1"}
		res := clientDo(t, r, func(cb func(*ClientResponse, error)) { c.Do(req, cb) })
		assert.ErrorIs(t, res.err, ErrClientBadRequest)
		req.Header = http.Header{"X-Ok": {"a\r\nInjected: 1"}}
		res = clientDo(t, r, func(cb func(*ClientResponse, error)) { c.Do(req, cb) })
		assert.ErrorIs(t, res.err, ErrClientBadRequest)
	})
}

// The server answers, then (once the connection is idle: the test says
// when) sends a 408 nobody asked for. The client drops that connection,
// and the next request gets a new one. Were the 408 sent without waiting,
// it could cross the next request on the wire and be taken for its
// answer, as it would with net/http's Transport.
func TestClientUnsolicitedDataOnIdleConnection(t *testing.T) {
	idle := make(chan struct{}, 3)
	closed := make(chan bool, 3)
	url := clientRawServer(t, func(conn net.Conn) {
		br := bufio.NewReader(conn)
		if clientReadRequest(br) == nil {
			return
		}
		io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		select {
		case <-idle:
		case <-time.After(testWatchdog):
			return
		}
		io.WriteString(conn, "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n")
		closed <- clientReadRequest(br) == nil // the client closes: no request follows
	})
	r := startReactor(t)
	c := NewClient(r)
	for range 3 {
		res := clientGet(t, r, c, url)
		require.NoError(t, res.err)
		assert.Equal(t, "ok", string(res.resp.Body))
		idle <- struct{}{}
		assert.True(t, waitFor(t, closed, "close of the idle connection"), "no request on that connection")
	}
}

func TestClientStopFailsInflightRequests(t *testing.T) {
	got := make(chan struct{})
	url := clientRawServer(t, func(conn net.Conn) {
		clientReadRequest(bufio.NewReader(conn))
		close(got)
		conn.Read(make([]byte, 1))
	})
	r := startReactor(t)
	c := NewClient(r, WithClientMaxConnsPerHost(1))
	results := make(chan clientResult, 2)
	r.NextTick(func() {
		for range 2 { // one in flight, one queued
			c.Get(url, func(resp *ClientResponse, err error) { results <- clientResult{resp: resp, err: err} })
		}
	})
	waitFor(t, got, "request at the server")
	r.Stop()
	for range 2 {
		res := waitFor(t, results, "result")
		assert.ErrorIs(t, res.err, reactor.ErrStopped)
	}
}

func TestClientCallbackPanicKeepsLoopServing(t *testing.T) {
	s := clientNewServer(t, http.HandlerFunc(clientHello))
	panicked := make(chan any, 1)
	r := startReactor(t, reactor.WithPanicHandler(func(v any, _ []byte) { panicked <- v }))
	c := NewClient(r)
	r.NextTick(func() {
		c.Get(s.URL, func(*ClientResponse, error) { panic("boom") })
	})
	assert.Equal(t, "boom", waitFor(t, panicked, "panic"))
	res := clientGet(t, r, c, s.URL+"/after")
	require.NoError(t, res.err)
	assert.Equal(t, "hello /after", string(res.resp.Body))
}
