package http

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strings"
)

// The common request head (a GET of a plain path, HTTP/1.0 or 1.1, CRLF
// line ends, no folded lines, no Transfer-Encoding) is parsed here, in one
// pass and a handful of allocations; every other head goes to net/http's
// ReadRequest (serverReadHead). What this fast path accepts it turns into
// exactly the *http.Request ReadRequest would build (FuzzServerFastHead
// holds it to that, field by field); what it cannot be sure of it leaves
// to ReadRequest, errors included.

// fastReq is a request's URL and the backing of its header values in one
// allocation.
type fastReq struct {
	url  url.URL
	vals [fastFieldsInline]string
}

// fastFieldsInline is how many header values come with the request; a
// head with more allocates their backing.
const fastFieldsInline = 8

// fastPathChars marks the bytes a path may have for url.ParseRequestURI to
// keep it as it is (no escaping, RawPath empty).
var fastPathChars = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range "-_.~$&+,/:;=@" {
		t[c] = true
	}
	return t
}()

// fastValueChars marks the bytes a header value may have (textproto's
// validHeaderValueByte: VCHAR, SP, HTAB and obs-text).
var fastValueChars = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = true
	}
	for c := 0x80; c < 0x100; c++ {
		t[c] = true
	}
	t['\t'] = true
	return t
}()

// serverFastHead parses a complete head block (its last line the empty
// one) the way http.ReadRequest would, for the heads it knows to be
// plain; ok is false for any other, which the caller gives to
// ReadRequest; f says which framing headers it has. The request is made
// with ctx as its context (no second
// copy, as WithContext afterwards would make). It allocates the request,
// its URL with the values' backing, one string for the whole head (the
// fields' strings share it) and the header map.
func serverFastHead(block []byte, ctx context.Context) (*http.Request, serverFraming, bool) {
	var f serverFraming
	// Lines and fields: count them first, to size the map.
	lines := bytes.Count(block, []byte("\n"))
	if lines < 2 {
		return nil, f, false
	}
	s := string(block)
	eol := strings.Index(s, "\r\n")
	if eol < 0 {
		return nil, f, false
	}
	method, target, proto, ok := fastRequestLine(s[:eol])
	if !ok {
		return nil, f, false
	}
	var tmp http.Request // stays on the stack: WithContext makes the one copy
	req := &tmp
	req.Method, req.RequestURI, req.Proto, req.ProtoMajor = method, target, proto, 1
	if proto == "HTTP/1.1" {
		req.ProtoMinor = 1
	}
	fr := &fastReq{}
	if !fastURL(target, &fr.url) {
		return nil, f, false
	}
	req.URL = &fr.url
	h := make(http.Header, lines-2)
	vals := fr.vals[:0]
	if lines-2 > cap(vals) {
		vals = make([]string, 0, lines-2)
	}
	if req.Host, f.host, ok = fastFields(s[eol+2:], h, vals); !ok {
		return nil, f, false
	}
	req.Header = h
	req.Close = fastClose(req.ProtoMinor, h["Connection"])
	if cl, ok := h["Content-Length"]; ok {
		f.contentLength = true
		n, ok := fastContentLength(cl)
		if !ok {
			return nil, f, false
		}
		req.ContentLength = n
	}
	if req.ContentLength == 0 {
		req.Body = http.NoBody
	}
	return req.WithContext(ctx), f, true
}

// fastRequestLine splits "METHOD SP target SP HTTP/1.x" for a method
// other than CONNECT (its target is not a path) and PRI.
func fastRequestLine(line string) (method, target, proto string, ok bool) {
	method, rest, ok1 := strings.Cut(line, " ")
	target, proto, ok2 := strings.Cut(rest, " ")
	if !ok1 || !ok2 || !isToken(method) || method == "CONNECT" || method == "PRI" {
		return "", "", "", false
	}
	if proto != "HTTP/1.1" && proto != "HTTP/1.0" {
		return "", "", "", false
	}
	return method, target, proto, true
}

