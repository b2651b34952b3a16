package proxy

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestScanRequestLine(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want lineState
	}{
		{"", linePartial},
		{"GET", linePartial},
		{"GET ", linePartial},
		{"GET /a?b=c", linePartial},
		{"GET /a HTTP/1.", linePartial},
		{"GET /a HTTP/1.1", lineComplete},
		{"M-SEARCH * HTTP/1.1", lineComplete},
		{"CONNECT a.example:443 HTTP/1.1", lineComplete},
		{"GET http://a.example/\x80 HTTP/2.0", lineComplete},
		{"get / HTTP/1.1", lineBad},
		{" GET / HTTP/1.1", lineBad},
		{"GET\t", lineBad},
		{"GET\t/ HTTP/1.1", lineBad},
		{"GET  /", lineBad},
		{"GET /\tHTTP/1.1", lineBad},
		{"GET / HTTP/1.1 ", lineBad},
		{"GET / HTTP/1.10", lineBad},
		{"GET / HTTP/x", lineBad},
		{"GET / http/1.1", lineBad},
		{"GET /\x7f HTTP/1.1", lineBad},
		{"GET / HTTP/1.1\r", lineBad},
	} {
		assert.Equal(t, tc.want, scanRequestLine([]byte(tc.in)), "%q", tc.in)
	}
}

// Every prefix of a request line, and of one followed by its CR, can still
// become one; the bytes that break the grammar cannot.
func TestRequestLinePrefixIsAPrefixOfRequestLine(t *testing.T) {
	for _, line := range []string{"GET / HTTP/1.1", "M-SEARCH * HTTP/1.1", "OPTIONS * HTTP/1.0", "GET /\xff?a=b HTTP/9.9"} {
		assert.True(t, requestLine([]byte(line)), "%q", line)
		withCR := line + "\r"
		for k := range len(withCR) + 1 {
			assert.True(t, requestLinePrefix([]byte(withCR[:k])), "%q", withCR[:k])
		}
	}
	for _, in := range []string{"GET\t", "GET / HTTP/1.1\r\r", "GET / HTTP/1.\r", "GET /\r", "\r", "A\t0 HTTP/"} {
		assert.False(t, requestLinePrefix([]byte(in)), "%q", in)
	}
}

func TestFieldLine(t *testing.T) {
	for _, tc := range []struct {
		in, name, value string
		ok              bool
	}{
		{"Host: a.example", "Host", "a.example", true},
		{"host:a.example:80", "host", "a.example:80", true},
		{"Host: \t a b \t", "Host", "a b", true},
		{"Host:", "Host", "", true},
		{"X-Y: caf\xc3\xa9", "X-Y", "caf\xc3\xa9", true},
		{"Host : a", "", "", false},
		{" Host: a", "", "", false},
		{"\tfolded", "", "", false},
		{"no colon", "", "", false},
		{": a", "", "", false},
		{"Host: a\rb", "", "", false},
		{"Host: a\x00", "", "", false},
		{"Host: a\x7f", "", "", false},
	} {
		name, value, ok := fieldLine([]byte(tc.in))
		assert.Equal(t, tc.ok, ok, "%q", tc.in)
		assert.Equal(t, tc.name, string(name), "%q", tc.in)
		assert.Equal(t, tc.value, string(value), "%q", tc.in)
	}
}
