package http

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/evmachine/evmachine/reactor"
)

// hijackEcho upgrades requests with "Upgrade: echo": it answers 101 and
// then echoes every byte upper-cased, starting with the bytes that came
// after the request head.
type hijackEcho struct {
	rest   chan []byte
	unbind chan error
	err    chan error
}

func (h *hijackEcho) Serve(w *Response, req *http.Request) {
	if req.Header.Get("Upgrade") != "echo" {
		w.Write([]byte("plain"))
		w.End()
		return
	}
	if req.URL.Path == "/late" {
		w.Write([]byte("x"))
	}
	c, rest, err := w.Hijack(h)
	h.err <- err
	if err != nil {
		w.End()
		return
	}
	h.rest <- bytes.Clone(rest)
	c.Write([]byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n"))
	h.ReceiveData(c, rest)
}

func (h *hijackEcho) PostInit(*reactor.Conn)            {}
func (h *hijackEcho) ConnectionCompleted(*reactor.Conn) {}
func (h *hijackEcho) ReceiveData(c *reactor.Conn, data []byte) {
	c.Write(bytes.ToUpper(data))
}
func (h *hijackEcho) Unbind(_ *reactor.Conn, reason error) { h.unbind <- reason }

func newHijackEcho() *hijackEcho {
	return &hijackEcho{rest: make(chan []byte, 4), unbind: make(chan error, 4), err: make(chan error, 4)}
}

func TestHijackHandsOverConnAndRest(t *testing.T) {
	h := newHijackEcho()
	srv := &Server{Handler: h, IdleTimeout: 200 * time.Millisecond, ReadHeaderTimeout: 200 * time.Millisecond}
	_, addr := serverStart(t, srv)
	c, br := serverDial(t, addr)
	// A plain request first, then the upgrade with bytes after its head,
	// all in one write.
	serverSend(t, c, serverRequest("GET", "/a", "")+serverRequest("GET", "/ws", "Upgrade: echo\r\nConnection: Upgrade\r\n")+"hello")
	resp, body := serverRead(t, br, "GET")
	assert.Equal(t, "plain", body)
	assert.Equal(t, 200, resp.StatusCode)
	resp, err := http.ReadResponse(br, &http.Request{Method: "GET"})
	require.NoError(t, err)
	assert.Equal(t, 101, resp.StatusCode)
	require.NoError(t, <-h.err)
	assert.Equal(t, []byte("hello"), <-h.rest)
	got := make([]byte, 5)
	_, err = io.ReadFull(br, got)
	require.NoError(t, err)
	assert.Equal(t, "HELLO", string(got))
	// Past the Server's idle and header timeouts, the connection is the
	// hijacker's: no 408, no close; bytes that look like HTTP are echoed.
	time.Sleep(400 * time.Millisecond)
	serverSend(t, c, "GET / HTTP/1.1\r\n\r\n")
	got = make([]byte, 18)
	_, err = io.ReadFull(br, got)
	require.NoError(t, err)
	assert.Equal(t, "GET / HTTP/1.1\r\n\r\n", string(got))
	// Shutdown does not wait for it.
	ctx, cancel := context.WithTimeout(context.Background(), testWatchdog)
	defer cancel()
	require.NoError(t, srv.Shutdown(ctx))
	c.Close()
	select {
	case reason := <-h.unbind:
		// hijackEcho is no HalfCloser: the Conn closed after writing.
		assert.NoError(t, reason)
	case <-time.After(testWatchdog):
		t.Fatal("the hijacker's Unbind was not called")
	}
}

func TestHijackRefusedAfterWrite(t *testing.T) {
	h := newHijackEcho()
	_, addr := serverStart(t, &Server{Handler: h})
	c, br := serverDial(t, addr)
	serverSend(t, c, serverRequest("GET", "/late", "Upgrade: echo\r\n"))
	resp, body := serverRead(t, br, "GET")
	assert.ErrorIs(t, <-h.err, ErrHijack)
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "x", body)
}

// TestHijackAfterSplitHead: the request head arrives in two reads, the
// second carrying the first bytes of the new protocol.
func TestHijackAfterSplitHead(t *testing.T) {
	h := newHijackEcho()
	_, addr := serverStart(t, &Server{Handler: h})
	c, br := serverDial(t, addr)
	req := serverRequest("GET", "/ws", "Upgrade: echo\r\nConnection: Upgrade\r\n")
	serverSend(t, c, req[:20])
	time.Sleep(50 * time.Millisecond)
	serverSend(t, c, req[20:]+"split")
	resp, err := http.ReadResponse(br, &http.Request{Method: "GET"})
	require.NoError(t, err)
	assert.Equal(t, 101, resp.StatusCode)
	require.NoError(t, <-h.err)
	assert.Equal(t, []byte("split"), <-h.rest)
	got := make([]byte, 5)
	_, err = io.ReadFull(br, got)
	require.NoError(t, err)
	assert.Equal(t, "SPLIT", string(got))
}
