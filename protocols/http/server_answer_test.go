package http

import (
	"bufio"
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/evmachine/evmachine/internal/nettest"
	"github.com/evmachine/evmachine/reactor"
)

// A handler that never ends its answer: the client gets 503 at
// AnswerTimeout, and a warning names the route.
func TestServerAnswerTimeout(t *testing.T) {
	var logs nettest.Buffer
	mux := NewServeMux()
	mux.HandleFunc("GET /forgotten/{id}", func(w *Response, req *http.Request) {}) // never ends
	r, clk, addr := serverFakeStart(t, &Server{Handler: mux, AnswerTimeout: 30 * time.Second,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	c, br := serverDial(t, addr)
	serverSend(t, c, serverRequest("GET", "/forgotten/7", ""))
	serverWaitConns(t, r, 1)
	onLoop(t, r, func() {})
	serverAdvance(t, r, clk, 30*time.Second-time.Millisecond)
	onLoop(t, r, func() { assert.NotContains(t, logs.String(), "no answer in time", "not yet") })
	serverAdvance(t, r, clk, time.Millisecond)
	resp, _ := serverRead(t, br, "GET")
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Contains(t, logs.String(), "no answer in time")
	assert.Contains(t, logs.String(), `route="GET /forgotten/{id}"`)
	assert.Contains(t, logs.String(), "path=/forgotten/7")
	serverSend(t, c, serverRequest("GET", "/forgotten/8", ""))
	onLoop(t, r, func() {})
	assert.Equal(t, 1, countConns(t, r), "the connection goes on after a 503 sent whole")
}

// A streamed answer that stops making progress is cut; one that writes
// within AnswerTimeout each time goes on as long as it likes.
func TestServerAnswerTimeoutStreaming(t *testing.T) {
	var w0 *Response
	r, clk, addr := serverFakeStart(t, &Server{AnswerTimeout: 10 * time.Second, Handler: HandlerFunc(func(w *Response, req *http.Request) {
		w.Write([]byte("first"))
		w.Flush()
		w0 = w
	})})
	c, br := serverDial(t, addr)
	serverSend(t, c, serverRequest("GET", "/", ""))
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	for range 5 { // 45 s in all, never 10 s without a write
		serverAdvance(t, r, clk, 9*time.Second)
		onLoop(t, r, func() { w0.Write([]byte("more")) })
	}
	serverAdvance(t, r, clk, 10*time.Second)
	body, err := io.ReadAll(resp.Body)
	assert.Equal(t, "first"+strings.Repeat("more", 5), string(body))
	assert.Error(t, err, "the chunked body is cut off, not terminated")
	serverAssertClosed(t, br)
}

func TestServerAnswerTimeoutOff(t *testing.T) {
	r, clk, addr := serverFakeStart(t, &Server{AnswerTimeout: -1, IdleTimeout: -1, Handler: HandlerFunc(func(*Response, *http.Request) {})})
	c, _ := serverDial(t, addr)
	serverSend(t, c, serverRequest("GET", "/", ""))
	serverWaitConns(t, r, 1)
	serverAdvance(t, r, clk, 24*time.Hour)
	assert.Equal(t, 1, countConns(t, r))
}

// countConns returns r's connection count, read on the loop.
func countConns(t *testing.T, r *reactor.Reactor) int {
	t.Helper()
	var n int
	onLoop(t, r, func() { n = r.ConnectionCount() })
	return n
}

func TestServerSyncEndsOnReturn(t *testing.T) {
	_, addr := serverStart(t, &Server{Handler: Sync(HandlerFunc(func(w *Response, req *http.Request) {
		w.Header().Set("X-Sync", "yes")
		io.WriteString(w, "done")
	}))})
	resp, body := serverGetBody(t, serverClient(t), "http://"+addr+"/")
	assert.Equal(t, "yes", resp.Header.Get("X-Sync"))
	assert.Equal(t, "done", body)
}

// OnDrained paces a producer: it writes while OutboundSize is below a mark
// and goes on when told, so a client reading slowly never makes the
// server hold more than about the mark.
func TestServerOnDrainedPacesAProducer(t *testing.T) {
	const (
		total = 32 << 20
		piece = 32 << 10
		mark  = 256 << 10
	)
	maxBacklog := 0 // touched on the loop
	r, addr := serverStart(t, &Server{Handler: HandlerFunc(func(w *Response, req *http.Request) {
		chunk := bytes.Repeat([]byte("z"), piece)
		sent := 0
		pump := func() {
			for sent < total && w.OutboundSize() < mark {
				w.Write(chunk)
				sent += piece
				maxBacklog = max(maxBacklog, w.OutboundSize())
			}
			if sent == total {
				w.End()
			}
		}
		w.OnDrained(pump)
		w.Flush()
		pump()
	})})
	c, br := serverDial(t, addr)
	serverSend(t, c, serverRequest("GET", "/", ""))
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	n := 0
	slow := bufio.NewReaderSize(resp.Body, 4096)
	buf := make([]byte, 64<<10)
	for {
		m, err := slow.Read(buf)
		n += m
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		if n < 1<<20 {
			time.Sleep(time.Millisecond) // slow at first, so the backlog builds up
		}
	}
	assert.Equal(t, total, n)
	onLoop(t, r, func() {
		assert.Less(t, maxBacklog, mark+piece+(64<<10), "the producer never ran far ahead of the client")
	})
}

// OnClose tells a handler with an answer under way that the client went
// away.
func TestServerOnCloseWhenClientGoesAway(t *testing.T) {
	closed := make(chan error, 1)
	_, addr := serverStart(t, &Server{Handler: HandlerFunc(func(w *Response, req *http.Request) {
		w.OnClose(func(reason error) { closed <- reason })
		w.Flush() // streaming, never ended
	})})
	c, br := serverDial(t, addr)
	serverSend(t, c, serverRequest("GET", "/", ""))
	_, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	c.Close()
	assert.Error(t, waitFor(t, closed, "OnClose"))
}
