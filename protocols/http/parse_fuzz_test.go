package http

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"net/http/httputil"
	"strings"
	"testing"
)

// FuzzServerParser checks the request parser on any stream cut anywhere:
//   - it never panics, and gives the same requests (or the same refusal)
//     however the stream is cut, whether bodies are buffered, streamed or
//     buffered within room granted on demand;
//   - every request it accepts is exactly what net/http's own reading of
//     the stream gives (http.ReadRequest, then the body through net/http's
//     Content-Length or chunked reader), request after request, so the
//     framing of pipelined requests agrees with net/http's.
//
// The seeds run as a normal test; `go test -fuzz FuzzServerParser` explores.
func FuzzServerParser(f *testing.F) {
	f.Add([]byte(serverSplitStream), []byte{5, 17, 3})
	f.Add([]byte("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), []byte{1})
	f.Add([]byte("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabcGET /y HTTP/1.0\r\n\r\n"), []byte{9, 9})
	f.Add([]byte("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTrailer: X\r\n\r\n4\r\nwiki\r\n0\r\nX: y\r\n\r\n"), []byte{2})
	f.Add([]byte("GET http://example.com/p?q HTTP/1.1\r\nHost: other\r\nConnection: close\r\n\r\n"), []byte{})
	f.Add([]byte("PUT / HTTP/1.1\nHost: a\nContent-Length: 1\nContent-Length: 1\n\nz"), []byte{3})
	f.Add([]byte("GET / HTTP/1.1\r\nHost: a\r\n folded: no\r\n\r\n"), []byte{})
	f.Add([]byte("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n1;a=b\r\nx\r\n0\r\n\r\n"), []byte{1, 1, 1})
	f.Fuzz(func(t *testing.T, data, cuts []byte) {
		if len(data) > 8192 {
			return
		}
		whole := serverParseAll(512, 512, data)
		for _, mode := range []serverParseMode{parseBuffered, parseStreamed, parseBounded} {
			if cut := serverParseAllMode(mode, 512, 512, cutPieces(data, cuts)...); !equalStrings(whole, cut) {
				t.Fatalf("cut %v, mode %d changed the result:\nwhole %q\ncut   %q", cuts, mode, whole, cut)
			}
		}
		serverCompareWithNetHTTP(t, data)
	})
}

// serverCompareWithNetHTTP parses data with generous limits and checks
// each accepted request against net/http's reading of the same stream.
func serverCompareWithNetHTTP(t *testing.T, data []byte) {
	ours := serverParseAll(1<<20, 1<<20, data)
	rd := bytes.NewReader(data)
	br := bufio.NewReader(rd)
	for _, ev := range ours {
		if !strings.HasPrefix(ev, "REQ ") {
			continue
		}
		for { // the empty lines the server skips between requests
			b, err := br.Peek(1)
			if err != nil || (b[0] != '\r' && b[0] != '\n') {
				break
			}
			br.Discard(1)
		}
		rest := data[len(data)-rd.Len()-br.Buffered():]
		req, err := http.ReadRequest(br)
		if err != nil {
			t.Fatalf("we accepted %q, net/http refused the stream %q: %v", ev, data, err)
		}
		if bothFramings(rest) {
			req.Close = true // RFC 9112 6.1, which net/http does not apply
		}
		theirs := "REQ " + serverDescribe(req)
		if theirs != ev {
			t.Fatalf("disagreement on %q:\nours   %s\ntheirs %s", data, ev, theirs)
		}
	}
}

// bothFramings reports whether the request head at the start of stream
// has both a Content-Length and a Transfer-Encoding line.
func bothFramings(stream []byte) bool {
	head := stream
	if i := bytes.Index(stream, []byte("\n\r\n")); i >= 0 {
		head = stream[:i]
	}
	if i := bytes.Index(head, []byte("\n\n")); i >= 0 {
		head = head[:i]
	}
	head = bytes.ToLower(head)
	return bytes.Contains(head, []byte("\ncontent-length:")) && bytes.Contains(head, []byte("\ntransfer-encoding:"))
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// FuzzServerChunked compares the chunked body decoder with net/http's
// (httputil.NewChunkedReader): whatever body we decode, net/http decodes
// the same from the same bytes.
func FuzzServerChunked(f *testing.F) {
	f.Add([]byte("5\r\nhello\r\n0\r\n\r\n"))
	f.Add([]byte("1;ext\r\na\r\n10 \r\n0123456789abcdef\r\n0\r\n\r\n"))
	f.Add([]byte("0\r\nA: b\r\n\r\n"))
	f.Add([]byte("3\r\nabc\n0\r\n\r\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		head := "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
		p := &serverParser{maxHead: 1 << 20, maxBody: 1 << 20}
		data := append([]byte(head), body...)
		var got *http.Request
		for len(data) > 0 && got == nil {
			n, ev := p.parse(data)
			data = data[n:]
			if ev.kind == serverGotError {
				return
			}
			if ev.kind == serverGotRequest {
				got = ev.req
			}
		}
		if got == nil {
			return
		}
		want, err := io.ReadAll(httputil.NewChunkedReader(bytes.NewReader(body)))
		if err != nil {
			t.Fatalf("we decoded %q from %q; net/http: %v", RequestBody(got), body, err)
		}
		if !bytes.Equal(want, RequestBody(got)) {
			t.Fatalf("body %q: we decoded %q, net/http %q", body, RequestBody(got), want)
		}
	})
}
