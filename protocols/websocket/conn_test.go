package websocket

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/evmachine/evmachine/reactor"
)

// clientEvents records a client's callbacks on channels.
type clientEvents struct {
	open   chan *Conn
	text   chan string
	binary chan []byte
	pong   chan []byte
	closed chan CloseEvent
	errs   chan error
}

func newClientEvents() (*clientEvents, *Config) {
	ev := &clientEvents{open: make(chan *Conn, 1), text: make(chan string, 64), binary: make(chan []byte, 64),
		pong: make(chan []byte, 8), closed: make(chan CloseEvent, 1), errs: make(chan error, 8)}
	cfg := &Config{Logger: quietLog, Handlers: Handlers{
		OnOpen:    func(c *Conn) { ev.open <- c },
		OnMessage: func(_ *Conn, m string) { ev.text <- m },
		OnBinary:  func(_ *Conn, m []byte) { ev.binary <- bytes.Clone(m) },
		OnPong:    func(_ *Conn, p []byte) { ev.pong <- bytes.Clone(p) },
		OnClose:   func(_ *Conn, e CloseEvent) { ev.closed <- e },
		OnError:   func(_ *Conn, err error) { ev.errs <- err },
	}}
	return ev, cfg
}

func TestEchoClientServer(t *testing.T) {
	r, addr := listenEcho(t, nil)
	ev, cfg := newClientEvents()
	onLoop(t, r, func() {
		_, err := Dial(r, "ws://"+addr+"/chat", cfg)
		require.NoError(t, err)
	})
	c := wait(t, ev.open, "open")
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	onLoop(t, r, func() {
		require.NoError(t, c.Send("héllo"))
		require.NoError(t, c.SendBinary(big))
		require.NoError(t, c.Ping([]byte("p1")))
	})
	assert.Equal(t, "héllo", wait(t, ev.text, "text"))
	assert.Equal(t, big, wait(t, ev.binary, "binary"))
	assert.Equal(t, []byte("p1"), wait(t, ev.pong, "pong"))
	onLoop(t, r, func() { require.NoError(t, c.Close(4001, "bye")) })
	ce := wait(t, ev.closed, "close")
	assert.Equal(t, CloseEvent{Code: 4001, Reason: "bye", WasClean: true}, ce)
	onLoop(t, r, func() { assert.ErrorIs(t, c.Send("late"), ErrClosed) })
}

func TestServerCloseHandshake(t *testing.T) {
	srvClosed := make(chan CloseEvent, 1)
	cfg := &Config{Logger: quietLog, Handlers: Handlers{
		OnMessage: func(c *Conn, m string) {
			if m == "quit" {
				c.Close(CloseGoingAway, "server leaving")
			}
		},
		OnClose: func(_ *Conn, e CloseEvent) { srvClosed <- e },
	}}
	r, addr := listenEcho(t, cfg)
	ev, ccfg := newClientEvents()
	onLoop(t, r, func() { _, err := Dial(r, "ws://"+addr, ccfg); require.NoError(t, err) })
	c := wait(t, ev.open, "open")
	onLoop(t, r, func() { c.Send("quit") })
	assert.Equal(t, CloseEvent{Code: CloseGoingAway, Reason: "server leaving", WasClean: true}, wait(t, ev.closed, "client close"))
	assert.Equal(t, CloseEvent{Code: CloseGoingAway, Reason: "server leaving", WasClean: true}, wait(t, srvClosed, "server close"))
}

func TestHandshakeRefusals(t *testing.T) {
	cfg := echoConfig()
	cfg.Subprotocols = []string{"chat.v2", "chat.v1"}
	cfg.CheckOrigin = func(origin string, _ *http.Request) bool { return origin == "" || origin == "https://ok.example" }
	r, addr := listenEcho(t, cfg)

	ev, ccfg := newClientEvents()
	ccfg.Subprotocols = []string{"chat.v1", "chat.v2"}
	onLoop(t, r, func() { _, err := Dial(r, "ws://"+addr, ccfg); require.NoError(t, err) })
	c := wait(t, ev.open, "open")
	onLoop(t, r, func() { assert.Equal(t, "chat.v2", c.Subprotocol()) })

	for _, tc := range []struct {
		name   string
		protos []string
		origin string
		status string
	}{
		{"no common subprotocol", []string{"other"}, "", "400"},
		{"bad origin", []string{"chat.v1"}, "https://evil.example", "403"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev, ccfg := newClientEvents()
			ccfg.Subprotocols = tc.protos
			ccfg.Header = http.Header{"Origin": {tc.origin}}
			onLoop(t, r, func() { _, err := Dial(r, "ws://"+addr, ccfg); require.NoError(t, err) })
			err := wait(t, ev.errs, "handshake error")
			assert.ErrorIs(t, err, ErrBadHandshake)
			assert.Contains(t, err.Error(), tc.status)
		})
	}
}

func TestDialErrors(t *testing.T) {
	r := startReactor(t, func(*reactor.Reactor) {})
	onLoop(t, r, func() {
		_, err := Dial(r, "http://x", nil)
		assert.ErrorContains(t, err, "scheme")
		_, err = Dial(r, "ws://", nil)
		assert.Error(t, err)
	})
	ev, cfg := newClientEvents()
	onLoop(t, r, func() { _, err := Dial(r, "ws://127.0.0.1:1", cfg); require.NoError(t, err) })
	err := wait(t, ev.errs, "refused")
	assert.True(t, strings.Contains(err.Error(), "refused"), err.Error())
}

func TestCloseDuringClientHandshake(t *testing.T) {
	// A server that accepts and never answers the handshake.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	r := startReactor(t, func(*reactor.Reactor) {})
	ev, cfg := newClientEvents()
	var c *Conn
	onLoop(t, r, func() { c, err = Dial(r, "ws://"+ln.Addr().String()+"/", cfg); require.NoError(t, err) })
	peerConn := wait(t, accepted, "accept")
	defer peerConn.Close()
	peerConn.SetDeadline(time.Now().Add(watchdog))
	onLoop(t, r, func() { assert.NoError(t, c.Close(CloseNormal, "")) })
	_, err = io.ReadAll(peerConn) // the request, then EOF: no close frame
	assert.NoError(t, err)
	onLoop(t, r, func() {}) // Unbind has run by now
	select {
	case e := <-ev.errs:
		t.Fatalf("OnError after a deliberate Close: %v", e)
	case <-ev.closed:
		t.Fatal("OnClose for a Conn that never opened")
	default:
	}
}
