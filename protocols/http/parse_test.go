package http

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// How serverParseAllMode runs the parser: bodies buffered without bound,
// streamed (the runs collected by the caller), or buffered with room
// granted only when asked for.
type serverParseMode uint8

const (
	parseBuffered serverParseMode = iota
	parseStreamed
	parseBounded
)

// serverParseAll feeds chunks to a fresh parser and describes every event:
// "HEAD <method> <uri>", "REQ <summary>" or "ERR <status>". Parsing stops
// at the first error.
func serverParseAll(maxHead int, maxBody int64, chunks ...[]byte) []string {
	return serverParseAllMode(parseBuffered, maxHead, maxBody, chunks...)
}

// serverParseAllMode is serverParseAll in a mode; every mode must describe
// a stream alike.
func serverParseAllMode(mode serverParseMode, maxHead int, maxBody int64, chunks ...[]byte) []string {
	p := &serverParser{maxHead: maxHead, maxBody: maxBody, bounded: mode == parseBounded}
	var out []string
	var streamed []byte
	for i, data := range chunks {
		for len(data) > 0 || (p.ending() && i == len(chunks)-1) {
			n, ev := p.parse(data)
			data = data[n:]
			switch ev.kind {
			case serverGotHead:
				out = append(out, "HEAD "+ev.req.Method+" "+ev.req.RequestURI)
				if mode == parseStreamed {
					p.stream()
					streamed = []byte{}
				}
			case serverGotBody:
				streamed = append(streamed, ev.data...)
			case serverNeedRoom:
				p.grant(ev.n)
			case serverGotRequest:
				if streamed != nil {
					ev.req.Body = io.NopCloser(bytes.NewReader(streamed))
					streamed = nil
				}
				out = append(out, "REQ "+serverDescribe(ev.req))
			case serverGotError:
				return append(out, fmt.Sprintf("ERR %d", ev.err.status))
			case serverNeedMore:
				if len(data) != 0 {
					return append(out, "BUG: need more with bytes left")
				}
			}
		}
	}
	return out
}

// serverDescribe summarises a request: method, URI, proto, sorted headers,
// body and trailer.
func serverDescribe(req *http.Request) string {
	var keys []string
	for k := range req.Header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s host=%s close=%v cl=%d", req.Method, req.RequestURI, req.Proto, req.Host, req.Close, req.ContentLength)
	for _, k := range keys {
		fmt.Fprintf(&b, " %s=%q", k, req.Header[k])
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		fmt.Fprintf(&b, " body-error=%v", err)
	}
	fmt.Fprintf(&b, " body=%q", body)
	if len(req.Trailer) > 0 {
		fmt.Fprintf(&b, " trailer=%v", req.Trailer)
	}
	return b.String()
}

