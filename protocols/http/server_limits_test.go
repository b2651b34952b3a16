package http

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/evmachine/evmachine/reactor"
	"github.com/evmachine/evmachine/timer"
)

// Every refusal is a clear status, then the connection closes; answers
// owed to earlier requests on the connection still go out first.
func TestServerRefusals(t *testing.T) {
	_, addr := serverStart(t, &Server{Handler: serverEcho, MaxHeaderBytes: 256, MaxBodyBytes: 64})
	tests := []struct {
		name   string
		req    string
		status int
	}{
		{"head too large", serverRequest("GET", "/", "X-Big: "+strings.Repeat("b", 300)+"\r\n"), 431},
		{"endless head", "GET / HTTP/1.1\r\nX: " + strings.Repeat("b", 1000), 431},
		{"body too large", serverRequest("POST", "/", "Content-Length: 65\r\n") + strings.Repeat("x", 65), 413},
		{"chunked body too large", serverRequest("POST", "/", "Transfer-Encoding: chunked\r\n") + "40\r\n" + strings.Repeat("x", 64) + "\r\n1\r\nx\r\n0\r\n\r\n", 413},
		{"malformed request line", "GET\r\n\r\n", 400},
		{"malformed header", serverRequest("GET", "/", "Bad Header\r\n"), 400},
		{"missing host", "GET / HTTP/1.1\r\n\r\n", 400},
		{"bad chunk", serverRequest("POST", "/", "Transfer-Encoding: chunked\r\n") + "xyz\r\n", 400},
		{"unsupported version", "GET / HTTP/2.0\r\n\r\n", 505},
		{"unsupported transfer encoding", serverRequest("POST", "/", "Transfer-Encoding: gzip, chunked\r\n"), 501},
		{"binary garbage", "\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\n\n", 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, br := serverDial(t, addr)
			serverSend(t, c, serverRequest("GET", "/before", "")+tc.req)
			_, body := serverRead(t, br, "GET")
			assert.Equal(t, "GET /before ", body, "the earlier request is answered")
			resp, body := serverRead(t, br, "GET")
			assert.Equal(t, tc.status, resp.StatusCode, "body %q", body)
			assert.True(t, resp.Close)
			assert.NotEmpty(t, body, "a reason is given")
			serverAssertClosed(t, br)
		})
	}
}

// serverFakeStart runs a server on a reactor with a fake clock.
func serverFakeStart(t *testing.T, srv *Server) (*reactor.Reactor, *timer.FakeClock, string) {
	clk := timer.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	r, addr := serverStart(t, srv, reactor.WithClock(clk))
	return r, clk, addr
}

// serverAdvance moves the fake clock on the loop and lets the timers run.
func serverAdvance(t *testing.T, r *reactor.Reactor, clk *timer.FakeClock, d time.Duration) {
	onLoop(t, r, func() { clk.Advance(d) })
	onLoop(t, r, func() {}) // an iteration in which the due timers run
}

// serverWaitConns waits until the reactor has n connections.
func serverWaitConns(t *testing.T, r *reactor.Reactor, n int) {
	t.Helper()
	deadline := time.Now().Add(testWatchdog)
	for {
		var got int
		onLoop(t, r, func() { got = r.ConnectionCount() })
		if got == n {
			return
		}
		require.True(t, time.Now().Before(deadline), "watchdog: %d connections, want %d", got, n)
		time.Sleep(5 * time.Millisecond)
	}
}

func TestServerHeaderTimeout(t *testing.T) {
	r, clk, addr := serverFakeStart(t, &Server{Handler: serverEcho, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: time.Hour})
	c, br := serverDial(t, addr)
	serverSend(t, c, "GET / HTTP/1.1\r\nHost: slow\r\n") // never finished: slowloris
	serverWaitConns(t, r, 1)
	onLoop(t, r, func() {}) // the partial head has been read
	serverAdvance(t, r, clk, 4*time.Second)
	serverSend(t, c, "X-More: 1\r\n") // trickling does not extend the deadline
	onLoop(t, r, func() {})
	serverAdvance(t, r, clk, 1500*time.Millisecond)
	resp, _ := serverRead(t, br, "GET")
	assert.Equal(t, http.StatusRequestTimeout, resp.StatusCode)
	serverAssertClosed(t, br)
}

func TestServerBodyTimeout(t *testing.T) {
	r, clk, addr := serverFakeStart(t, &Server{Handler: serverEcho, ReadHeaderTimeout: time.Second, ReadTimeout: 10 * time.Second, IdleTimeout: time.Hour})
	c, br := serverDial(t, addr)
	serverSend(t, c, serverRequest("POST", "/", "Content-Length: 10\r\n")+"abc")
	serverWaitConns(t, r, 1)
	onLoop(t, r, func() {})
	serverAdvance(t, r, clk, 5*time.Second) // past the header timeout: the head was complete
	serverSend(t, c, "de")
	onLoop(t, r, func() {})
	serverAdvance(t, r, clk, 5*time.Second+time.Millisecond)
	resp, _ := serverRead(t, br, "POST")
	assert.Equal(t, http.StatusRequestTimeout, resp.StatusCode)
	serverAssertClosed(t, br)
}

