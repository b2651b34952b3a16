// Command chat is a group chat server in the spirit of EventMachine's
// Talker: every line a client sends goes to every other client, prefixed
// with the sender's name, through a reactor.Channel.
//
//	go run ./examples/chat                  # 127.0.0.1:8082
//	go run ./examples/chat -addr :9000
//	nc 127.0.0.1 8082                       # then type; try /nick NAME, /who, /quit
//	go run ./examples/chat -web 127.0.0.1:8086   # and open http://127.0.0.1:8086/
//
// With -web, the server also serves a one-page web client whose browsers
// share the room with the nc clients (their WebSocket is /ws; each text
// message is a line).
//
// Lines are framed by protocols/line. A client that stops reading is
// dropped once more than -max-outbound bytes (1 MiB) are queued for it
// (reactor.WithMaxOutbound), so one stuck client cannot grow the server's
// memory; a line longer than -max-line gets an error and the connection
// closes. SIGINT or SIGTERM stop the server gracefully (clients are told,
// queued output is flushed), a second signal stops it at once.
package main

import (
	"context"
	"flag"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/evmachine/evmachine/reactor"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8082", "TCP address to listen on")
	maxOut := flag.Int("max-outbound", 1<<20, "bytes queued for one client before it is dropped as too slow")
	maxLine := flag.Int("max-line", 8<<10, "longest line a client may send, in bytes")
	grace := flag.Duration("grace", 10*time.Second, "how long a graceful stop may take")
	web := flag.String("web", "", "also serve the web chat (page and WebSocket) on this address, e.g. 127.0.0.1:8086")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	cfg := config{maxLine: max(*maxLine, 1), maxOutbound: max(*maxOut, 1)}
	if err := run(log, *addr, *web, cfg, *grace); err != nil {
		log.Error("chat", "err", err)
		os.Exit(1)
	}
}

func run(log *slog.Logger, addr, web string, cfg config, grace time.Duration) error {
	r, err := reactor.New(reactor.WithLogger(log))
	if err != nil {
		return err
	}
	s := newServer(r, log, cfg)
	l, err := s.listen(addr)
	if err != nil {
		return err
	}
	log.Info("chat server listening", "addr", l.Addr().String(), "pid", os.Getpid())
	if web != "" {
		_, wl, err := s.listenWeb(web)
		if err != nil {
			return err
		}
		log.Info("web chat listening", "url", "http://"+wl.Addr().String()+"/")
	}

	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		sig := <-sigs
		log.Info("stopping gracefully", "signal", sig.String())
		ctx, cancel := context.WithTimeout(context.Background(), grace)
		defer cancel()
		go func() { <-sigs; cancel() }() // a second signal: stop now
		if err := s.shutdown(ctx); err != nil {
			log.Warn("graceful stop cut short", "err", err)
		}
	}()
	if err := r.Run(); err != nil {
		return err
	}
	log.Info("chat server stopped")
	return nil
}