func TestServerParserTable(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"get", "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
			[]string{`REQ GET / HTTP/1.1 host=a close=false cl=0 body=""`}},
		{"bare LF lines", "GET /x?y=1 HTTP/1.1\nHost: a\nX-A: b\n\n",
			[]string{`REQ GET /x?y=1 HTTP/1.1 host=a close=false cl=0 X-A=["b"] body=""`}},
		{"http/1.0 closes", "GET / HTTP/1.0\r\n\r\n",
			[]string{`REQ GET / HTTP/1.0 host= close=true cl=0 body=""`}},
		{"http/1.0 keep-alive", "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
			[]string{`REQ GET / HTTP/1.0 host= close=false cl=0 Connection=["keep-alive"] body=""`}},
		{"connection close", "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
			[]string{`REQ GET / HTTP/1.1 host=a close=true cl=0 Connection=["close"] body=""`}},
		{"content-length body", "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
			[]string{"HEAD POST /p", `REQ POST /p HTTP/1.1 host=a close=false cl=5 Content-Length=["5"] body="hello"`}},
		{"chunked body with extension and trailer",
			"POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6 \r\n world\r\n0\r\nX-Sum: 42\r\n\r\n",
			[]string{"HEAD POST /c", `REQ POST /c HTTP/1.1 host=a close=false cl=-1 body="hello world" trailer=map[X-Sum:[42]]`}},
		{"pipelined", "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nPOST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\nxGET /3 HTTP/1.1\r\nHost: a\r\n\r\n",
			[]string{
				`REQ GET /1 HTTP/1.1 host=a close=false cl=0 body=""`,
				"HEAD POST /2",
				`REQ POST /2 HTTP/1.1 host=a close=false cl=1 Content-Length=["1"] body="x"`,
				`REQ GET /3 HTTP/1.1 host=a close=false cl=0 body=""`,
			}},
		{"empty lines between requests", "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n\r\n",
			[]string{`REQ GET / HTTP/1.1 host=a close=false cl=0 body=""`}},
		{"missing host", "GET / HTTP/1.1\r\n\r\n", []string{"ERR 400"}},
		{"two hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", []string{"ERR 400"}},
		{"garbage", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", []string{"ERR 400"}},
		{"bad request line", "GET /\r\nHost: a\r\n\r\n", []string{"ERR 400"}},
		{"bad header", "GET / HTTP/1.1\r\nHost: a\r\nNo colon\r\n\r\n", []string{"ERR 400"}},
		{"space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", []string{"ERR 400"}},
		{"space before colon in Content-Length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length : 1\r\n\r\nx", []string{"ERR 400"}},
		{"space inside a header name", "POST / HTTP/1.1\r\nHost: a\r\nTransfer Encoding: chunked\r\n\r\n", []string{"ERR 400"}},
		{"chunked in http/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", []string{"ERR 400"}},
		{"three empty lines first", "\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", []string{"ERR 400"}},
		{"http/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", []string{"ERR 505"}},
		{"bad content-length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\n", []string{"ERR 400"}},
		{"conflicting content-lengths", "POST / HTTP/1.1\r\nHost:a\r\nContent-Length:1\r\nContent-Length:2\r\n\r\nxx", []string{"ERR 400"}},
		{"unsupported transfer-encoding", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", []string{"ERR 501"}},
		{"chunk size not hex", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", []string{"HEAD POST /", "ERR 400"}},
		{"chunk bare LF", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1\nx\r\n", []string{"HEAD POST /", "ERR 400"}},
		{"chunk data without CRLF", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nxy", []string{"HEAD POST /", "ERR 400"}},
		{"chunk size of 17 digits", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n00000000000000001\r\n", []string{"HEAD POST /", "ERR 400"}},
		{"head at limit", "GET / HTTP/1.1\r\nHost: a\r\nX: " + strings.Repeat("v", 64-len("GET / HTTP/1.1\r\nHost: a\r\nX: \r\n\r\n")) + "\r\n\r\n",
			[]string{`REQ GET / HTTP/1.1 host=a close=false cl=0 X=["` + strings.Repeat("v", 64-len("GET / HTTP/1.1\r\nHost: a\r\nX: \r\n\r\n")) + `"] body=""`}},
		{"head over limit", "GET / HTTP/1.1\r\nHost: a\r\nX: " + strings.Repeat("v", 65-len("GET / HTTP/1.1\r\nHost: a\r\nX: \r\n\r\n")) + "\r\n\r\n", []string{"ERR 431"}},
		{"endless head", "GET / HTTP/1.1\r\nX: " + strings.Repeat("v", 200), []string{"ERR 431"}},
		{"body at limit", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 16\r\n\r\n0123456789abcdef",
			[]string{"HEAD POST /", `REQ POST / HTTP/1.1 host=a close=false cl=16 Content-Length=["16"] body="0123456789abcdef"`}},
		{"body over limit", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 17\r\n\r\n", []string{"ERR 413"}},
		{"chunked over limit", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123456789abcdef\r\n1\r\n", []string{"HEAD POST /", "ERR 413"}},
		{"trailer bare LF end", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\n", []string{"HEAD POST /", "ERR 400"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, mode := range []serverParseMode{parseBuffered, parseStreamed, parseBounded} {
				assert.Equal(t, tc.want, serverParseAllMode(mode, 64, 16, []byte(tc.in)), "mode %d", mode)
			}
		})
	}
}

// RFC 9112 6.1: a request with both framings is read by its
// Transfer-Encoding and marked to close the connection once answered.
func TestServerParserBothFramings(t *testing.T) {
	in := "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n"
	want := []string{"HEAD POST /", `REQ POST / HTTP/1.1 host=a close=true cl=-1 body="x"`}
	for _, mode := range []serverParseMode{parseBuffered, parseStreamed, parseBounded} {
		assert.Equal(t, want, serverParseAllMode(mode, 1024, 16, []byte(in)), "mode %d", mode)
	}
}

// serverSplitStream is a pipeline that uses every framing: it must parse to
// the same requests however it is cut.
const serverSplitStream = "GET /a HTTP/1.1\r\nHost: h\r\n\r\n" +
	"POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc" +
	"POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2;x\r\nde\r\n1\r\nf\r\n0\r\nT: 1\r\n\r\n" +
	"\r\nGET /d HTTP/1.0\r\n\r\n"

func TestServerParserEverySplitPoint(t *testing.T) {
	msg := []byte(serverSplitStream)
	want := serverParseAll(1024, 1024, msg)
	require.Len(t, want, 6)
	require.Equal(t, `REQ POST /c HTTP/1.1 host=h close=false cl=-1 body="def" trailer=map[T:[1]]`, want[4])
	for i := 0; i <= len(msg); i++ {
		require.Equal(t, want, serverParseAll(1024, 1024, msg[:i], msg[i:]), "split at %d", i)
	}
	bytewise := make([][]byte, len(msg))
	for i := range msg {
		bytewise[i] = msg[i : i+1]
	}
	assert.Equal(t, want, serverParseAll(1024, 1024, bytewise...))
}

// The parser never points into the bytes it was given: a request stays
// intact when the read buffer is overwritten.
func TestServerParserCopiesWhatItKeeps(t *testing.T) {
	buf := []byte("POST /x HTTP/1.1\r\nHost: h\r\nX-K: v\r\nContent-Length: 2\r\n\r\nok")
	p := &serverParser{maxHead: 1024, maxBody: 1024}
	_, ev := p.parse(buf)
	require.Equal(t, serverGotHead, ev.kind)
	_, ev = p.parse(buf[len(buf)-2:])
	require.Equal(t, serverGotRequest, ev.kind)
	for i := range buf {
		buf[i] = 'Z'
	}
	assert.Equal(t, "v", ev.req.Header.Get("X-K"))
	assert.Equal(t, "/x", ev.req.URL.Path)
	assert.Equal(t, []byte("ok"), RequestBody(ev.req))
}

func BenchmarkServerParseGet(b *testing.B) {
	req := []byte("GET /recipes/random.json HTTP/1.1\r\nHost: 127.0.0.1:8085\r\nUser-Agent: wrk\r\nAccept: */*\r\n\r\n")
	p := &serverParser{maxHead: 64 << 10, maxBody: 1 << 20}
	b.ReportAllocs()
	b.SetBytes(int64(len(req)))
	for b.Loop() {
		if _, ev := p.parse(req); ev.kind != serverGotRequest {
			b.Fatal(ev.kind)
		}
	}
}