func TestServerIdleTimeout(t *testing.T) {
	var answer *Response
	r, clk, addr := serverFakeStart(t, &Server{IdleTimeout: 30 * time.Second, AnswerTimeout: time.Hour, Handler: HandlerFunc(func(w *Response, req *http.Request) {
		if req.URL.Path == "/later" {
			answer = w // answered by the test, much later
			return
		}
		w.End()
	})})
	c, br := serverDial(t, addr)
	serverSend(t, c, serverRequest("GET", "/now", ""))
	serverRead(t, br, "GET")
	serverAdvance(t, r, clk, 20*time.Second)
	serverSend(t, c, serverRequest("GET", "/later", "")) // a handler at work is not idleness
	onLoop(t, r, func() {})
	serverAdvance(t, r, clk, time.Minute)
	onLoop(t, r, func() {
		require.NotNil(t, answer)
		answer.End()
	})
	resp, _ := serverRead(t, br, "GET")
	assert.Equal(t, 200, resp.StatusCode)
	serverAdvance(t, r, clk, 29*time.Second)
	onLoop(t, r, func() { assert.Equal(t, 1, r.ConnectionCount(), "not idle long enough yet") })
	serverAdvance(t, r, clk, 2*time.Second)
	serverAssertClosed(t, br)
}

func TestServerMaxPipelined(t *testing.T) {
	var pending []*Response
	r, addr := serverStart(t, &Server{MaxPipelined: 2, Handler: HandlerFunc(func(w *Response, req *http.Request) {
		w.Write([]byte(req.URL.Path))
		pending = append(pending, w) // answered when the test says so
	})})
	c, br := serverDial(t, addr)
	var all strings.Builder
	for i := range 7 {
		all.WriteString(serverRequest("GET", "/"+string(rune('a'+i)), ""))
	}
	serverSend(t, c, all.String())
	waitPending := func(n int) {
		deadline := time.Now().Add(testWatchdog)
		for {
			var got int
			onLoop(t, r, func() { got = len(pending) })
			if got >= n {
				require.Equal(t, n, got, "no more requests are taken than allowed")
				return
			}
			require.True(t, time.Now().Before(deadline), "watchdog: %d handlers called, want %d", got, n)
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitPending(2)
	time.Sleep(50 * time.Millisecond) // give a wrong implementation the chance to take more
	waitPending(2)
	for n := 2; n <= 7; n++ {
		onLoop(t, r, func() { pending[n-2].End() })
		_, body := serverRead(t, br, "GET")
		assert.Equal(t, "/"+string(rune('a'+n-2)), body)
		if n < 7 {
			waitPending(n + 1)
		}
	}
	onLoop(t, r, func() { pending[6].End() })
	_, body := serverRead(t, br, "GET")
	assert.Equal(t, "/g", body)
}

func TestServerPanicGives500AndServingGoesOn(t *testing.T) {
	_, addr := serverStart(t, &Server{Handler: HandlerFunc(func(w *Response, req *http.Request) {
		if req.URL.Path == "/panic" {
			w.Header().Set("X-Partial", "dropped")
			w.Write([]byte("half an answer"))
			panic("handler bug")
		}
		w.Write([]byte("fine"))
		w.End()
	})})
	c, br := serverDial(t, addr)
	serverSend(t, c, serverRequest("GET", "/panic", "")+serverRequest("GET", "/ok", ""))
	resp, body := serverRead(t, br, "GET")
	assert.Equal(t, 500, resp.StatusCode)
	assert.Empty(t, resp.Header.Get("X-Partial"))
	assert.Equal(t, "Internal Server Error\n", body)
	_, body = serverRead(t, br, "GET")
	assert.Equal(t, "fine", body, "the same connection goes on")
	_, body = serverGetBody(t, serverClient(t), "http://"+addr+"/ok")
	assert.Equal(t, "fine", body)
}

func TestServerPanicWhileStreamingCloses(t *testing.T) {
	_, addr := serverStart(t, &Server{Handler: HandlerFunc(func(w *Response, req *http.Request) {
		w.Write([]byte("started"))
		w.Flush()
		panic("too late for a 500")
	})})
	c, br := serverDial(t, addr)
	serverSend(t, c, serverRequest("GET", "/", ""))
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	assert.Equal(t, 200, resp.StatusCode)
	buf := make([]byte, 100)
	n, _ := resp.Body.Read(buf)
	assert.Equal(t, "started", string(buf[:n]))
	_, err = resp.Body.Read(buf)
	assert.Error(t, err, "the chunked body is cut off, not terminated")
	assert.NotEqual(t, "EOF", err.Error())
}
