package http

import (
	"errors"
	"io"
	"strings"
	"testing"
)

// FuzzClientParser feeds arbitrary bytes to the response parser whole and
// in pieces of a fuzzed size, and checks that it never panics, that the
// split does not change the outcome, and that what it reports is
// consistent (limits held, declared lengths met). The seed corpus (the
// table of TestClientParser plus a few odd ones) runs in every go test;
// go test -fuzz=FuzzClientParser ./protocols/http explores further.
func FuzzClientParser(f *testing.F) {
	for _, tc := range clientParseCases {
		f.Add([]byte(tc.in), tc.method == "HEAD", uint8(3))
	}
	for _, s := range []string{
		"",
		"\r\n\r\n",
		"HTTP/1.1 200 OK\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n1\r\na\r\n0\r\n\r\n",
		"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + strings.Repeat("1\r\nx\r\n", 40) + "0\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\n\n",
	} {
		f.Add([]byte(s), false, uint8(1))
	}
	f.Fuzz(func(t *testing.T, data []byte, head bool, step uint8) {
		method := "GET"
		if head {
			method = "HEAD"
		}
		const maxHeader, maxBody = 512, 256
		whole := clientParse(method, [][]byte{data}, true, maxHeader, maxBody)
		size := int(step%32) + 1
		var pieces [][]byte
		for i := 0; i < len(data); i += size {
			pieces = append(pieces, data[i:min(i+size, len(data))])
		}
		split := clientParse(method, pieces, true, maxHeader, maxBody)

		if (whole.err == nil) != (split.err == nil) {
			t.Fatalf("split changed the outcome: whole %v, split %v", whole.err, split.err)
		}
		for _, kind := range []error{ErrClientMalformedResponse, ErrClientResponseTooLarge, io.ErrUnexpectedEOF} {
			if errors.Is(whole.err, kind) != errors.Is(split.err, kind) {
				t.Fatalf("split changed the error: whole %v, split %v", whole.err, split.err)
			}
		}
		if whole.err != nil {
			return
		}
		if whole.status != split.status || whole.body != split.body || whole.consumed != split.consumed ||
			whole.keepAlive != split.keepAlive {
			t.Fatalf("split changed the response: whole %+v, split %+v", whole, split)
		}
		if !whole.done {
			t.Fatalf("no error after EOF but the response is not complete")
		}
		if whole.consumed > len(data) {
			t.Fatalf("consumed %d of %d bytes", whole.consumed, len(data))
		}
		if len(whole.body) > maxBody {
			t.Fatalf("body of %d bytes passed the %d-byte limit", len(whole.body), maxBody)
		}
		if head && whole.body != "" {
			t.Fatalf("a HEAD response has a body")
		}
	})
}
