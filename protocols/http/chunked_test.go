package http

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// chunkedDecoded is everything a decoder produced for one input.
type chunkedDecoded struct {
	body     string
	trailer  http.Header
	consumed int
	done     bool
	err      error
}

// chunkedDecodeAll feeds pieces to a fresh decoder until it is done or
// fails. It also checks what every call must do: make progress, and hand
// out body runs that are the input's own bytes (never a copy), right
// before what it consumed.
func chunkedDecodeAll(maxTrailer int, pieces [][]byte) (chunkedDecoded, error) {
	var d chunkedDecoder
	d.reset(maxTrailer)
	var out chunkedDecoded
	var body strings.Builder
	for _, piece := range pieces {
		for len(piece) > 0 && !d.done() {
			n, b, err := d.decode(piece)
			switch {
			case n < 0 || n > len(piece):
				return out, fmt.Errorf("consumed %d of %d bytes", n, len(piece))
			case len(b) > 0 && &b[0] != &piece[n-len(b)]:
				return out, errors.New("a body run is not the input's bytes right before what was consumed")
			case n == 0 && err == nil && !d.done():
				return out, errors.New("no progress")
			}
			body.Write(b)
			out.consumed += n
			piece = piece[n:]
			if err != nil {
				out.err = err
				out.body = body.String()
				return out, nil
			}
		}
	}
	out.body, out.done, out.trailer = body.String(), d.done(), d.trailers()
	return out, nil
}

var chunkedGood = []struct {
	name, in string
	body     string
	trailer  http.Header
	rest     int // bytes after the body, not consumed
}{
	{name: "one chunk", in: "5\r\nhello\r\n0\r\n\r\n", body: "hello"},
	{name: "empty body", in: "0\r\n\r\n"},
	{name: "extensions, whitespace and a trailer",
		in:   "5;ext=1\r\nhello\r\n6 \t\r\n world\r\n0;last\r\nX-Sum: 21\r\nX-Other: a\r\n\r\n",
		body: "hello world", trailer: http.Header{"X-Sum": {"21"}, "X-Other": {"a"}}},
	{name: "repeated trailer field and bytes after", in: "1\r\na\r\n0\r\nA: b\r\na: c\r\n\r\nGET / HTTP/1.1\r\n",
		body: "a", trailer: http.Header{"A": {"b", "c"}}, rest: len("GET / HTTP/1.1\r\n")},
	{name: "16 hex digits and upper case", in: "000000000000000A\r\n0123456789\r\n0\r\n\r\n", body: "0123456789"},
	{name: "longest size line", in: "1;" + strings.Repeat("e", chunkedMaxLine-4) + "\r\nx\r\n0\r\n\r\n", body: "x"},
	{name: "trailer at its limit", in: "0\r\nX: " + strings.Repeat("t", 57) + "\r\n\r\n", trailer: http.Header{"X": {strings.Repeat("t", 57)}}},
}

func TestChunkedDecoderGood(t *testing.T) {
	const maxTrailer = 64
	for _, tc := range chunkedGood {
		t.Run(tc.name, func(t *testing.T) {
			want, err := io.ReadAll(httputil.NewChunkedReader(strings.NewReader(tc.in)))
			require.NoError(t, err, "net/http decodes it")
			require.Equal(t, tc.body, string(want), "net/http's body")
			for _, pieces := range splitEverywhere([]byte(tc.in)) {
				got, err := chunkedDecodeAll(maxTrailer, pieces)
				require.NoError(t, err, "in %d pieces", len(pieces))
				require.NoError(t, got.err, "in %d pieces", len(pieces))
				assert.True(t, got.done)
				assert.Equal(t, tc.body, got.body)
				assert.Equal(t, tc.trailer, got.trailer)
				assert.Equal(t, len(tc.in)-tc.rest, got.consumed)
			}
		})
	}
}

