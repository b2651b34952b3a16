package proxy_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/evmachine/evmachine/protocols/proxy"
)

// testRoutes are the rule sets the Routes tests use: Host rules between
// Prefix rules without a default, and with a Prefix that looks like HTTP
// first and a default last.
func testRoutes() (route, withDefault proxy.RouteFunc) {
	route = proxy.Routes(
		proxy.Rule{Prefix: "SSH-", Backend: "ssh"},
		proxy.Rule{Host: "a.example", Backend: "a"},
		proxy.Rule{Host: "*.b.example", Backend: "b"},
		proxy.Rule{Prefix: "PING", Backend: "p"},
	)
	withDefault = proxy.Routes(
		proxy.Rule{Prefix: "GET /api", Backend: "api"},
		proxy.Rule{Host: "a.example", Backend: "a"},
		proxy.Rule{Backend: "dflt"},
	)
	return route, withDefault
}

func TestRoutes(t *testing.T) {
	route, withDefault := testRoutes()
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
		{"request line before its LF", "GET / HTTP/1.1\r", route, "", proxy.ErrNeedMore},
		{"header partial", "GET / HTTP/1.1\r\nHost: a.exa", route, "", proxy.ErrNeedMore},
		{"host line waits for the next byte", "GET / HTTP/1.1\r\nHost: a.example\r\n", route, "", proxy.ErrNeedMore},
		{"host", "GET / HTTP/1.1\r\nHost: a.example\r\n\r\n", route, "a", nil},
		{"host, more headers to come", "GET / HTTP/1.1\r\nHost: a.example\r\nA", route, "a", nil},
		{"host case and port", "GET / HTTP/1.1\r\nhOsT:  A.Example:8080 \r\n\r", route, "a", nil},
		{"host between tabs", "GET / HTTP/1.1\r\nHost:\ta.example\t\r\n\r\n", route, "a", nil},
		{"host after others", "POST /x HTTP/1.0\r\nUser-Agent: u\r\nAccept: */*\r\nHost: a.example\r\n\r\n", route, "a", nil},
		{"method with a dash", "M-SEARCH * HTTP/1.1\r\nHost: a.example\r\n\r\n", route, "a", nil},
		{"bare LF", "GET / HTTP/1.1\nHost: a.example\n\n", route, "a", nil},
		{"wildcard", "GET / HTTP/1.1\r\nHost: x.b.example\r\n\r\n", route, "b", nil},
		{"wildcard needs a label", "GET / HTTP/1.1\r\nHost: .b.example\r\n\r\n", route, "", proxy.ErrNoRoute},
		{"wildcard is not the apex", "GET / HTTP/1.1\r\nHost: b.example\r\n\r\n", route, "", proxy.ErrNoRoute},
		{"other host", "GET / HTTP/1.1\r\nHost: c.example\r\n\r\n", route, "", proxy.ErrNoRoute},
		{"no host header", "GET / HTTP/1.1\r\nX: y\r\n\r\n", route, "", proxy.ErrNoRoute},
		{"not http", "\x16\x03\x01\x02", route, "", proxy.ErrNoRoute},
		{"lower-case method", "get / HTTP/1.1\r\n", route, "", proxy.ErrNoRoute},
		{"not a request line", "GET /\r\nHost: a.example\r\n\r\n", route, "", proxy.ErrNoRoute},
		// One grammar for the whole line and its prefixes: single spaces.
		{"tab after the method, fuzz find", "A\t0 HTTP/\n", route, "", proxy.ErrNoRoute},
		{"tab after the method", "GET\t/ HTTP/1.1\r\nHost: a.example\r\n\r\n", route, "", proxy.ErrNoRoute},
		{"tab after the method, unfinished", "GET\t", route, "", proxy.ErrNoRoute},
		{"tab before the version", "GET /\tHTTP/1.1\r\nHost: a.example\r\n\r\n", route, "", proxy.ErrNoRoute},
		{"two spaces", "GET  / HTTP/1.1\r\nHost: a.example\r\n\r\n", route, "", proxy.ErrNoRoute},
		{"space after the version", "GET / HTTP/1.1 \r\nHost: a.example\r\n\r\n", route, "", proxy.ErrNoRoute},
		{"CR inside the request line", "GET / HTTP/1.1\rX", route, "", proxy.ErrNoRoute},
		{"two CRs", "GET / HTTP/1.1\r\r\nHost: a.example\r\n\r\n", route, "", proxy.ErrNoRoute},
		{"version with two digits", "GET / HTTP/1.10\r\nHost: a.example\r\n\r\n", route, "", proxy.ErrNoRoute},
		{"version without digits", "GET / HTTP/\r\nHost: a.example\r\n\r\n", route, "", proxy.ErrNoRoute},
		// A malformed head before the Host line has no Host.
		{"space before the colon", "GET / HTTP/1.1\r\nHost : a.example\r\n\r\n", route, "", proxy.ErrNoRoute},
		{"line without a colon", "GET / HTTP/1.1\r\nJunk\r\nHost: a.example\r\n\r\n", route, "", proxy.ErrNoRoute},
		{"fold before the host", "GET / HTTP/1.1\r\nX: y\r\n z\r\nHost: a.example\r\n\r\n", route, "", proxy.ErrNoRoute},
		{"folded host", "GET / HTTP/1.1\r\nHost: a.example\r\n\tevil\r\n\r\n", route, "", proxy.ErrNoRoute},
		{"control in the value", "GET / HTTP/1.1\r\nHost: a.example\x0b\r\n\r\n", route, "", proxy.ErrNoRoute},
		{"default after host", "GET / HTTP/1.1\r\nHost: z\r\n\r\n", withDefault, "dflt", nil},
		{"default waits for the host rule", "GET / HTTP/1.1\r\n", withDefault, "", proxy.ErrNeedMore},
		{"default for non-http", "hello", withDefault, "dflt", nil},
		{"default for a tab after the method", "GET\t/ HTTP/1.1\r\nHost: a.example\r\n\r\n", withDefault, "dflt", nil},
		{"default for a tab, unfinished", "GET\t", withDefault, "dflt", nil},
		{"prefix rule before host", "GET /api/v1 HTTP/1.1\r\n", withDefault, "api", nil},
		{"prefix rule lets the host rule decide", "GET /ap HTTP/1.1\r\nHost: a.example\r\n\r\n", withDefault, "a", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.route([]byte(tc.in))
			assert.Equal(t, tc.want, got)
			if tc.err == nil {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, tc.err)
			}
			if msg := splitChanges(tc.route, []byte(tc.in)); msg != "" {
				t.Error(msg)
			}
		})
	}
}

