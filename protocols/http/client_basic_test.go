package http

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// clientEchoHandler answers with the method, a few request headers and the
// request body, so a test can see exactly what the client sent.
func clientEchoHandler(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	w.Header().Set("X-Method", req.Method)
	w.Header().Set("X-Path", req.URL.RequestURI())
	w.Header().Set("X-Content-Type", req.Header.Get("Content-Type"))
	w.Header().Set("X-Custom", req.Header.Get("X-Custom"))
	w.Header().Set("X-User-Agent", req.UserAgent())
	w.Header().Set("X-Content-Length", req.Header.Get("Content-Length"))
	w.Write(body)
}

func TestClientMethods(t *testing.T) {
	s := clientNewServer(t, http.HandlerFunc(clientEchoHandler))
	r := startReactor(t)
	c := NewClient(r)
	body := []byte("hello, evented world")
	cases := []struct {
		method string
		start  func(cb func(*ClientResponse, error)) *ClientRequest
		body   string
	}{
		{"GET", func(cb func(*ClientResponse, error)) *ClientRequest { return c.Get(s.URL+"/a?x=1", cb) }, ""},
		{"POST", func(cb func(*ClientResponse, error)) *ClientRequest {
			return c.Post(s.URL+"/a?x=1", "text/plain", body, cb)
		}, string(body)},
		{"PUT", func(cb func(*ClientResponse, error)) *ClientRequest {
			return c.Put(s.URL+"/a?x=1", "text/plain", body, cb)
		}, string(body)},
		{"DELETE", func(cb func(*ClientResponse, error)) *ClientRequest { return c.Delete(s.URL+"/a?x=1", cb) }, ""},
	}
	for _, tc := range cases {
		t.Run(tc.method, func(t *testing.T) {
			res := clientDo(t, r, func(cb func(*ClientResponse, error)) { tc.start(cb) })
			require.NoError(t, res.err)
			assert.Equal(t, 200, res.resp.StatusCode)
			assert.Equal(t, tc.method, res.resp.Header.Get("X-Method"))
			assert.Equal(t, "/a?x=1", res.resp.Header.Get("X-Path"))
			assert.Equal(t, tc.body, string(res.resp.Body))
			assert.Equal(t, ClientDefaultUserAgent, res.resp.Header.Get("X-User-Agent"))
			if tc.body != "" {
				assert.Equal(t, "text/plain", res.resp.Header.Get("X-Content-Type"))
			}
			assert.Equal(t, tc.method, res.resp.Request.Method)
		})
	}
}

func TestClientDoStandardRequest(t *testing.T) {
	s := clientNewServer(t, http.HandlerFunc(clientEchoHandler))
	r := startReactor(t)
	c := NewClient(r)

	t.Run("in-memory body and headers", func(t *testing.T) {
		req, err := http.NewRequest("PATCH", s.URL+"/p", strings.NewReader("patch body"))
		require.NoError(t, err)
		req.Header.Set("X-Custom", "yes")
		req.Header.Set("User-Agent", "mine")
		res := clientDo(t, r, func(cb func(*ClientResponse, error)) { c.Do(req, cb) })
		require.NoError(t, res.err)
		assert.Equal(t, "PATCH", res.resp.Header.Get("X-Method"))
		assert.Equal(t, "yes", res.resp.Header.Get("X-Custom"))
		assert.Equal(t, "mine", res.resp.Header.Get("X-User-Agent"))
		assert.Equal(t, "10", res.resp.Header.Get("X-Content-Length"))
		assert.Equal(t, "patch body", string(res.resp.Body))
		hr := res.resp.Response()
		b, err := io.ReadAll(hr.Body)
		require.NoError(t, err)
		assert.Equal(t, "patch body", string(b))
	})

	t.Run("streaming io.Reader body is read off the loop", func(t *testing.T) {
		pr, pw := io.Pipe()
		go func() {
			pw.Write([]byte("from "))
			pw.Write([]byte("a pipe"))
			pw.Close()
		}()
		req, err := http.NewRequest("POST", s.URL+"/pipe", pr)
		require.NoError(t, err)
		res := clientDo(t, r, func(cb func(*ClientResponse, error)) { c.Do(req, cb) })
		require.NoError(t, res.err)
		assert.Equal(t, "from a pipe", string(res.resp.Body))
		assert.Equal(t, "11", res.resp.Header.Get("X-Content-Length"))
	})
}

func TestClientBasicAuthFromURL(t *testing.T) {
	s := clientNewServer(t, http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		user, pass, ok := req.BasicAuth()
		fmt.Fprintf(w, "%v %s %s", ok, user, pass)
	}))
	r := startReactor(t)
	c := NewClient(r)
	res := clientGet(t, r, c, strings.Replace(s.URL, "http://", "http://ann:s3cret@", 1))
	require.NoError(t, res.err)
	assert.Equal(t, "true ann s3cret", string(res.resp.Body))
}
