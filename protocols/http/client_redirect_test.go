package http

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// clientRedirector serves /hop/N (a redirect to /hop/N-1, /final at 0),
// /code/C (a redirect with status C to /final) and /final (method, body).
func clientRedirector(w http.ResponseWriter, req *http.Request) {
	switch {
	case strings.HasPrefix(req.URL.Path, "/hop/"):
		n, _ := strconv.Atoi(strings.TrimPrefix(req.URL.Path, "/hop/"))
		to := fmt.Sprintf("/hop/%d", n-1)
		if n <= 1 {
			to = "/final"
		}
		w.Header().Set("Location", to)
		w.WriteHeader(http.StatusFound)
		io.WriteString(w, "a redirect body the client skips")
	case strings.HasPrefix(req.URL.Path, "/code/"):
		code, _ := strconv.Atoi(strings.TrimPrefix(req.URL.Path, "/code/"))
		http.Redirect(w, req, "/final", code)
	case req.URL.Path == "/final":
		body, _ := io.ReadAll(req.Body)
		w.Header().Set("X-Content-Type", req.Header.Get("Content-Type"))
		fmt.Fprintf(w, "%s %s", req.Method, body)
	default:
		http.NotFound(w, req)
	}
}

func TestClientRedirectsOffByDefault(t *testing.T) {
	s := clientNewServer(t, http.HandlerFunc(clientRedirector))
	r := startReactor(t)
	c := NewClient(r)
	res := clientGet(t, r, c, s.URL+"/hop/2")
	require.NoError(t, res.err)
	assert.Equal(t, http.StatusFound, res.resp.StatusCode)
	assert.Equal(t, "/hop/1", res.resp.Header.Get("Location"))
	assert.Equal(t, "a redirect body the client skips", string(res.resp.Body))
	assert.Equal(t, 0, res.resp.Redirects)
}

func TestClientRedirectsFollowed(t *testing.T) {
	s := clientNewServer(t, http.HandlerFunc(clientRedirector))
	r := startReactor(t)
	c := NewClient(r, WithClientRedirects(5))
	var streamed strings.Builder
	res := clientDo(t, r, func(cb func(*ClientResponse, error)) {
		c.Get(s.URL+"/hop/3", cb).Stream(func(b []byte) { streamed.Write(b) })
	})
	require.NoError(t, res.err)
	assert.Equal(t, 200, res.resp.StatusCode)
	assert.Equal(t, "GET ", streamed.String(), "only the final body is streamed")
	assert.Equal(t, 3, res.resp.Redirects)
	assert.Equal(t, "/final", res.resp.Request.URL.Path)
	assert.Equal(t, int64(1), s.newConns.Load(), "the hops reuse one connection")
}

func TestClientRedirectLimit(t *testing.T) {
	s := clientNewServer(t, http.HandlerFunc(clientRedirector))
	r := startReactor(t)
	c := NewClient(r, WithClientRedirects(2))
	res := clientGet(t, r, c, s.URL+"/hop/3")
	require.Error(t, res.err)
	assert.ErrorIs(t, res.err, ErrClientTooManyRedirects)
	require.NotNil(t, res.resp, "the last redirect comes with the error")
	assert.Equal(t, http.StatusFound, res.resp.StatusCode)
	assert.Equal(t, "/hop/1", res.resp.Request.URL.Path)
	assert.Equal(t, 2, res.resp.Redirects)

	res = clientGet(t, r, c, s.URL+"/hop/2")
	require.NoError(t, res.err, "exactly the limit is fine")
	assert.Equal(t, "GET ", string(res.resp.Body))
}

func TestClientRedirectMethods(t *testing.T) {
	s := clientNewServer(t, http.HandlerFunc(clientRedirector))
	r := startReactor(t)
	c := NewClient(r, WithClientRedirects(1))
	cases := []struct {
		code        int
		method, got string
	}{
		{301, "POST", "GET "},
		{302, "POST", "GET "},
		{303, "POST", "GET "},
		{303, "PUT", "GET "},
		{307, "POST", "POST payload"},
		{308, "POST", "POST payload"},
		{307, "PUT", "PUT payload"},
		{302, "HEAD", ""},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%d %s", tc.code, tc.method), func(t *testing.T) {
			req, err := http.NewRequest(tc.method, fmt.Sprintf("%s/code/%d", s.URL, tc.code), strings.NewReader("payload"))
			require.NoError(t, err)
			req.Header.Set("Content-Type", "text/plain")
			res := clientDo(t, r, func(cb func(*ClientResponse, error)) { c.Do(req, cb) })
			require.NoError(t, res.err)
			assert.Equal(t, 200, res.resp.StatusCode)
			assert.Equal(t, tc.got, string(res.resp.Body))
			assert.Equal(t, 1, res.resp.Redirects)
			if strings.HasPrefix(tc.got, "GET") {
				assert.Empty(t, res.resp.Header.Get("X-Content-Type"), "no Content-Type without a body")
			}
		})
	}
}

func TestClientRedirectAcrossHosts(t *testing.T) {
	target := clientNewServer(t, http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		fmt.Fprintf(w, "other host, auth=%q cookie=%q", req.Header.Get("Authorization"), req.Header.Get("Cookie"))
	}))
	origin := clientNewServer(t, http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		http.Redirect(w, req, target.URL+"/x", http.StatusFound)
	}))
	r := startReactor(t)
	c := NewClient(r, WithClientRedirects(3))
	req, err := http.NewRequest("GET", origin.URL, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer secret")
	req.Header.Set("Cookie", "a=b")
	res := clientDo(t, r, func(cb func(*ClientResponse, error)) { c.Do(req, cb) })
	require.NoError(t, res.err)
	assert.Equal(t, `other host, auth="" cookie=""`, string(res.resp.Body), "credentials are not sent to another host")

	badOrigin := clientNewServer(t, http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		http.Redirect(w, req, "ftp://example.invalid/", http.StatusFound)
	}))
	res = clientGet(t, r, c, badOrigin.URL)
	assert.ErrorIs(t, res.err, ErrClientBadRequest, "ftp is not supported")
	require.NotNil(t, res.resp)
	assert.Equal(t, http.StatusFound, res.resp.StatusCode)
}
