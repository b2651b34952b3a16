package http

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/evmachine/evmachine/reactor"
)

func TestServerAdaptRunsBlockingHandlersOffTheLoop(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/sleep", func(w http.ResponseWriter, req *http.Request) {
		time.Sleep(200 * time.Millisecond) // blocks a worker, not the loop
		fmt.Fprintf(w, "slept, body=%s", RequestBody(req))
	})
	mux.HandleFunc("/json", func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"ok":true}`)
	})
	mux.HandleFunc("/panic", func(http.ResponseWriter, *http.Request) { panic("blocking handler bug") })
	_, addr := serverStart(t, &Server{Handler: Adapt(mux)}, reactor.WithDeferPoolSize(10))
	client := serverClient(t)

	start := time.Now()
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := client.Post("http://"+addr+"/sleep", "text/plain", strings.NewReader(fmt.Sprint(i)))
			if assert.NoError(t, err) {
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				assert.Equal(t, fmt.Sprintf("slept, body=%d", i), string(body))
			}
		}()
	}
	// The loop stays responsive while the workers sleep.
	resp, body := serverGetBody(t, client, "http://"+addr+"/json")
	assert.Equal(t, 201, resp.StatusCode)
	assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	assert.Equal(t, `{"ok":true}`, body)
	wg.Wait()
	assert.Less(t, time.Since(start), 5*time.Second, "ten 200 ms handlers ran side by side")

	resp, _ = serverGetBody(t, client, "http://"+addr+"/panic")
	assert.Equal(t, 500, resp.StatusCode)
	_, body = serverGetBody(t, client, "http://"+addr+"/missing")
	assert.Equal(t, "404 page not found\n", body, "ServeMux's own answers come through")
}

func TestServerAdaptStreamsOnFlush(t *testing.T) {
	next := make(chan struct{})
	_, addr := serverStart(t, &Server{Handler: Adapt(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		io.WriteString(w, "part one;")
		w.(http.Flusher).Flush()
		<-next
		io.WriteString(w, "part two")
	}))})
	resp, err := serverClient(t).Get("http://" + addr + "/")
	require.NoError(t, err)
	defer resp.Body.Close()
	buf := make([]byte, len("part one;"))
	_, err = io.ReadFull(resp.Body, buf)
	require.NoError(t, err)
	assert.Equal(t, "part one;", string(buf))
	close(next)
	rest, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, "part two", string(rest))
}

func TestServerInline(t *testing.T) {
	_, addr := serverStart(t, &Server{Handler: Inline(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		http.Error(w, "nope", http.StatusForbidden)
	}))})
	resp, body := serverGetBody(t, serverClient(t), "http://"+addr+"/")
	assert.Equal(t, 403, resp.StatusCode)
	assert.Equal(t, "nope\n", body)
	assert.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"))
}

// A client that goes away before its answer: the request's context is
// cancelled, and the late answer is dropped without harm.
func TestServerClientGoneBeforeTheAnswer(t *testing.T) {
	type result struct {
		ctxErr, writeErr error
	}
	results := make(chan result, 1)
	started := make(chan struct{}, 1)
	_, addr := serverStart(t, &Server{Handler: HandlerFunc(func(w *Response, req *http.Request) {
		started <- struct{}{}
		r := w.Reactor()
		var poll func()
		poll = func() {
			if req.Context().Err() == nil {
				r.AddTimer(5*time.Millisecond, poll)
				return
			}
			_, err := w.Write([]byte("too late"))
			w.End()
			w.End()
			results <- result{req.Context().Err(), err}
		}
		poll()
	})})
	c, _ := serverDial(t, addr)
	serverSend(t, c, serverRequest("GET", "/", ""))
	waitFor(t, started, "the handler")
	require.NoError(t, c.(*net.TCPConn).SetLinger(0))
	require.NoError(t, c.Close())
	res := waitFor(t, results, "the handler's late answer")
	assert.ErrorIs(t, res.ctxErr, context.Canceled)
	assert.ErrorIs(t, res.writeErr, reactor.ErrClosed)
}

// A client that sends its requests and then shuts down its write side
// still gets every answer.
func TestServerAnswersAfterClientHalfClose(t *testing.T) {
	_, addr := serverStart(t, &Server{Handler: HandlerFunc(func(w *Response, req *http.Request) {
		w.Reactor().AddTimer(20*time.Millisecond, func() {
			w.Write([]byte(req.URL.Path))
			w.End()
		})
	})})
	c, br := serverDial(t, addr)
	serverSend(t, c, serverRequest("GET", "/one", "")+serverRequest("GET", "/two", ""))
	closeWrite(t, c)
	_, body := serverRead(t, br, "GET")
	assert.Equal(t, "/one", body)
	_, body = serverRead(t, br, "GET")
	assert.Equal(t, "/two", body)
	serverAssertClosed(t, br)
}

func TestServerWithCurl(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl is not installed; skipping the curl interoperability test")
	}
	_, addr := serverStart(t, &Server{Handler: serverEcho, MaxBodyBytes: 1 << 20})
	runIn := func(stdin string, args ...string) string {
		ctx, cancel := context.WithTimeout(context.Background(), testWatchdog)
		defer cancel()
		cmd := exec.CommandContext(ctx, curl, append([]string{"-sS", "--max-time", "10"}, args...)...)
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "curl %v: %.200s", args, out)
		return string(out)
	}
	run := func(args ...string) string { return runIn("", args...) }
	base := "http://" + addr
	assert.Equal(t, "GET /plain ", run(base+"/plain"))
	assert.Equal(t, "GET /a GET /b ", run(base+"/a", base+"/b"), "two requests on one kept-alive connection")
	assert.Equal(t, "POST /form x=1", run("-d", "x=1", base+"/form"))
	big := strings.Repeat("z", 200_000)
	out := runIn(big, "-X", "PUT", "--data-binary", "@-", "-w", " %{http_code}", base+"/big")
	assert.Equal(t, "PUT /big "+big+" 200", out)
	verbose := runIn(big, "-v", "-o", "/dev/null", "-H", "Expect: 100-continue", "-X", "PUT", "--data-binary", "@-", base+"/big")
	assert.Contains(t, verbose, "Expect: 100-continue")
	assert.Contains(t, verbose, "HTTP/1.1 100 Continue")
	assert.Equal(t, "POST /chunked abc", run("-H", "Transfer-Encoding: chunked", "-d", "abc", base+"/chunked"))
	assert.Equal(t, "GET /old ", run("--http1.0", base+"/old"))
	head := run("-I", base+"/head")
	assert.Contains(t, head, "HTTP/1.1 200 OK")
	assert.Contains(t, head, "Content-Length: 11")
}