var chunkedBad = []struct {
	name, in string
	err      error
}{
	{"bare LF after size", "5\nhello\r\n0\r\n\r\n", errChunkedBareLF},
	{"bare LF after last chunk", "0\n\r\n", errChunkedBareLF},
	{"CR before the end", "5\r\r\nhello\r\n", errChunkedCR},
	{"CR in extension", "5;a\rb\r\nhello\r\n", errChunkedCR},
	{"size line of 4097 bytes", "1;" + strings.Repeat("e", chunkedMaxLine-3) + "\r\nx\r\n0\r\n\r\n", errChunkedLine},
	{"long size line with bare LF", "1;" + strings.Repeat("e", chunkedMaxLine) + "\nx\r\n", errChunkedLine},
	{"endless size line", strings.Repeat("1", 2*chunkedMaxLine), errChunkedLine},
	{"17 hex digits", "00000000000000001\r\nx\r\n", errChunkedSize},
	{"not hex", "zz\r\n", errChunkedSize},
	{"negative", "-1\r\n", errChunkedSize},
	{"0x prefix", "0x5\r\n", errChunkedSize},
	{"leading space", " 5\r\n", errChunkedSize},
	{"space before extension", "5 ;x\r\nhello\r\n0\r\n\r\n", errChunkedSize},
	{"empty size line", "\r\n", errChunkedSize},
	{"extension only", ";x\r\n", errChunkedSize},
	{"size of 2^60", "1000000000000000\r\n", errChunkedSizeTooLarge},
	{"data longer than its size", "3\r\nabcX\r\n", errChunkedCRLF},
	{"LF alone after data", "3\r\nabc\n0\r\n\r\n", errChunkedCRLF},
	{"too much non-data", strings.Repeat("1;"+strings.Repeat("e", 1000)+"\r\nx\r\n", 20), errChunkedExcess},
	{"trailer line without colon", "0\r\nno colon\r\n\r\n", errChunkedTrailer},
	{"trailer ends in bare LF", "0\r\n\n", errChunkedTrailer},
	{"trailer field then bare LF end", "0\r\nA: b\n\n", errChunkedTrailer},
	{"trailer over its limit", "0\r\nX: " + strings.Repeat("t", 58) + "\r\n\r\n", errChunkedTrailerTooLarge},
	{"endless trailer", "0\r\nX: " + strings.Repeat("t", 500), errChunkedTrailerTooLarge},
}

func TestChunkedDecoderBad(t *testing.T) {
	const maxTrailer = 64
	for _, tc := range chunkedBad {
		t.Run(tc.name, func(t *testing.T) {
			for _, pieces := range splitEverywhere([]byte(tc.in)) {
				got, err := chunkedDecodeAll(maxTrailer, pieces)
				require.NoError(t, err, "in %d pieces", len(pieces))
				require.ErrorIs(t, got.err, tc.err, "in %d pieces", len(pieces))
				assert.False(t, got.done)
			}
		})
	}
}

func TestChunkedDecoderStopsForTheSizeAndReuses(t *testing.T) {
	var d chunkedDecoder
	d.reset(64)
	in := []byte("4\r\nwiki\r\n0\r\nT: 1\r\n\r\n")
	n, body, err := d.decode(in)
	require.NoError(t, err)
	assert.Equal(t, 3, n, "it stops after the size line")
	assert.Empty(t, body)
	assert.Equal(t, int64(4), d.chunkLeft(), "so that the caller sees the size before the data")
	n2, body, err := d.decode(in[n:])
	require.NoError(t, err)
	assert.Equal(t, "wiki", string(body))
	assert.Equal(t, int64(0), d.chunkLeft())
	n3, _, err := d.decode(in[n+n2:])
	require.NoError(t, err)
	require.True(t, d.done())
	assert.Equal(t, len(in), n+n2+n3)
	assert.Equal(t, http.Header{"T": {"1"}}, d.trailers())

	d.reset(64) // a new body: no state, no trailer left over
	assert.False(t, d.done())
	assert.Nil(t, d.trailers())
	n, body, err = d.decode([]byte("0\r\n\r\n"))
	require.NoError(t, err)
	assert.Equal(t, 5, n)
	assert.Empty(t, body)
	assert.True(t, d.done())
	assert.Nil(t, d.trailers())
}

func TestChunkedDecoderNoAllocsPerChunk(t *testing.T) {
	in := bytes.Repeat([]byte("10\r\n0123456789abcdef\r\n"), 64)
	var d chunkedDecoder
	allocs := testing.AllocsPerRun(100, func() {
		d.reset(64)
		for data := in; len(data) > 0; {
			n, _, err := d.decode(data)
			if err != nil {
				panic(err)
			}
			data = data[n:]
		}
	})
	assert.Zero(t, allocs, "decoding data and size lines allocates nothing")
}