// splitChanges checks the invariant a Router relies on: it calls its
// RouteFunc after every read with all the bytes so far and acts on the
// first decision, so every prefix of in that gets a decision must get the
// one in itself gets, whatever the split. It returns "" or what differed.
func splitChanges(route proxy.RouteFunc, in []byte) string {
	whole, werr := route(in)
	for k := range len(in) {
		got, err := route(in[:k])
		if errors.Is(err, proxy.ErrNeedMore) {
			continue
		}
		if got != whole || err != werr {
			return fmt.Sprintf("split after %q: (%q, %v); whole %q: (%q, %v)", in[:k], got, err, in, whole, werr)
		}
	}
	return ""
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

// FuzzRoutes: no input panics, and the decision does not depend on how
// the bytes were split (splitChanges, for every split point).
func FuzzRoutes(f *testing.F) {
	for _, s := range []string{
		"GET / HTTP/1.1\r\nHost: a.example\r\n\r\n", "SSH-2.0\r\n", "\x16\x03", "GET /\r\n\r\n",
		"POST / HTTP/1.0\nhost:X.B.EXAMPLE:1\n\n", "PING\r\n", "GET /api HTTP/1.1\r\n",
		"A\t0 HTTP/\n", // found by this target: a tab took another route when split after it
		"GET\t/ HTTP/1.1\r\nHost: a.example\r\n\r\n", "GET /\tHTTP/1.1\r\nHost: a.example\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a.example\r\n folded\r\n\r\n", "GET / HTTP/1.1\r\nHost : a.example\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	route, withDefault := testRoutes()
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, rt := range []proxy.RouteFunc{route, withDefault} {
			if msg := splitChanges(rt, in); msg != "" {
				t.Fatal(msg)
			}
		}
	})
}
