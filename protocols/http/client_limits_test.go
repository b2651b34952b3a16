package http

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/evmachine/evmachine/internal/nettest"
)

// withClientBufferedLimit lowers the collected-body bound for a test, as
// if ClientDefaultMaxBodyBytes were n, leaving streamed bodies unbounded.
func withClientBufferedLimit(n int64) ClientOption {
	return func(c *clientConfig) { c.maxBuffered = n }
}

// clientEndless is what an endless-body server did on one connection.
type clientEndless struct {
	sent   int64 // body bytes the kernel accepted
	capped bool  // it stopped at its byte cap, not because the client left
}

// clientEndlessServer answers each request on a connection with a body
// that never ends, chunked or close-delimited, written in 16 KiB pieces
// until the client goes away, maxBytes are sent or the watchdog deadline
// passes (the bounds: never endless in fact). Each connection's outcome
// goes to the channel.
func clientEndlessServer(t testing.TB, chunked bool, maxBytes int64) (string, <-chan clientEndless) {
	t.Helper()
	done := make(chan clientEndless, 16)
	piece := strings.Repeat("x", 16<<10)
	if chunked {
		piece = fmt.Sprintf("%x\r\n%s\r\n", len(piece), piece)
	}
	url := clientRawServer(t, func(conn net.Conn) {
		br := bufio.NewReader(conn)
		var res clientEndless
		defer func() { done <- res }()
		if clientReadRequest(br) == nil {
			return
		}
		head := "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n"
		if chunked {
			head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		}
		if _, err := io.WriteString(conn, head); err != nil {
			return
		}
		for res.sent < maxBytes {
			n, err := io.WriteString(conn, piece)
			res.sent += int64(n)
			if err != nil {
				return
			}
		}
		res.capped = true
	})
	return url, done
}

func TestClientCollectedBodyBoundedByDefault(t *testing.T) {
	const limit = 1 << 20
	for _, chunked := range []bool{true, false} {
		t.Run(fmt.Sprintf("chunked=%v", chunked), func(t *testing.T) {
			url, served := clientEndlessServer(t, chunked, 64*limit)
			r := startReactor(t)
			c := NewClient(r, withClientBufferedLimit(limit))
			res := clientGet(t, r, c, url)
			require.Error(t, res.err)
			assert.ErrorIs(t, res.err, ErrClientResponseTooLarge)
			assert.Nil(t, res.resp)
			assert.Contains(t, res.err.Error(), "body exceeds "+strconv.Itoa(limit)+" bytes")
			assert.Contains(t, res.err.Error(), "ClientDefaultMaxBodyBytes", "the error says which bound")
			s := waitFor(t, served, "end of the endless body")
			assert.False(t, s.capped, "the client closed the connection: the server's writes failed (sent %d)", s.sent)
			assert.Less(t, s.sent, int64(32*limit), "the server could not send much past the bound")
		})
	}
}

func TestClientStreamNotBoundedByDefault(t *testing.T) {
	const limit, want = 256 << 10, 8 * 256 << 10 // the stream gets 8 times the collected-body bound
	for _, chunked := range []bool{true, false} {
		t.Run(fmt.Sprintf("chunked=%v", chunked), func(t *testing.T) {
			url, served := clientEndlessServer(t, chunked, 64*limit)
			r := startReactor(t)
			c := NewClient(r, withClientBufferedLimit(limit))
			got := 0
			res := clientDo(t, r, func(cb func(*ClientResponse, error)) {
				var req *ClientRequest
				req = c.Get(url, cb).Stream(func(chunk []byte) {
					if got += len(chunk); got >= want {
						req.Cancel()
					}
				})
			})
			assert.ErrorIs(t, res.err, ErrClientCanceled, "the stream ran until the test cancelled it")
			assert.GreaterOrEqual(t, got, want)
			waitFor(t, served, "end of the streamed body")

			res = clientGet(t, r, c, url) // the same client, collecting: cut at the bound
			assert.ErrorIs(t, res.err, ErrClientResponseTooLarge)
			waitFor(t, served, "end of the collected body")
		})
	}
}

func TestClientExplicitMaxBodyBoundsStreams(t *testing.T) {
	const limit = 256 << 10
	url, served := clientEndlessServer(t, true, 64*limit)
	r := startReactor(t)
	c := NewClient(r, WithClientMaxBodyBytes(limit))
	got := 0
	res := clientDo(t, r, func(cb func(*ClientResponse, error)) {
		c.Get(url, cb).Stream(func(chunk []byte) { got += len(chunk) })
	})
	assert.ErrorIs(t, res.err, ErrClientResponseTooLarge)
	assert.Contains(t, res.err.Error(), "body exceeds "+strconv.Itoa(limit)+" bytes (WithClientMaxBodyBytes)")
	assert.LessOrEqual(t, got, limit, "nothing past the bound reached Stream")
	waitFor(t, served, "end of the body")
}

