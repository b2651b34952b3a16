package http

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// clientParsed is everything the parser produced for one input.
type clientParsed struct {
	status    int
	body      string
	trailer   http.Header
	done      bool
	keepAlive bool
	consumed  int
	err       error
}

// clientParse feeds pieces to a fresh parser answering method, then (if
// eof) tells it the connection closed.
func clientParse(method string, pieces [][]byte, eof bool, maxHeader int, maxBody int64) clientParsed {
	req, _ := http.NewRequest(method, "http://example.com/", nil)
	var out clientParsed
	var body strings.Builder
	p := &clientParser{maxHeader: maxHeader, maxBody: maxBody}
	p.onHead = func(r *http.Response) error { out.status = r.StatusCode; return nil }
	p.onBody = func(b []byte) error { body.Write(b); return nil }
	p.reset(req)
	for _, piece := range pieces {
		n, err := p.feed(piece)
		out.consumed += n
		if err != nil {
			out.err = err
			break
		}
		if p.done() {
			break
		}
	}
	if out.err == nil && eof {
		out.err = p.eof()
	}
	out.body, out.done, out.keepAlive, out.trailer = body.String(), p.done(), p.keepAlive(), p.trailer()
	return out
}

var clientParseCases = []struct {
	name, method, in string
	eof              bool
	status           int
	body             string
	keepAlive        bool
	trailer          string // "Key: value" expected in the trailer
	rest             int    // bytes left unconsumed after the response
	err              error
}{
	{name: "content-length", in: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", status: 200, body: "hello", keepAlive: true},
	{name: "bytes after the response", in: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA", status: 200, body: "ok", keepAlive: true, rest: 5},
	{name: "empty body", in: "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", status: 200, keepAlive: true},
	{name: "chunked with extensions and trailer", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6 \r\n world\r\nA\r\n0123456789\r\n0\r\nX-Sum: 21\r\n\r\n",
		status: 200, body: "hello world0123456789", keepAlive: true, trailer: "X-Sum: 21"},
	{name: "HEAD with length", method: "HEAD", in: "HTTP/1.1 200 OK\r\nContent-Length: 999\r\n\r\n", status: 200, keepAlive: true},
	{name: "204", in: "HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n", status: 204, keepAlive: true},
	{name: "304", in: "HTTP/1.1 304 Not Modified\r\n\r\n", status: 304, keepAlive: true},
	{name: "connection close", in: "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx", status: 200, body: "x"},
	{name: "1.0 without keep-alive", in: "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx", status: 200, body: "x"},
	{name: "1.0 with keep-alive", in: "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\nx", status: 200, body: "x", keepAlive: true},
	{name: "close-delimited", in: "HTTP/1.1 200 OK\r\n\r\nto the end", eof: true, status: 200, body: "to the end"},
	{name: "interim 100 then 200", in: "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", status: 200, body: "ok", keepAlive: true},
	{name: "101 is final", in: "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n", status: 101},

	{name: "bad status", in: "HTTP/1.1 abc\r\n\r\n", err: ErrClientMalformedResponse},
	{name: "bad header line", in: "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", err: ErrClientMalformedResponse},
	{name: "HTTP/3", in: "HTTP/3.0 200 OK\r\n\r\n", err: ErrClientMalformedResponse},
	{name: "bad chunk size", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n", err: ErrClientMalformedResponse},
	{name: "huge chunk size", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000\r\n", err: ErrClientMalformedResponse},
	{name: "chunked bare LF size lines", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\n\n", err: ErrClientMalformedResponse},
	{name: "chunk data overrun", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n", err: ErrClientMalformedResponse},
	{name: "bad trailer", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nno colon\r\n\r\n", err: ErrClientMalformedResponse},
	{name: "header too large", in: "HTTP/1.1 200 OK\r\nX: " + strings.Repeat("h", 300) + "\r\n\r\n", err: ErrClientResponseTooLarge},
	{name: "body too large", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + strings.Repeat("10\r\n0123456789abcdef\r\n", 5) + "0\r\n\r\n", err: ErrClientResponseTooLarge},
	{name: "trailer too large", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: " + strings.Repeat("t", 300) + "\r\n\r\n", err: ErrClientResponseTooLarge},
	{name: "declared too large", in: "HTTP/1.1 200 OK\r\nContent-Length: 65\r\n\r\n", err: ErrClientResponseTooLarge},
	{name: "endless interim responses", in: strings.Repeat("HTTP/1.1 100 Continue\r\n\r\n", 12), err: ErrClientResponseTooLarge},
	{name: "eof in body", in: "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", eof: true, err: io.ErrUnexpectedEOF},
	{name: "eof in chunk", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", eof: true, err: io.ErrUnexpectedEOF},
	{name: "eof in header", in: "HTTP/1.1 200 OK\r\nConte", eof: true, err: io.ErrUnexpectedEOF},
}

func TestClientParser(t *testing.T) {
	for _, tc := range clientParseCases {
		t.Run(tc.name, func(t *testing.T) {
			method := tc.method
			if method == "" {
				method = "GET"
			}
			for _, pieces := range splitEverywhere([]byte(tc.in)) {
				got := clientParse(method, pieces, tc.eof, 256, 64)
				if tc.err != nil {
					require.ErrorIs(t, got.err, tc.err, "split into %d pieces", len(pieces))
					continue
				}
				require.NoError(t, got.err, "split into %d pieces", len(pieces))
				assert.True(t, got.done)
				assert.Equal(t, tc.status, got.status)
				assert.Equal(t, tc.body, got.body)
				assert.Equal(t, tc.keepAlive, got.keepAlive)
				assert.Equal(t, len(tc.in)-tc.rest, got.consumed)
				if tc.trailer != "" {
					k, v, _ := strings.Cut(tc.trailer, ": ")
					assert.Equal(t, v, got.trailer.Get(k))
				}
			}
		})
	}
}

func TestClientParserNeedsEOFForCloseDelimited(t *testing.T) {
	got := clientParse("GET", [][]byte{[]byte("HTTP/1.1 200 OK\r\n\r\npartial")}, false, 1024, 0)
	require.NoError(t, got.err)
	assert.False(t, got.done, "a close-delimited body ends only with the connection")
	assert.Equal(t, "partial", got.body)
}

func TestClientParserReuse(t *testing.T) {
	// One parser, several responses in a row, as on a kept-alive connection.
	p := &clientParser{maxHeader: 1024}
	var bodies []string
	p.onBody = func(b []byte) error { bodies = append(bodies, string(b)); return nil }
	for _, in := range []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nb\r\n0\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nc",
	} {
		p.reset(nil)
		n, err := p.feed([]byte(in))
		require.NoError(t, err)
		require.True(t, p.done())
		require.Equal(t, len(in), n)
	}
	assert.Equal(t, []string{"a", "b", "c"}, bodies)
}

// TestClientChunkSize checks the shared chunk-size parser through the
// client's error reporting.
func TestClientChunkSize(t *testing.T) {
	p := &clientParser{maxHeader: 1024}
	for in, want := range map[string]int64{"0": 0, "a": 10, "Ff": 255, "10;name=value": 16, "5 \t": 5, "fffffffffffffff": 1<<60 - 1} {
		n, err := parseChunkSize([]byte(in))
		require.NoError(t, err, in)
		assert.Equal(t, want, n, in)
	}
	for _, in := range []string{"", ";x", "g", "0x5", "-1", " 5", "1000000000000000"} {
		_, err := parseChunkSize([]byte(in))
		require.Error(t, err, "%q", in)
		assert.ErrorIs(t, p.chunkedError(err), ErrClientMalformedResponse, "%q", in)
	}
}

func TestClientAppend(t *testing.T) {
	var b []byte
	for range 100 {
		b = clientAppend(b, make([]byte, 1000), 100000, 0)
	}
	assert.Len(t, b, 100000)
	assert.Equal(t, 100000, cap(b), "capped at the declared length")
	b = nil
	for range 100 {
		b = clientAppend(b, []byte("x"), -1, 0)
	}
	assert.Len(t, b, 100)
	assert.LessOrEqual(t, cap(b), 200, "never more than twice what arrived")
	b = clientAppend(nil, []byte("x"), 1<<40, 0)
	assert.LessOrEqual(t, cap(b), clientPrealloc, "a declared length alone allocates at most clientPrealloc")

	// An undeclared length just under the bound: doubling from an odd
	// read size would pass the bound by up to twice; the bound caps it.
	const limit = 10_000_000
	b = nil
	for len(b)+16375 <= limit {
		b = clientAppend(b, make([]byte, 16375), -1, limit)
		require.LessOrEqual(t, cap(b), limit, "at %d bytes", len(b))
	}
	b = clientAppend(b, make([]byte, limit-len(b)), -1, limit)
	assert.Len(t, b, limit)
	assert.Equal(t, limit, cap(b), "exactly the bound when the body reaches it")
}

func TestClientParserStopFromCallback(t *testing.T) {
	p := &clientParser{maxHeader: 1024}
	p.onBody = func([]byte) error { return errClientStop }
	p.reset(nil)
	_, err := p.feed([]byte("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"))
	assert.True(t, errors.Is(err, errClientStop))
}
