package http

import (
	"bufio"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// clientBigBody is 64 MiB of pseudo-random bytes, made once.
var clientBigBody = sync.OnceValue(func() []byte {
	b := make([]byte, 64<<20)
	rand.NewChaCha8([32]byte{7}).Read(b)
	return b
})

// clientServeBig writes clientBigBody in 64 KiB writes, with a
// Content-Length unless ?chunked is set (then net/http chunks it).
func clientServeBig(w http.ResponseWriter, req *http.Request) {
	big := clientBigBody()
	if req.URL.Query().Get("chunked") == "" {
		w.Header().Set("Content-Length", strconv.Itoa(len(big)))
	}
	for off := 0; off < len(big); off += 64 << 10 {
		if _, err := w.Write(big[off : off+64<<10]); err != nil {
			return
		}
	}
}

func TestClientChunkedResponseWithTrailer(t *testing.T) {
	s := clientNewServer(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Trailer", "X-Sum")
		for i := range 5 {
			fmt.Fprintf(w, "part %d;", i)
			w.(http.Flusher).Flush()
		}
		w.Header().Set("X-Sum", "15")
	}))
	r := startReactor(t)
	c := NewClient(r)
	for range 2 { // the second request reuses the connection after a chunked body
		res := clientGet(t, r, c, s.URL)
		require.NoError(t, res.err)
		assert.Equal(t, []string{"chunked"}, res.resp.TransferEncoding)
		assert.Equal(t, int64(-1), res.resp.ContentLength)
		assert.Equal(t, "part 0;part 1;part 2;part 3;part 4;", string(res.resp.Body))
		assert.Equal(t, "15", res.resp.Trailer.Get("X-Sum"))
	}
	assert.Equal(t, int64(1), s.newConns.Load())
}

func TestClientLargeResponse(t *testing.T) {
	if testing.Short() {
		t.Skip("64 MiB transfer skipped in -short mode")
	}
	s := clientNewServer(t, http.HandlerFunc(clientServeBig))
	r := startReactor(t)
	c := NewClient(r)
	want := sha256.Sum256(clientBigBody())

	t.Run("whole body, Content-Length", func(t *testing.T) {
		res := clientGet(t, r, c, s.URL)
		require.NoError(t, res.err)
		assert.Equal(t, int64(64<<20), res.resp.ContentLength)
		require.Len(t, res.resp.Body, 64<<20)
		assert.Equal(t, want, sha256.Sum256(res.resp.Body))
	})
	t.Run("whole body, chunked, exactly the default bound", func(t *testing.T) {
		require.Len(t, clientBigBody(), ClientDefaultMaxBodyBytes)
		res := clientGet(t, r, c, s.URL+"?chunked=1")
		require.NoError(t, res.err)
		assert.Equal(t, int64(-1), res.resp.ContentLength)
		require.Len(t, res.resp.Body, 64<<20)
		assert.Equal(t, 64<<20, cap(res.resp.Body), "joined into one exact buffer")
		assert.Equal(t, want, sha256.Sum256(res.resp.Body))
	})
	for _, chunked := range []bool{false, true} {
		t.Run(fmt.Sprintf("streamed, chunked=%v", chunked), func(t *testing.T) {
			h := sha256.New()
			pieces, total := 0, 0
			headersFirst := false
			url := s.URL
			if chunked {
				url += "?chunked=1"
			}
			res := clientDo(t, r, func(cb func(*ClientResponse, error)) {
				c.Get(url, cb).
					OnHeaders(func(resp *ClientResponse) { headersFirst = pieces == 0 && resp.StatusCode == 200 }).
					Stream(func(chunk []byte) {
						pieces++
						total += len(chunk)
						h.Write(chunk)
					})
			})
			require.NoError(t, res.err)
			assert.True(t, headersFirst, "OnHeaders runs before the first piece")
			assert.Nil(t, res.resp.Body, "a streamed response keeps no body")
			assert.Equal(t, 64<<20, total)
			assert.Greater(t, pieces, 64, "the body arrives in many pieces")
			assert.Equal(t, want[:], h.Sum(nil))
		})
	}
	assert.Equal(t, int64(1), s.newConns.Load(), "every response on one kept-alive connection")
}

func TestClientHeadAndBodilessStatuses(t *testing.T) {
	s := clientNewServer(t, http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		switch req.URL.Path {
		case "/204":
			w.WriteHeader(http.StatusNoContent)
		case "/304":
			w.WriteHeader(http.StatusNotModified)
		default:
			w.Header().Set("Content-Length", "12345")
			if req.Method != http.MethodHead {
				w.Write(make([]byte, 12345))
			}
		}
	}))
	r := startReactor(t)
	c := NewClient(r)

	res := clientDo(t, r, func(cb func(*ClientResponse, error)) { c.Head(s.URL, cb) })
	require.NoError(t, res.err)
	assert.Equal(t, int64(12345), res.resp.ContentLength, "HEAD reports the length")
	assert.Empty(t, res.resp.Body, "and has no body")
	for _, path := range []string{"/204", "/304", "/"} {
		res := clientGet(t, r, c, s.URL+path)
		require.NoError(t, res.err, path)
	}
	res = clientGet(t, r, c, s.URL)
	require.NoError(t, res.err)
	assert.Len(t, res.resp.Body, 12345)
	assert.Equal(t, int64(1), s.newConns.Load(), "HEAD, 204 and 304 leave the connection reusable")
}

// clientReadRequest reads one request from a raw server connection.
func clientReadRequest(br *bufio.Reader) *http.Request {
	req, err := http.ReadRequest(br)
	if err != nil {
		return nil
	}
	return req
}

func TestClientCloseDelimitedAndInterim(t *testing.T) {
	r := startReactor(t)
	c := NewClient(r)
	cases := map[string]struct{ reply, body string }{
		"close-delimited 1.1": {"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end", "until the end"},
		"close-delimited 1.0": {"HTTP/1.0 200 OK\r\n\r\nold style", "old style"},
		"103 then 200":        {"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", "ok"},
		"bare LF":             {"HTTP/1.1 200 OK\nContent-Length: 3\n\nabc", "abc"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			url := clientRawServer(t, func(conn net.Conn) {
				if clientReadRequest(bufio.NewReader(conn)) == nil {
					return
				}
				for i := 0; i < len(tc.reply); i += 5 { // in small pieces
					conn.Write([]byte(tc.reply[i:min(i+5, len(tc.reply))]))
				}
			})
			res := clientGet(t, r, c, url)
			require.NoError(t, res.err)
			assert.Equal(t, 200, res.resp.StatusCode)
			assert.Equal(t, tc.body, string(res.resp.Body))
		})
	}
}
