package main

import (
	_ "embed"
	stdhttp "net/http"
	"strings"

	"github.com/evmachine/evmachine/protocols/http"
	"github.com/evmachine/evmachine/protocols/websocket"
	"github.com/evmachine/evmachine/reactor"
)

// The chat's web face: a one-page client (web/index.html, plain HTML and
// a few lines of JavaScript) served on -web, whose WebSocket (/ws) joins
// the same room as the nc clients.

//go:embed web/index.html
var indexHTML []byte

// listenWeb serves the page and the WebSocket on addr. Must be called on
// the reactor goroutine (or before Run).
func (s *server) listenWeb(addr string) (*http.Server, *reactor.Listener, error) {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w *http.Response, req *stdhttp.Request) {
		if req.URL.Path != "/" {
			stdhttp.NotFound(w, req)
			w.End()
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(indexHTML)
		w.End()
	})
	mux.Handle("/ws", websocket.Handler(s.wsConfig()))
	srv := &http.Server{Handler: mux, Logger: s.log}
	l, err := srv.Listen(s.r, "tcp", addr)
	return srv, l, err
}

// wsConfig makes each browser a client of the room: every text message is
// one or more lines, as an nc client types them.
func (s *server) wsConfig() *websocket.Config {
	return &websocket.Config{
		Logger:     s.log,
		MaxMessage: int64(s.cfg.maxLine),
		MaxFrame:   int64(s.cfg.maxLine),
		Handlers: websocket.Handlers{
			OnOpen: func(c *websocket.Conn) {
				cl := &client{s: s}
				c.Data = cl
				cl.join(wsTransport{c})
			},
			OnMessage: func(c *websocket.Conn, msg string) {
				cl := c.Data.(*client)
				for line := range strings.SplitSeq(msg, "\n") {
					if cl.quit {
						return
					}
					cl.handleLine([]byte(strings.TrimSuffix(line, "\r")))
				}
			},
			OnClose: func(c *websocket.Conn, ev websocket.CloseEvent) {
				if cl, ok := c.Data.(*client); ok {
					cl.leave(ev.Err)
				}
			},
		},
	}
}
