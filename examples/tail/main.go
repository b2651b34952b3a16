// Command tail follows files as tail -F does, on evmachine's file watches
// (EM.watch_file: inotify on Linux, EVFILT_VNODE on the BSDs and macOS),
// and can fan the lines out to TCP clients.
//
//	go run ./examples/tail /var/log/syslog
//	go run ./examples/tail -serve 127.0.0.1:8087 app.log other.log
//	nc 127.0.0.1 8087        # every line from now on
//
// Each file is read from its end (-from-start: from its beginning), and
// every line appended to it is printed as it arrives; with several files
// each line is prefixed with its path. A truncated file is read again from
// its start. A file that is rotated away (moved) or deleted is read to its
// end, and the path is polled every -poll until a file is there again,
// which is then followed from its start; so is a path that did not exist
// when the program started.
//
// With -serve ADDR every line is also written to each TCP client connected
// to ADDR; a client that does not keep up (1 MiB behind) is dropped.
// SIGINT or SIGTERM stop it.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/evmachine/evmachine/reactor"
)

// maxBehind is how far a -serve client may fall behind before it is dropped.
const maxBehind = 1 << 20

type config struct {
	files     []string
	serve     string
	poll      time.Duration
	fromStart bool
}

func main() {
	var cfg config
	flag.StringVar(&cfg.serve, "serve", "", "also stream the lines to TCP clients of this address")
	flag.DurationVar(&cfg.poll, "poll", time.Second, "how often to look for a rotated, deleted or reappearing file")
	flag.BoolVar(&cfg.fromStart, "from-start", false, "print the files from their start, not their end")
	flag.Usage = func() {
		io.WriteString(flag.CommandLine.Output(), "usage: tail [-serve ADDR] [-poll D] [-from-start] FILE...\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	cfg.files = flag.Args()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(log, cfg, os.Stdout); err != nil {
		log.Error("tail", "err", err)
		os.Exit(1)
	}
}

func run(log *slog.Logger, cfg config, out io.Writer) error {
	if len(cfg.files) == 0 {
		return errors.New("no files to follow (usage: tail [flags] FILE...)")
	}
	if cfg.poll <= 0 {
		return errors.New("-poll must be positive")
	}
	r, err := reactor.New(reactor.WithLogger(log))
	if err != nil {
		return err
	}
	s := &sink{out: bufio.NewWriter(out), prefix: len(cfg.files) > 1, clients: map[*reactor.Conn]struct{}{}}
	if cfg.serve != "" {
		l, err := r.Listen("tcp", cfg.serve, func(*reactor.Conn) reactor.Handler { return s }, reactor.WithMaxOutbound(maxBehind))
		if err != nil {
			return err
		}
		log.Info("serving the lines", "addr", l.Addr().String())
	}
	for _, path := range cfg.files {
		f := &follower{r: r, log: log, path: path, emit: s.line, flushed: s.flush}
		f.start(cfg.fromStart, cfg.poll)
	}
	log.Info("tail started", "files", len(cfg.files), "pid", os.Getpid())

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		if sig, ok := <-sigs; ok {
			log.Info("stopping", "signal", sig.String())
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			r.Shutdown(ctx) // the clients get what is queued for them
		}
	}()
	if err := r.Run(); err != nil {
		return err
	}
	log.Info("tail stopped")
	return nil
}

// sink writes the lines to the output and to the -serve clients; it is the
// clients' Handler too. Used on the reactor goroutine.
type sink struct {
	reactor.BaseHandler
	out     *bufio.Writer
	prefix  bool
	clients map[*reactor.Conn]struct{}
	line1   []byte
}

// line writes one line ("path: line" with several files).
func (s *sink) line(path string, line []byte) {
	b := s.line1[:0]
	if s.prefix {
		b = append(append(b, path...), ": "...)
	}
	b = append(append(b, line...), '\n')
	s.line1 = b
	s.out.Write(b)
	for c := range s.clients {
		c.Write(b)
	}
}

// flush writes out the buffered output.
func (s *sink) flush() {
	if err := s.out.Flush(); err != nil {
		s.out.Reset(io.Discard) // stdout is gone: the clients may still read
	}
}

func (s *sink) PostInit(c *reactor.Conn)          { s.clients[c] = struct{}{} }
func (s *sink) Unbind(c *reactor.Conn, err error) { delete(s.clients, c) }
