package proxy_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/evmachine/evmachine/protocols/proxy"
)

func TestRoutes(t *testing.T) {
	route := proxy.Routes(
		proxy.Rule{Prefix: "SSH-", Backend: "ssh"},
		proxy.Rule{Host: "a.example", Backend: "a"},
		proxy.Rule{Host: "*.b.example", Backend: "b"},
	)
	withDefault := proxy.Routes(proxy.Rule{Host: "a.example", Backend: "a"}, proxy.Rule{Backend: "dflt"})
	for _, tc := range []struct {
		name, in string
		route    proxy.RouteFunc
		want     string
		err      error
	}{
		{"empty", "", route, "", proxy.ErrNeedMore},
		{"prefix partial", "SS", route, "", proxy.ErrNeedMore},
		{"prefix", "SSH-2.0-x", route, "ssh", nil},
		{"method partial", "GE", route, "", proxy.ErrNeedMore},
		{"request line partial", "GET /index.html HT", route, "", proxy.ErrNeedMore},
		{"header partial", "GET / HTTP/1.1\r\nHost: a.exa", route, "", proxy.ErrNeedMore},
		{"host", "GET / HTTP/1.1\r\nHost: a.example\r\n", route, "a", nil},
		{"host case and port", "GET / HTTP/1.1\r\nhOsT:  A.Example:8080 \r\n", route, "a", nil},
		{"host after others", "POST /x HTTP/1.0\r\nUser-Agent: u\r\nAccept: */*\r\nHost: a.example\r\n\r\n", route, "a", nil},
		{"bare LF", "GET / HTTP/1.1\nHost: a.example\n", route, "a", nil},
		{"wildcard", "GET / HTTP/1.1\r\nHost: x.b.example\r\n", route, "b", nil},
		{"wildcard needs a label", "GET / HTTP/1.1\r\nHost: .b.example\r\n", route, "", proxy.ErrNoRoute},
		{"wildcard is not the apex", "GET / HTTP/1.1\r\nHost: b.example\r\n", route, "", proxy.ErrNoRoute},
		{"other host", "GET / HTTP/1.1\r\nHost: c.example\r\n", route, "", proxy.ErrNoRoute},
		{"no host header", "GET / HTTP/1.1\r\nX: y\r\n\r\n", route, "", proxy.ErrNoRoute},
		{"not http", "\x16\x03\x01\x02", route, "", proxy.ErrNoRoute},
		{"lower-case method", "get / HTTP/1.1\r\n", route, "", proxy.ErrNoRoute},
		{"not a request line", "GET /\r\nHost: a.example\r\n", route, "", proxy.ErrNoRoute},
		{"default after host", "GET / HTTP/1.1\r\nHost: z\r\n", withDefault, "dflt", nil},
		{"default waits for the host rule", "GET / HTTP/1.1\r\n", withDefault, "", proxy.ErrNeedMore},
		{"default for non-http", "hello", withDefault, "dflt", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.route([]byte(tc.in))
			assert.Equal(t, tc.want, got)
			if tc.err == nil {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, tc.err)
			}
		})
	}
}

func TestParseRoutes(t *testing.T) {
	rules, err := proxy.ParseRoutes(` host:a.example=127.0.0.1:8081, prefix:"GET /api"=127.0.0.1:9000,prefix:SSH-=[::1]:22 ,default=/tmp/s.sock`)
	require.NoError(t, err)
	assert.Equal(t, []proxy.Rule{
		{Host: "a.example", Backend: "127.0.0.1:8081"},
		{Prefix: "GET /api", Backend: "127.0.0.1:9000"},
		{Prefix: "SSH-", Backend: "[::1]:22"},
		{Backend: "/tmp/s.sock"},
	}, rules)
	for _, bad := range []string{"", ",", "a.example=1:2", "host:=1:2", "host:a=", "prefix:\"x=1:2", "path:/x=1:2", "default:x=1:2"} {
		_, err := proxy.ParseRoutes(bad)
		assert.Error(t, err, "%q", bad)
	}
}

// FuzzRoutes: no input panics, and a decision never changes as more bytes
// arrive (what a Router relies on when it decides on a partial packet).
func FuzzRoutes(f *testing.F) {
	for _, s := range []string{"GET / HTTP/1.1\r\nHost: a.example\r\n\r\n", "SSH-2.0\r\n", "\x16\x03", "GET /\r\n\r\n", "POST / HTTP/1.0\nhost:X.B.EXAMPLE:1\n"} {
		f.Add([]byte(s), uint8(3))
	}
	route := proxy.Routes(
		proxy.Rule{Prefix: "SSH-", Backend: "ssh"},
		proxy.Rule{Host: "a.example", Backend: "a"},
		proxy.Rule{Host: "*.b.example", Backend: "b"},
		proxy.Rule{Prefix: "PING", Backend: "p"},
	)
	f.Fuzz(func(t *testing.T, in []byte, cut uint8) {
		k := int(cut) % (len(in) + 1)
		early, eerr := route(in[:k])
		late, lerr := route(in)
		if errors.Is(eerr, proxy.ErrNeedMore) {
			return
		}
		if early != late || !errors.Is(lerr, eerr) && !(eerr == nil && lerr == nil) {
			t.Fatalf("decision changed with more bytes: %q -> (%q, %v), %q -> (%q, %v)", in[:k], early, eerr, in, late, lerr)
		}
	})
}
