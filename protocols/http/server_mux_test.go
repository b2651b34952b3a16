package http

import (
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The evented ServeMux routes as net/http's ServeMux does: the same
// patterns, registered on both, give the same status, Allow, Location and
// body for the same requests, while the evented routes answer later.
func TestServeMuxAgainstNetHTTP(t *testing.T) {
	patterns := []string{
		"GET /items/{id}",
		"POST /items/",
		"/static/",
		"GET /files/{path...}",
		"GET /{$}",
		"example.org/host-only",
		"DELETE /items/{id}",
	}
	describe := func(req *http.Request) string {
		return fmt.Sprintf("%s pattern=%q id=%q path=%q", req.Method, req.Pattern, req.PathValue("id"), req.PathValue("path"))
	}
	evmux := NewServeMux()
	stdmux := http.NewServeMux()
	for _, p := range patterns {
		evmux.HandleFunc(p, func(w *Response, req *http.Request) {
			w.Reactor().AddTimer(5*time.Millisecond, func() { // answered later, on the loop
				io.WriteString(w, describe(req))
				w.End()
			})
		})
		stdmux.HandleFunc(p, func(w http.ResponseWriter, req *http.Request) { io.WriteString(w, describe(req)) })
	}
	_, evm := serverStart(t, &Server{Handler: evmux})
	std := httptestServer(t, &http.Server{Handler: stdmux})
	requests := []struct{ method, path, host string }{
		{"GET", "/items/42", ""},
		{"HEAD", "/items/42", ""},
		{"PUT", "/items/42", ""},
		{"DELETE", "/items/7", ""},
		{"POST", "/items/new", ""},
		{"POST", "/items", ""}, // redirect to the subtree
		{"GET", "/static/app.js", ""},
		{"GET", "/files/a/b/c.txt", ""},
		{"GET", "/", ""},
		{"GET", "/nothing", ""},
		{"GET", "/host-only", "example.org"},
		{"GET", "/host-only", "other.org"},
		{"GET", "/items/../static/x", ""}, // cleaned: redirect
	}
	client := serverClient(t)
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	for _, rq := range requests {
		t.Run(rq.method+" "+rq.host+rq.path, func(t *testing.T) {
			var answers []string
			for _, addr := range []string{evm, std} {
				req, err := http.NewRequest(rq.method, "http://"+addr+rq.path, nil)
				require.NoError(t, err)
				if rq.host != "" {
					req.Host = rq.host
				}
				resp, err := client.Do(req)
				require.NoError(t, err)
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				answers = append(answers, fmt.Sprintf("%d allow=%q location=%q body=%q",
					resp.StatusCode, resp.Header.Get("Allow"), resp.Header.Get("Location"), body))
			}
			assert.Equal(t, answers[1], answers[0])
		})
	}
}

// A route registered with StreamBody gets its bodies streamed; the others
// buffered.
func TestServeMuxStreamedRoute(t *testing.T) {
	mux := NewServeMux()
	mux.Handle("POST /upload", StreamBody(HandlerFunc(func(w *Response, req *http.Request) {
		n := 0
		RequestStream(req).OnData(func(b []byte) { n += len(b) }).OnEnd(func(error) {
			fmt.Fprintf(w, "streamed %d", n)
			w.End()
		})
	})))
	mux.HandleFunc("POST /form", func(w *Response, req *http.Request) {
		fmt.Fprintf(w, "buffered %d stream=%v", len(RequestBody(req)), RequestStream(req) != nil)
		w.End()
	})
	_, addr := serverStart(t, &Server{Handler: mux})
	c, br := serverDial(t, addr)
	serverSend(t, c, serverRequest("POST", "/upload", "Content-Length: 5\r\n")+"hello"+
		serverRequest("POST", "/form", "Content-Length: 3\r\n")+"abc")
	_, body := serverRead(t, br, "POST")
	assert.Equal(t, "streamed 5", body)
	_, body = serverRead(t, br, "POST")
	assert.Equal(t, "buffered 3 stream=false", body)
}
