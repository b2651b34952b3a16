package http_test

import (
	"context"
	"database/sql"
	"fmt"
	"log"
	"net/http"
	"time"

	evhttp "github.com/evmachine/evmachine/protocols/http"
	"github.com/evmachine/evmachine/reactor"
)

// A handler that answers 300 ms later, from a timer, without holding up
// anything else: the evented shape of a request that waits on I/O.
func ExampleServer() {
	err := reactor.Run(func(r *reactor.Reactor) error {
		srv := &evhttp.Server{Handler: evhttp.HandlerFunc(func(w *evhttp.Response, req *http.Request) {
			r.AddTimer(300*time.Millisecond, func() {
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprintf(w, `{"path":%q}`, req.URL.Path)
				w.End()
			})
		})}
		if _, err := srv.Listen(r, "tcp", "127.0.0.1:8085"); err != nil {
			return err // a port in use stops the reactor, and Run returns it
		}
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
}

// A handler whose answer comes from blocking work, run on the reactor's
// Defer pool; the Response is completed on the loop when it is done.
func ExampleResponse_afterDefer() {
	var db *sql.DB // some blocking client
	handler := evhttp.HandlerFunc(func(w *evhttp.Response, req *http.Request) {
		reactor.Defer(w.Reactor(), func(ctx context.Context) (int, error) {
			var n int
			err := db.QueryRowContext(ctx, "SELECT count(*) FROM muffins").Scan(&n)
			return n, err
		}, func(n int, err error) {
			if err != nil {
				http.Error(w, "database unavailable", http.StatusServiceUnavailable)
			} else {
				fmt.Fprintf(w, "%d muffins\n", n)
			}
			w.End()
		})
	})
	_ = handler
}

// Adapt serves ordinary net/http code that may block, such as a ServeMux
// of existing handlers, from the reactor's Defer pool.
func ExampleAdapt() {
	mux := http.NewServeMux()
	mux.HandleFunc("/hello", func(w http.ResponseWriter, req *http.Request) {
		fmt.Fprintln(w, "hello from a worker goroutine")
	})
	srv := &evhttp.Server{Handler: evhttp.Adapt(mux)}
	err := reactor.Run(func(r *reactor.Reactor) error {
		_, err := srv.Listen(r, "tcp", "127.0.0.1:8080")
		return err
	})
	if err != nil {
		log.Fatal(err)
	}
}
