package http

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptrace"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestServerGetWithNetHTTPClient(t *testing.T) {
	_, addr := serverStart(t, &Server{Handler: HandlerFunc(func(w *Response, req *http.Request) {
		w.Header().Set("X-Path", req.URL.Path)
		w.Write([]byte("<html><body>hello</body></html>"))
		w.End()
	})})
	resp, body := serverGetBody(t, serverClient(t), "http://"+addr+"/a/b?q=1")
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "HTTP/1.1", resp.Proto)
	assert.Equal(t, "<html><body>hello</body></html>", body)
	assert.Equal(t, "/a/b", resp.Header.Get("X-Path"))
	assert.Equal(t, int64(len(body)), resp.ContentLength)
	assert.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"), "sniffed as net/http does")
	_, err := http.ParseTime(resp.Header.Get("Date"))
	assert.NoError(t, err)
}

func TestServerKeepAliveReusesTheConnection(t *testing.T) {
	r, addr := serverStart(t, &Server{Handler: serverEcho})
	c := serverClient(t)
	reused := 0
	for i := range 10 {
		req, err := http.NewRequest("GET", "http://"+addr+"/k", nil)
		require.NoError(t, err)
		req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
			GotConn: func(info httptrace.GotConnInfo) {
				if info.Reused {
					reused++
				}
			},
		}))
		resp, err := c.Do(req)
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, "GET /k ", string(body), "request %d", i)
	}
	assert.Equal(t, 9, reused, "every request after the first reuses the connection")
	onLoop(t, r, func() { assert.Equal(t, 1, r.ConnectionCount()) })
}

func TestServerHTTP10(t *testing.T) {
	_, addr := serverStart(t, &Server{Handler: serverEcho})
	t.Run("closes by default", func(t *testing.T) {
		c, br := serverDial(t, addr)
		serverSend(t, c, "GET /old HTTP/1.0\r\n\r\n")
		resp, body := serverRead(t, br, "GET")
		assert.Equal(t, "GET /old ", body)
		assert.True(t, resp.Close, "Connection: close")
		serverAssertClosed(t, br)
	})
	t.Run("keep-alive", func(t *testing.T) {
		c, br := serverDial(t, addr)
		for i := range 3 {
			serverSend(t, c, "GET /ka HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
			resp, body := serverRead(t, br, "GET")
			assert.Equal(t, "GET /ka ", body, "request %d", i)
			assert.Equal(t, "keep-alive", resp.Header.Get("Connection"))
			assert.False(t, resp.Close)
		}
	})
}

func TestServerConnectionClose(t *testing.T) {
	_, addr := serverStart(t, &Server{Handler: serverEcho})
	c, br := serverDial(t, addr)
	// The request after the one asking to close is never answered.
	serverSend(t, c, serverRequest("GET", "/1", "Connection: close\r\n")+serverRequest("GET", "/2", ""))
	resp, body := serverRead(t, br, "GET")
	assert.Equal(t, "GET /1 ", body)
	assert.True(t, resp.Close)
	serverAssertClosed(t, br)
}

func TestServerHandlerAsksToClose(t *testing.T) {
	_, addr := serverStart(t, &Server{Handler: HandlerFunc(func(w *Response, req *http.Request) {
		w.Header().Set("Connection", "close")
		w.End()
	})})
	c, br := serverDial(t, addr)
	serverSend(t, c, serverRequest("GET", "/", ""))
	resp, _ := serverRead(t, br, "GET")
	assert.True(t, resp.Close)
	serverAssertClosed(t, br)
}

func TestServerBodies(t *testing.T) {
	_, addr := serverStart(t, &Server{Handler: serverEcho})
	c := serverClient(t)
	t.Run("content-length", func(t *testing.T) {
		resp, err := c.Post("http://"+addr+"/cl", "text/plain", strings.NewReader("sized body"))
		require.NoError(t, err)
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		assert.Equal(t, "POST /cl sized body", string(body))
	})
	t.Run("chunked", func(t *testing.T) {
		big := bytes.Repeat([]byte("0123456789"), 100_000) // 1 MB, chunked by the client
		resp, err := c.Post("http://"+addr+"/ch", "text/plain", io.MultiReader(bytes.NewReader(big)))
		require.NoError(t, err)
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		assert.Equal(t, "POST /ch "+string(big), string(body))
	})
	t.Run("raw chunked with trailer", func(t *testing.T) {
		conn, br := serverDial(t, addr)
		serverSend(t, conn, "PUT /t HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n")
		serverSend(t, conn, "2;name=val\r\nde\r\n0\r\nX-Trailer: yes\r\n\r\n")
		_, body := serverRead(t, br, "PUT")
		assert.Equal(t, "PUT /t abcde", body)
	})
}

func TestServerHead(t *testing.T) {
	_, addr := serverStart(t, &Server{Handler: serverEcho})
	c, br := serverDial(t, addr)
	serverSend(t, c, serverRequest("HEAD", "/h", "")+serverRequest("GET", "/g", ""))
	resp, body := serverRead(t, br, "HEAD")
	assert.Equal(t, 200, resp.StatusCode)
	assert.Empty(t, body)
	assert.Equal(t, int64(len("HEAD /h ")), resp.ContentLength, "the length a GET would have")
	_, body = serverRead(t, br, "GET")
	assert.Equal(t, "GET /g ", body, "the HEAD answer had no body bytes")
}

func TestServerExpectContinue(t *testing.T) {
	_, addr := serverStart(t, &Server{Handler: serverEcho, MaxBodyBytes: 100})
	t.Run("raw", func(t *testing.T) {
		c, br := serverDial(t, addr)
		serverSend(t, c, serverRequest("POST", "/e", "Content-Length: 5\r\nExpect: 100-continue\r\n"))
		resp, err := http.ReadResponse(br, nil)
		require.NoError(t, err)
		require.Equal(t, 100, resp.StatusCode)
		serverSend(t, c, "hello")
		_, body := serverRead(t, br, "POST")
		assert.Equal(t, "POST /e hello", body)
	})
	t.Run("too large is refused before the body", func(t *testing.T) {
		c, br := serverDial(t, addr)
		serverSend(t, c, serverRequest("POST", "/e", "Content-Length: 500\r\nExpect: 100-continue\r\n"))
		resp, _ := serverRead(t, br, "POST")
		assert.Equal(t, 413, resp.StatusCode)
		serverAssertClosed(t, br)
	})
	t.Run("unknown expectation", func(t *testing.T) {
		c, br := serverDial(t, addr)
		serverSend(t, c, serverRequest("POST", "/e", "Content-Length: 5\r\nExpect: teapot\r\n"))
		resp, _ := serverRead(t, br, "POST")
		assert.Equal(t, 417, resp.StatusCode)
		serverAssertClosed(t, br)
	})
	t.Run("net/http client", func(t *testing.T) {
		req, err := http.NewRequest("PUT", "http://"+addr+"/nc", strings.NewReader("payload"))
		require.NoError(t, err)
		req.Header.Set("Expect", "100-continue")
		start := time.Now()
		resp, err := serverClient(t).Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		assert.Equal(t, "PUT /nc payload", string(body))
		assert.Less(t, time.Since(start), 4*time.Second, "the client got its 100 and did not wait out ExpectContinueTimeout")
	})
}

func TestServerPipelinedAnswersInOrder(t *testing.T) {
	// Later requests are answered sooner; the answers still go out in order.
	r, addr := serverStart(t, &Server{Handler: HandlerFunc(func(w *Response, req *http.Request) {
		delay := map[string]time.Duration{"/1": 90 * time.Millisecond, "/2": 10 * time.Millisecond, "/3": 50 * time.Millisecond}[req.URL.Path]
		w.Reactor().AddTimer(delay, func() {
			w.Write([]byte("answer " + req.URL.Path))
			w.End()
		})
	})})
	_ = r
	c, br := serverDial(t, addr)
	serverSend(t, c, serverRequest("GET", "/1", "")+serverRequest("GET", "/2", "")+serverRequest("POST", "/3", "Content-Length: 1\r\n")+"x")
	for _, want := range []string{"answer /1", "answer /2", "answer /3"} {
		_, body := serverRead(t, br, "GET")
		assert.Equal(t, want, body)
	}
}

func TestServerStreaming(t *testing.T) {
	next := make(chan struct{})
	_, addr := serverStart(t, &Server{Handler: HandlerFunc(func(w *Response, req *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte("first;"))
		w.Flush()
		r := w.Reactor()
		go func() { // the client says when it has seen the first piece
			<-next
			r.NextTick(func() {
				w.Write([]byte("second;"))
				w.Write([]byte("third"))
				w.End()
			})
		}()
	})})
	resp, err := serverClient(t).Get("http://" + addr + "/s")
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, []string{"chunked"}, resp.TransferEncoding)
	buf := make([]byte, 6)
	_, err = io.ReadFull(resp.Body, buf)
	require.NoError(t, err)
	assert.Equal(t, "first;", string(buf), "the first piece arrives before the answer is complete")
	close(next)
	rest, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, "second;third", string(rest))
}

