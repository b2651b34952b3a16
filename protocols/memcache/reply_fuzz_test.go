package memcache

import (
	"bytes"
	"testing"
)

// FuzzParseReply checks that ParseReply never panics, consumes what it
// says, honours the size limit, and parses a reply the same way whatever
// follows it. The seed corpus runs in go test.
func FuzzParseReply(f *testing.F) {
	for _, s := range []string{
		"END\r\n", "STORED\r\n", "NOT_STORED\r\n", "EXISTS\r\n", "NOT_FOUND\r\n",
		"DELETED\r\n", "TOUCHED\r\n", "OK\r\n", "42\r\n", "VERSION 1.6.18\r\n",
		"ERROR\r\n", "CLIENT_ERROR bad\r\n", "SERVER_ERROR oom\r\n",
		"VALUE k 0 3\r\nabc\r\nEND\r\n", "VALUE k 1 2 3\r\nab\r\n", "VALUE k 0 536870912\r\n",
		"VALUE k 0 5\r\nab", "\r\n", "x\n", "VALUE  0 1\r\n",
	} {
		f.Add([]byte(s))
	}
	const limit = 64
	f.Fuzz(func(t *testing.T, b []byte) {
		r, n, err := ParseReply(b, limit)
		if err != nil {
			if n != 0 {
				t.Fatalf("error %v with n = %d", err, n)
			}
			return
		}
		if n <= 0 || n > len(b) {
			t.Fatalf("n = %d of %d bytes", n, len(b))
		}
		if r.Kind == ReplyValue && len(r.Bytes) > limit {
			t.Fatalf("value of %d bytes over the limit", len(r.Bytes))
		}
		if !bytes.HasSuffix(b[:n], []byte("\r\n")) {
			t.Fatalf("reply %q does not end with CRLF", b[:n])
		}
		// The reply alone parses the same.
		r2, n2, err2 := ParseReply(bytes.Clone(b[:n]), limit)
		if err2 != nil || n2 != n || r2.Kind != r.Kind || !bytes.Equal(r2.Bytes, r.Bytes) || r2.Number != r.Number {
			t.Fatalf("reply %q alone: %v %d %v", b[:n], r2, n2, err2)
		}
		// Every proper prefix of it is incomplete or an error, never a reply.
		for cut := range n {
			if _, _, err := ParseReply(b[:cut], limit); err == nil {
				t.Fatalf("prefix %q of %q parsed as a reply", b[:cut], b[:n])
			}
		}
	})
}
