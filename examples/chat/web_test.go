package main

import (
	"io"
	stdhttp "net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/evmachine/evmachine/internal/reactortest"
	"github.com/evmachine/evmachine/protocols/websocket"
)

// startWeb adds the web face to room on 127.0.0.1:0 and returns its
// address.
func startWeb(t *testing.T, room *chatRoom) string {
	t.Helper()
	addr := make(chan string, 1)
	room.r.NextTick(func() {
		_, l, err := room.s.listenWeb("127.0.0.1:0")
		if err != nil {
			t.Error(err)
			addr <- ""
			return
		}
		addr <- l.Addr().String()
	})
	select {
	case a := <-addr:
		require.NotEmpty(t, a)
		return a
	case <-time.After(watchdog):
		require.FailNow(t, "the web listener did not start")
	}
	return ""
}

// webClient is a WebSocket client of the room (evmachine's, on a reactor
// of its own) whose messages arrive on a channel.
type webClient struct {
	t    *testing.T
	conn chan *websocket.Conn
	in   chan string
	c    *websocket.Conn
	run  func(fn func())
}

func dialWeb(t *testing.T, addr string) *webClient {
	t.Helper()
	r := reactortest.Start(t)
	w := &webClient{t: t, conn: make(chan *websocket.Conn, 1), in: make(chan string, 100)}
	w.run = func(fn func()) { r.NextTick(fn) }
	cfg := &websocket.Config{Handlers: websocket.Handlers{
		OnOpen:    func(c *websocket.Conn) { w.conn <- c },
		OnMessage: func(_ *websocket.Conn, m string) { w.in <- m },
	}}
	w.run(func() {
		if _, err := websocket.Dial(r, "ws://"+addr+"/ws", cfg); err != nil {
			t.Error(err)
		}
	})
	select {
	case w.c = <-w.conn:
	case <-time.After(watchdog):
		require.FailNow(t, "the web client did not connect")
	}
	return w
}

func (w *webClient) send(line string) { w.run(func() { w.c.Send(line) }) }

// expect returns the next message starting with prefix, skipping notices.
func (w *webClient) expect(prefix string) string {
	w.t.Helper()
	for range 100 {
		select {
		case m := <-w.in:
			if strings.HasPrefix(m, prefix) {
				return m
			}
			require.True(w.t, isNotice(m), "expected %q, got %q", prefix, m)
		case <-time.After(watchdog):
			require.FailNow(w.t, "watchdog", "no message %q", prefix)
		}
	}
	return ""
}

func TestWebPageIsServed(t *testing.T) {
	web := startWeb(t, startChat(t, config{maxLine: 1024, maxOutbound: 1 << 20}))
	c := &stdhttp.Client{Timeout: watchdog}
	resp, err := c.Get("http://" + web + "/")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, resp.Header.Get("Content-Type"), "text/html")
	assert.Contains(t, string(body), "new WebSocket(")
	resp, err = c.Get("http://" + web + "/nothing")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 404, resp.StatusCode)
}

// TestWebSharesTheRoom: a WebSocket client and an nc-style TCP client
// talk to each other through the same Channel.
func TestWebSharesTheRoom(t *testing.T) {
	room := startChat(t, config{maxLine: 1024, maxOutbound: 1 << 20})
	web := startWeb(t, room)
	w := dialWeb(t, web)
	welcome := w.expect("* welcome")
	_, rest, _ := strings.Cut(welcome, "you are ")
	webName, _, _ := strings.Cut(rest, ";")

	nc, ncName := joinChat(t, room.addr)
	w.expect("* " + ncName + " joined")
	w.send("hello from the web")
	assert.Equal(t, webName+": hello from the web", nc.expect(webName+":"))
	nc.send("hello from nc \xff")
	assert.Equal(t, ncName+": hello from nc \uFFFD", w.expect(ncName+":"))
	w.send("/nick browser")
	w.expect("* you are now browser")
	nc.expect("* " + webName + " is now known as browser")
	w.send("/quit")
	w.expect("* bye")
	nc.expect("* browser left")
}