func TestServerStreamingToHTTP10IsCloseDelimited(t *testing.T) {
	_, addr := serverStart(t, &Server{Handler: HandlerFunc(func(w *Response, req *http.Request) {
		w.Flush()
		w.Write([]byte("abc"))
		w.End()
	})})
	c, br := serverDial(t, addr)
	serverSend(t, c, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
	resp, body := serverRead(t, br, "GET")
	assert.Empty(t, resp.TransferEncoding)
	assert.Equal(t, "abc", body)
	assert.True(t, resp.Close)
}

func TestServerStatusWithoutBody(t *testing.T) {
	_, addr := serverStart(t, &Server{Handler: HandlerFunc(func(w *Response, req *http.Request) {
		w.WriteHeader(http.StatusNoContent)
		_, err := w.Write([]byte("not allowed"))
		assert.ErrorIs(t, err, http.ErrBodyNotAllowed)
		w.End()
	})})
	c, br := serverDial(t, addr)
	serverSend(t, c, serverRequest("GET", "/", "")+serverRequest("GET", "/", ""))
	for range 2 {
		resp, body := serverRead(t, br, "GET")
		assert.Equal(t, 204, resp.StatusCode)
		assert.Empty(t, body)
		assert.Empty(t, resp.Header.Get("Content-Length"))
	}
}

func TestServerHeaderInjectionIsNeutralised(t *testing.T) {
	_, addr := serverStart(t, &Server{Handler: HandlerFunc(func(w *Response, req *http.Request) {
		w.Header().Set("X-Echo", "a\r\nSet-Cookie: evil=1")
		w.Header()["Bad Key"] = []string{"v"}
		w.End()
	})})
	resp, _ := serverGetBody(t, serverClient(t), "http://"+addr+"/")
	assert.Equal(t, "a  Set-Cookie: evil=1", resp.Header.Get("X-Echo"))
	assert.Empty(t, resp.Header.Get("Set-Cookie"))
}