// fastURL fills u as url.ParseRequestURI would for an origin-form target
// of plain characters: a path that needs no escaping, an optional query
// of visible ASCII.
func fastURL(target string, u *url.URL) bool {
	if target == "" || target[0] != '/' {
		return false
	}
	path, query, hasQuery := strings.Cut(target, "?")
	for i := 0; i < len(path); i++ {
		if !fastPathChars[path[i]] {
			return false
		}
	}
	for i := 0; i < len(query); i++ {
		if c := query[i]; c <= ' ' || c >= 0x7f || c == '#' {
			return false
		}
	}
	u.Path, u.RawQuery = path, query
	// As url.parse: a lone '?' at the end is kept as ForceQuery.
	u.ForceQuery = hasQuery && query == ""
	return true
}

// fastFields parses the header lines (after the request line, up to the
// empty one) into h, with vals as the backing of single values, and
// returns Host's value, which (as ReadRequest does) it leaves out of h.
// Anything
// ReadRequest would treat specially (folded lines, a space before the
// colon, Host twice, Transfer-Encoding, Trailer, Pragma) sends the head to
// the slow path.
func fastFields(s string, h http.Header, vals []string) (host string, hasHost, ok bool) {
	for {
		eol := strings.Index(s, "\r\n")
		if eol < 0 {
			return "", false, false
		}
		line := s[:eol]
		s = s[eol+2:]
		if line == "" {
			return host, hasHost, s == ""
		}
		n := 0
		for n < len(line) && tokenChars[line[n]] {
			n++
		}
		if n == 0 || n == len(line) || line[n] != ':' {
			return "", false, false
		}
		key := fastCanonical(line[:n])
		v := line[n+1:]
		for i := 0; i < len(v); i++ {
			if !fastValueChars[v[i]] {
				return "", false, false
			}
		}
		v = trimOWS(v)
		switch key {
		case "Transfer-Encoding", "Trailer", "Pragma":
			return "", false, false
		case "Host":
			if hasHost {
				return "", false, false // ReadRequest: too many Host headers
			}
			host, hasHost = v, true
			continue
		}
		vv, seen := h[key]
		switch {
		case seen:
			h[key] = append(vv, v)
		default:
			vals = append(vals, v)
			h[key] = vals[len(vals)-1 : len(vals) : len(vals)]
		}
	}
}

// trimOWS trims spaces and tabs at both ends of s.
func trimOWS(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// fastCanonical is textproto's canonical form of a token key: the key
// itself when it already is (no allocation), else a new string.
func fastCanonical(k string) string {
	upper := true
	for i := 0; i < len(k); i++ {
		c := k[i]
		if upper && 'a' <= c && c <= 'z' || !upper && 'A' <= c && c <= 'Z' {
			return http.CanonicalHeaderKey(k)
		}
		upper = c == '-'
	}
	return k
}

// fastClose is net/http's shouldClose for a request: HTTP/1.0 closes
// unless keep-alive is asked for, HTTP/1.1 when close is; the Connection
// fields are comma-separated lists compared ASCII case-insensitively, as
// httpguts.HeaderValuesContainsToken does.
func fastClose(minor int, conn []string) bool {
	hasClose, hasKeepAlive := false, false
	for _, v := range conn {
		for v != "" {
			t, rest, _ := strings.Cut(v, ",")
			v = rest
			t = trimOWS(t)
			hasClose = hasClose || asciiEqualFold(t, "close")
			hasKeepAlive = hasKeepAlive || asciiEqualFold(t, "keep-alive")
		}
	}
	if minor == 0 {
		return hasClose || !hasKeepAlive
	}
	return hasClose
}

// asciiEqualFold reports whether s equals lower, an ASCII lower-case word,
// ignoring ASCII case only.
func asciiEqualFold(s, lower string) bool {
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// fastContentLength reads a single Content-Length of at most 18 digits.
func fastContentLength(vv []string) (int64, bool) {
	if len(vv) != 1 || len(vv[0]) == 0 || len(vv[0]) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(vv[0]); i++ {
		c := vv[0][i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}
