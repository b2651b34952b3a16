package http

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// streamSummer is a streaming handler that answers with the length and
// SHA-256 of the body it received, once it has ended.
func streamSummer(t *testing.T) Handler {
	return StreamBody(HandlerFunc(func(w *Response, req *http.Request) {
		b := RequestStream(req)
		require.NotNil(t, b)
		_, err := io.ReadAll(req.Body)
		assert.ErrorIs(t, err, ErrBodyStreamed)
		h := sha256.New()
		n := 0
		b.OnData(func(chunk []byte) { h.Write(chunk); n += len(chunk) })
		b.OnEnd(func(err error) {
			if err != nil {
				return // the server answers
			}
			fmt.Fprintf(w, "%d %x %v", n, h.Sum(nil), req.Trailer)
			w.End()
		})
	}))
}

func streamWant(body string, trailer http.Header) string {
	return fmt.Sprintf("%d %x %v", len(body), sha256.Sum256([]byte(body)), trailer)
}

func TestServerStreamedBody(t *testing.T) {
	var srv *Server
	srv = &Server{MaxBodyBytes: 64 << 20, MaxBodyMemory: 1 << 20, Handler: streamSummer(t)}
	_, addr := serverStart(t, srv)
	body := strings.Repeat("0123456789abcdef", 1<<20) // 16 MiB: more than the memory budget
	t.Run("content-length", func(t *testing.T) {
		c, br := serverDial(t, addr)
		go serverSend(t, c, serverRequest("POST", "/", fmt.Sprintf("Content-Length: %d\r\n", len(body)))+body)
		resp, got := serverRead(t, br, "POST")
		assert.Equal(t, 200, resp.StatusCode)
		assert.Equal(t, streamWant(body, nil), got)
	})
	t.Run("chunked with a trailer, then a pipelined request", func(t *testing.T) {
		c, br := serverDial(t, addr)
		serverSend(t, c, serverRequest("POST", "/", "Transfer-Encoding: chunked\r\nTrailer: X-Sum\r\n")+
			"5\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: 11\r\n\r\n"+serverRequest("POST", "/", "Content-Length: 2\r\n")+"ok")
		_, got := serverRead(t, br, "POST")
		assert.Equal(t, streamWant("hello world", http.Header{"X-Sum": {"11"}}), got)
		_, got = serverRead(t, br, "POST")
		assert.Equal(t, streamWant("ok", nil), got)
	})
	used, _ := srv.BodyMemory()
	assert.Zero(t, used, "streamed bodies take no body memory")
}

// A handler that sets OnData later (after a timer) loses nothing: the
// stream is held until then.
func TestServerStreamedBodyLateConsumer(t *testing.T) {
	_, addr := serverStart(t, &Server{Handler: StreamBody(HandlerFunc(func(w *Response, req *http.Request) {
		var got []byte
		w.Reactor().AddTimer(50*time.Millisecond, func() {
			RequestStream(req).OnData(func(b []byte) { got = append(got, b...) }).OnEnd(func(error) {
				w.Write(got)
				w.End()
			})
		})
	}))})
	c, br := serverDial(t, addr)
	serverSend(t, c, serverRequest("PUT", "/", "Content-Length: 11\r\n")+"hello world")
	_, got := serverRead(t, br, "PUT")
	assert.Equal(t, "hello world", got)
}

// Pause holds the client back through TCP: while the stream is paused the
// client cannot write much more than the socket buffers hold; after Resume
// every byte arrives.
func TestServerStreamedBodyPause(t *testing.T) {
	const size = 64 << 20
	var received atomic.Int64
	var stream atomic.Pointer[BodyStream]
	var pausing atomic.Bool
	pausing.Store(true)
	r, addr := serverStart(t, &Server{MaxBodyBytes: size, Handler: StreamBody(HandlerFunc(func(w *Response, req *http.Request) {
		b := RequestStream(req)
		stream.Store(b)
		b.OnData(func(chunk []byte) {
			received.Add(int64(len(chunk)))
			if pausing.Load() {
				b.Pause()
			}
		}).OnEnd(func(err error) {
			fmt.Fprint(w, received.Load(), err)
			w.End()
		})
	}))})
	c, br := serverDial(t, addr)
	var sent atomic.Int64
	go func() {
		io.WriteString(c, serverRequest("POST", "/", fmt.Sprintf("Content-Length: %d\r\n", size)))
		chunk := make([]byte, 64<<10)
		for sent.Load() < size {
			n, err := c.Write(chunk)
			sent.Add(int64(n))
			if err != nil {
				return
			}
		}
	}()
	// The client's writes stall: the count stops moving, far below size.
	stalled := waitStable(t, func() int64 { return sent.Load() })
	assert.Less(t, stalled, int64(size/2), "the paused stream holds the client back")
	assert.LessOrEqual(t, received.Load(), int64(256<<10), "nothing more is delivered while paused")
	pausing.Store(false)
	onLoop(t, r, func() { stream.Load().Resume() })
	_, got := serverRead(t, br, "POST")
	assert.Equal(t, fmt.Sprint(size, nil), got)
}