func TestClientMaxBodyOptions(t *testing.T) {
	c := NewClient(nil)
	assert.Equal(t, int64(ClientDefaultMaxBodyBytes), c.cfg.maxBuffered)
	assert.Equal(t, int64(0), c.cfg.maxBody, "streams are not bounded by default")
	c = NewClient(nil, WithClientMaxBodyBytes(5000))
	assert.Equal(t, int64(5000), c.cfg.maxBuffered)
	assert.Equal(t, int64(5000), c.cfg.maxBody)
	c = NewClient(nil, WithClientMaxBodyBytes(0))
	assert.Equal(t, int64(0), c.cfg.maxBuffered, "0 lifts every bound")
	assert.Equal(t, int64(0), c.cfg.maxBody)
}

// A Content-Length past the default bound fails as soon as the head
// arrives, with the real default; the server sends no body at all.
func TestClientDeclaredLengthPastDefaultFailsAtOnce(t *testing.T) {
	url := clientRawServer(t, func(conn net.Conn) {
		if clientReadRequest(bufio.NewReader(conn)) == nil {
			return
		}
		fmt.Fprintf(conn, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", int64(ClientDefaultMaxBodyBytes)+1)
		conn.Read(make([]byte, 1)) // stall until the client closes
	})
	r := startReactor(t)
	c := NewClient(r)
	start := time.Now()
	res := clientGet(t, r, c, url)
	assert.ErrorIs(t, res.err, ErrClientResponseTooLarge)
	assert.Contains(t, res.err.Error(), fmt.Sprintf("Content-Length %d exceeds %d bytes", ClientDefaultMaxBodyBytes+1, ClientDefaultMaxBodyBytes))
	assert.Less(t, time.Since(start), ClientDefaultInactivityTimeout/2, "at once, not at a timeout")
}

// OnHeaders may switch a large response to Stream: the bound is chosen
// after it returns, so the declared length is checked against the right
// one.
func TestClientOnHeadersMayChooseStream(t *testing.T) {
	const limit, size = 64 << 10, 1 << 20
	url := clientRawServer(t, func(conn net.Conn) {
		if clientReadRequest(bufio.NewReader(conn)) == nil {
			return
		}
		fmt.Fprintf(conn, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", size)
		conn.Write(make([]byte, size))
	})
	r := startReactor(t)
	c := NewClient(r, withClientBufferedLimit(limit))
	got := 0
	res := clientDo(t, r, func(cb func(*ClientResponse, error)) {
		var req *ClientRequest
		req = c.Get(url, cb).OnHeaders(func(resp *ClientResponse) {
			if resp.ContentLength > limit {
				req.Stream(func(chunk []byte) { got += len(chunk) })
			}
		})
	})
	require.NoError(t, res.err)
	assert.Equal(t, size, got)
	assert.Nil(t, res.resp.Body)
}

// collect keeps a body of unknown length in blocks past its first one and
// joins them at the end: the bytes come back whole, and while collecting
// it never holds more than the bound (or, unbounded, more than a block
// beyond what arrived).
func TestClientCollect(t *testing.T) {
	data := nettest.Pattern(5<<20+7, 3)
	for _, limit := range []int64{0, int64(len(data)), 300 << 10} {
		t.Run(fmt.Sprintf("limit=%d", limit), func(t *testing.T) {
			want := data
			if limit > 0 && int(limit) < len(want) {
				want = want[:limit]
			}
			r := &ClientRequest{resp: &ClientResponse{ContentLength: -1}}
			for rest, i := want, 0; len(rest) > 0; i++ {
				n := min(len(rest), 1+i*7919%(100<<10)) // odd sizes, up to 100 KiB
				r.collect(rest[:n], limit)
				rest = rest[n:]
				held := cap(r.resp.Body)
				for _, p := range r.parts {
					held += cap(p)
				}
				got := len(want) - len(rest)
				if limit > 0 {
					require.LessOrEqual(t, held, int(limit), "at %d bytes", got)
				}
				require.LessOrEqual(t, held, max(2*got, got+clientBlock), "at %d bytes", got)
			}
			body := r.collected()
			assert.True(t, bytes.Equal(want, body), "every byte, in order")
			assert.Equal(t, len(want), cap(body), "joined into one exact buffer")
		})
	}
}
