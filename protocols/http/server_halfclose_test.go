package http

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// A request the client cuts short with FIN gets an answer, as from
// net/http, not a silent close.
func TestServerHalfCloseAgainstNetHTTP(t *testing.T) {
	evm, std := wireServers(t)
	cases := []struct {
		name, raw string
		want      []string
		why       string
	}{
		{name: "whole request, then FIN", raw: "GET / HTTP/1.1\r\nHost: a\r\n\r\n"},
		{name: "two requests, then FIN", raw: "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n"},
		{name: "nothing, then FIN", raw: ""},
		{name: "head cut short", raw: "GET / HTTP/1.1\r\nHost: a\r\n"},
		{
			name: "body cut short", raw: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nhello",
			want: []string{"400", "closed"},
			why:  "the body is read before the handler runs: a body cut short is answered 400 (net/http's handler sees io.ErrUnexpectedEOF and this one answers 200)",
		},
		{
			name: "chunked body cut short", raw: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
			want: []string{"400", "closed"}, why: "as above",
		},
		{
			name: "whole request, then a body cut short", raw: "GET / HTTP/1.1\r\nHost: a\r\n\r\nPOST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nhello",
			want: []string{`200 GET / body="" headers=[]`, "400", "closed"}, why: "as above, after the first answer",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := wireHalfClose(t, evm, tc.raw)
			ref := wireHalfClose(t, std, tc.raw)
			if tc.want == nil {
				assert.Equal(t, ref, got, "evmachine should answer as net/http")
				return
			}
			assert.Equal(t, tc.want, got, "%s (net/http answers %q)", tc.why, ref)
		})
	}
}
