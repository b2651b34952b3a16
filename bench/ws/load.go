package main

import (
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/evmachine/evmachine/protocols/websocket"
	"github.com/evmachine/evmachine/reactor"
)

// loadGen is the client side: evmachine's WebSocket client on one
// reactor, the same for every server measured.
type loadGen struct {
	r      *reactor.Reactor
	conns  []*websocket.Conn
	opened atomic.Int64
	failed atomic.Int64
	echoes atomic.Int64
	closed atomic.Int64
	pong   bool // echo mode: each connection keeps one message in flight
}

var payload = make([]byte, 64)

func newLoadGen() (*loadGen, error) {
	r, err := reactor.New(reactor.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		return nil, err
	}
	g := &loadGen{r: r}
	go r.Run()
	return g, nil
}

func (g *loadGen) config() *websocket.Config {
	return &websocket.Config{Logger: slog.New(slog.DiscardHandler), Handlers: websocket.Handlers{
		OnOpen: func(c *websocket.Conn) {
			g.opened.Add(1)
			if g.pong {
				c.SendBinary(payload)
			}
		},
		OnBinary: func(c *websocket.Conn, m []byte) {
			g.echoes.Add(1)
			if g.pong {
				c.SendBinary(m)
			}
		},
		OnError: func(*websocket.Conn, error) { g.failed.Add(1) },
		OnClose: func(*websocket.Conn, websocket.CloseEvent) { g.closed.Add(1) },
	}}
}

// connect opens n connections to addr, at most 500 handshakes at once,
// within a minute.
func (g *loadGen) connect(addr string, n int) error {
	cfg := g.config()
	deadline := time.Now().Add(time.Minute)
	for started := 0; started < n; {
		batch := min(500, n-started)
		done := make(chan struct{})
		g.r.NextTick(func() {
			for range batch {
				c, err := websocket.Dial(g.r, "ws://"+addr+"/", cfg)
				if err != nil {
					g.failed.Add(1)
					continue
				}
				g.conns = append(g.conns, c)
			}
			close(done)
		})
		<-done
		started += batch
		for g.opened.Load()+g.failed.Load() < int64(started) {
			if time.Now().After(deadline) {
				return fmt.Errorf("%d of %d connections open after a minute", g.opened.Load(), n)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	if f := g.failed.Load(); f > 0 {
		return fmt.Errorf("%d connections failed", f)
	}
	return nil
}

// startPingPong makes every connection keep one message in flight.
func (g *loadGen) startPingPong() {
	g.r.NextTick(func() {
		g.pong = true
		for _, c := range g.conns {
			c.SendBinary(payload)
		}
	})
}

func (g *loadGen) stop() { g.r.Stop() }