// waitStable waits until f returns the same value for 200 ms and returns it.
func waitStable(t *testing.T, f func() int64) int64 {
	t.Helper()
	deadline := time.Now().Add(testWatchdog)
	last, since := f(), time.Now()
	for time.Since(since) < 200*time.Millisecond {
		require.True(t, time.Now().Before(deadline), "watchdog: the value kept moving")
		time.Sleep(10 * time.Millisecond)
		if v := f(); v != last {
			last, since = v, time.Now()
		}
	}
	return last
}

// A streamed body that goes wrong ends the stream with the reason, and
// the server answers for the handler.
func TestServerStreamedBodyErrors(t *testing.T) {
	var endErr atomic.Value
	_, addr := serverStart(t, &Server{MaxBodyBytes: 100, Handler: StreamBody(HandlerFunc(func(w *Response, req *http.Request) {
		RequestStream(req).OnData(func([]byte) {}).OnEnd(func(err error) {
			endErr.Store(fmt.Sprint(err))
		})
	}))})
	cases := []struct {
		name, raw string
		halfClose bool
		status    int
		err       string
	}{
		{"malformed chunk", serverRequest("POST", "/", "Transfer-Encoding: chunked\r\n") + "5\r\nhello\r\nzz\r\n", false, 400, "malformed chunked body"},
		{"too large", serverRequest("POST", "/", "Transfer-Encoding: chunked\r\n") + "40\r\n" + strings.Repeat("x", 64) + "\r\n40\r\n", false, 413, "larger than 100"},
		{"cut short", serverRequest("POST", "/", "Content-Length: 10\r\n") + "hello", true, 400, io.ErrUnexpectedEOF.Error()},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			endErr.Store("")
			c, br := serverDial(t, addr)
			serverSend(t, c, tc.raw)
			if tc.halfClose {
				closeWrite(t, c)
			}
			resp, _ := serverRead(t, br, "POST")
			assert.Equal(t, tc.status, resp.StatusCode)
			serverAssertClosed(t, br)
			assert.Contains(t, endErr.Load(), tc.err)
		})
	}
}

// A handler may answer before the body (a refusal): the answer goes out at
// once, and the connection closes after it since the rest of the body is
// not read; OnEnd learns that the body will not come.
func TestServerStreamedBodyAnsweredEarly(t *testing.T) {
	ended := make(chan error, 1)
	_, addr := serverStart(t, &Server{Handler: StreamBody(HandlerFunc(func(w *Response, req *http.Request) {
		RequestStream(req).OnEnd(func(err error) { ended <- err })
		w.WriteHeader(http.StatusUnauthorized)
		w.End()
	}))})
	c, br := serverDial(t, addr)
	serverSend(t, c, serverRequest("POST", "/", "Content-Length: 1000000\r\nExpect: 100-continue\r\n"))
	resp, _ := serverRead(t, br, "POST")
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "no 100 Continue first")
	assert.True(t, resp.Close)
	serverAssertClosed(t, br)
	assert.True(t, errors.Is(waitFor(t, ended, "OnEnd"), errServerConnClosed))
}

func TestServerStreamedBodyExpectContinue(t *testing.T) {
	_, addr := serverStart(t, &Server{Handler: streamSummer(t)})
	c, br := serverDial(t, addr)
	serverSend(t, c, serverRequest("POST", "/", "Content-Length: 5\r\nExpect: 100-continue\r\n"))
	resp, _ := serverRead(t, br, "POST")
	require.Equal(t, http.StatusContinue, resp.StatusCode)
	serverSend(t, c, "hello")
	_, got := serverRead(t, br, "POST")
	assert.Equal(t, streamWant("hello", nil), got)
}
