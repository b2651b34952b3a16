package http_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	evhttp "github.com/evmachine/evmachine/protocols/http"
	"github.com/evmachine/evmachine/reactor"
)

// A GET whose callback runs on the reactor goroutine, as em-http-request's
// callback block.
func ExampleClient_Get() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "hello")
	}))
	defer srv.Close()

	err := reactor.Run(func(r *reactor.Reactor) {
		r.AddTimer(20*time.Second, r.Stop) // a watchdog: never hang
		c := evhttp.NewClient(r)
		c.Get(srv.URL, func(resp *evhttp.ClientResponse, err error) {
			defer r.Stop()
			if err != nil {
				fmt.Println("error:", err)
				return
			}
			fmt.Println(resp.StatusCode, string(resp.Body))
		})
	})
	if err != nil {
		fmt.Println("Run:", err)
	}
	// Output: 200 hello
}

// Streaming a body as it arrives, with the headers first: em-http-request's
// headers and stream callbacks.
func ExampleClientRequest_Stream() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Write(make([]byte, 1<<20))
	}))
	defer srv.Close()

	err := reactor.Run(func(r *reactor.Reactor) {
		r.AddTimer(20*time.Second, r.Stop) // a watchdog: never hang
		c := evhttp.NewClient(r)
		total := 0
		c.Get(srv.URL, func(_ *evhttp.ClientResponse, err error) {
			defer r.Stop()
			fmt.Println("done:", total, "bytes, err:", err)
		}).OnHeaders(func(resp *evhttp.ClientResponse) {
			fmt.Println("status:", resp.StatusCode)
		}).Stream(func(chunk []byte) {
			total += len(chunk)
		})
	})
	if err != nil {
		fmt.Println("Run:", err)
	}
	// Output:
	// status: 200
	// done: 1048576 bytes, err: <nil>
}

// Flow control for a stream: a consumer that forwards each piece to a
// slow destination pauses the request until the destination has room (here
// a timer stands for it), so TCP holds the server back instead of the
// client buffering.
func ExampleClientRequest_Pause() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Write(make([]byte, 1<<20))
	}))
	defer srv.Close()

	err := reactor.Run(func(r *reactor.Reactor) {
		r.AddTimer(20*time.Second, r.Stop) // a watchdog: never hang
		c := evhttp.NewClient(r)
		total := 0
		var req *evhttp.ClientRequest
		req = c.Get(srv.URL, func(_ *evhttp.ClientResponse, err error) {
			defer r.Stop()
			fmt.Println("done:", total, "bytes, err:", err)
		}).Stream(func(chunk []byte) {
			total += len(chunk)
			req.Pause()                              // the destination is busy with this piece...
			r.AddTimer(time.Millisecond, req.Resume) // ...until it has room again
		})
	})
	if err != nil {
		fmt.Println("Run:", err)
	}
	// Output: done: 1048576 bytes, err: <nil>
}

// Do takes a standard *http.Request; its context cancels it.
func ExampleClient_Do() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		fmt.Fprintf(w, "%s %s", req.Method, body)
	}))
	defer srv.Close()

	err := reactor.Run(func(r *reactor.Reactor) {
		r.AddTimer(20*time.Second, r.Stop) // a watchdog: never hang
		c := evhttp.NewClient(r)
		req, err := http.NewRequest("PUT", srv.URL, strings.NewReader("payload"))
		if err != nil {
			r.Stop()
			fmt.Println("error:", err)
			return
		}
		req.Header.Set("Content-Type", "text/plain")
		c.Do(req, func(resp *evhttp.ClientResponse, err error) {
			defer r.Stop()
			if err != nil {
				fmt.Println("error:", err)
				return
			}
			fmt.Println(string(resp.Body))
		})
	})
	if err != nil {
		fmt.Println("Run:", err)
	}
	// Output: PUT payload
}
