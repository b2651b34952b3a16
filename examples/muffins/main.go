// Command muffins is the demo from the talks evmachine comes from: a web
// endpoint that waits on a slow database. GET /recipes/random.json answers
// with a random muffin recipe after a 300 ms "query".
//
//	go run ./examples/muffins               # evented: the query is a timer
//	go run ./examples/muffins -blocking     # the query sleeps on the loop
//	go run ./examples/muffins -addr :9000 -delay 50ms
//
// Evented, the loop serves every other request while a query is pending,
// so a thousand clients get their answers after 300 ms each, together.
// With -blocking the handler sleeps on the reactor goroutine, as a blocking
// server written without care would, and the whole server does one request
// per 300 ms: the talk's 3.29 requests per second.
//
//	ab -c50 -n5000 http://127.0.0.1:8085/recipes/random.json
//
// SIGINT or SIGTERM stop it (answers under way are flushed first, within
// -grace); a second signal stops it at once.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	evhttp "github.com/evmachine/evmachine/protocols/http"
	"github.com/evmachine/evmachine/reactor"
)

// Recipe is what the "database" returns.
type Recipe struct {
	Name        string   `json:"name"`
	Ingredients []string `json:"ingredients"`
	Minutes     int      `json:"minutes"`
}

var recipes = []Recipe{
	{"Blueberry muffins", []string{"flour", "sugar", "butter", "eggs", "milk", "blueberries"}, 35},
	{"Banana muffins", []string{"flour", "brown sugar", "butter", "eggs", "ripe bananas"}, 40},
	{"Chocolate chip muffins", []string{"flour", "sugar", "butter", "eggs", "milk", "chocolate chips"}, 30},
	{"Lemon poppy seed muffins", []string{"flour", "sugar", "butter", "eggs", "lemon", "poppy seeds"}, 35},
	{"Bran muffins", []string{"wheat bran", "flour", "molasses", "buttermilk", "raisins"}, 45},
}

// encoded holds each recipe as JSON, made once, padded with spaces to one
// length so that load tools that compare lengths (ab) see no failures.
var encoded = func() [][]byte {
	out := make([][]byte, len(recipes))
	longest := 0
	for i, r := range recipes {
		out[i], _ = json.Marshal(r)
		longest = max(longest, len(out[i]))
	}
	for i := range out {
		out[i] = append(out[i], bytes.Repeat([]byte(" "), longest-len(out[i]))...)
		out[i] = append(out[i], '\n')
	}
	return out
}()

// handler serves the one endpoint. The "query" takes delay: a timer when
// evented, a sleep on the loop when blocking.
func handler(r *reactor.Reactor, delay time.Duration, blocking bool) evhttp.Handler {
	return evhttp.HandlerFunc(func(w *evhttp.Response, req *http.Request) {
		if req.URL.Path != "/recipes/random.json" {
			http.NotFound(w, req)
			w.End()
			return
		}
		if req.Method != http.MethodGet && req.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			w.End()
			return
		}
		answer := func() {
			w.Header().Set("Content-Type", "application/json")
			w.Write(encoded[rand.IntN(len(encoded))])
			w.End()
		}
		if blocking {
			time.Sleep(delay) // the mistake the demo shows: the whole loop waits
			answer()
			return
		}
		r.AddTimer(delay, answer)
	})
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8085", "TCP address to listen on")
	blocking := flag.Bool("blocking", false, "sleep on the loop for each query instead of using a timer")
	delay := flag.Duration("delay", 300*time.Millisecond, "how long each database query takes")
	grace := flag.Duration("grace", 10*time.Second, "how long a graceful stop may take")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(log, *addr, *blocking, *delay, *grace, nil); err != nil {
		log.Error("muffins", "err", err)
		os.Exit(1)
	}
}

// run serves until SIGINT or SIGTERM. ready, if not nil, gets the
// listening address.
func run(log *slog.Logger, addr string, blocking bool, delay, grace time.Duration, ready chan<- string) error {
	r, err := reactor.New(reactor.WithLogger(log))
	if err != nil {
		return err
	}
	srv := &evhttp.Server{Handler: handler(r, delay, blocking), Logger: log}
	l, err := srv.Listen(r, "tcp", addr)
	if err != nil {
		return err
	}
	mode := "evented"
	if blocking {
		mode = "blocking"
	}
	log.Info("muffins listening", "url", "http://"+l.Addr().String()+"/recipes/random.json", "mode", mode, "delay", delay)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	if ready != nil {
		ready <- l.Addr().String()
	}
	go func() {
		s := <-sigs
		log.Info("stopping gracefully: answering the requests under way", "signal", s.String())
		ctx, cancel := context.WithTimeout(context.Background(), grace)
		defer cancel()
		go func() { <-sigs; cancel() }() // a second signal: stop now
		if err := srv.Shutdown(ctx); err != nil {
			log.Warn("graceful stop cut short", "err", err)
		}
		r.Stop()
	}()
	return r.Run()
}
